// The catalog's bodies byte for byte: clients (the carts' product cache, the
// lab, the course's graders) read these exact fields.
#include "services/catalog/catalog.h"

#include <gtest/gtest.h>

namespace {

using namespace scalelab::catalog;

TEST(CatalogJson, CourseProductHasNamePriceAndStock) {
  Catalog catalog(10);
  EXPECT_EQ(generated_product_json(catalog, 3),
            R"({"product_id":3,"sku":"SKU-000003","manufacturer":"Umbrella","category_id":4,"weight":211,)"
            R"("some_other_id":758,"name":"Keyboard","price":79.99,"stock":50})");
}

TEST(CatalogJson, GeneratedProductHasNameAndTwoDecimalPrice) {
  Catalog catalog(20'000);
  EXPECT_EQ(generated_product_json(catalog, 12345),
            R"({"product_id":12345,"sku":"SKU-012345","manufacturer":"Acme","category_id":5,"weight":1865,)"
            R"("some_other_id":56,"name":"Product Zeta 12345","price":515.55})");
}

TEST(CatalogJson, ProductRecordEscapesStrings) {
  Product p{7, "S\"K", "M\\f", 1, 0, 2};
  EXPECT_EQ(product_to_json(p),
            R"({"product_id":7,"sku":"S\"K","manufacturer":"M\\f","category_id":1,"weight":0,"some_other_id":2})");
}

TEST(CatalogJson, SearchResultListsMatchesAndCounts) {
  Catalog catalog(3);
  EXPECT_EQ(search_result_json(catalog.search("beta"), 1.5),
            R"({"products":[{"id":1,"name":"Product Beta 1","category":"Books",)"
            R"("description":"Books Product Beta 1 by Globex","brand":"Globex"}],)"
            R"("total_found":1,"products_checked":3,"search_time":"1.500ms"})");
}

TEST(CatalogJson, EmptySearchResultHasAnEmptyList) {
  Catalog catalog(3);
  EXPECT_EQ(search_result_json(catalog.search("nothing"), 0.25),
            R"({"products":[],"total_found":0,"products_checked":3,"search_time":"0.250ms"})");
}

}  // namespace
