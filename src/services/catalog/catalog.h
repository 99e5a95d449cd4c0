// catalog (hw5 products + hw6 search): GET /products/{productId},
// POST /products/{productId}/details, GET /products/search?q=.
//
// The catalogue is generated deterministically (product i of 1..count), so
// every instance serves the same products without sharing anything; details
// posted for a product are kept in the Store ("product/{id}") and override the
// generated ones, so instances sharing a store agree on them.
// Thread-safety: the Catalog is immutable after construction; handlers share it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.h"
#include "http/router.h"
#include "store/store.h"

namespace scalelab::catalog {

inline constexpr std::int32_t kDefaultProductCount = 100'000;  // hw6
inline constexpr int kChecksPerSearch = 100;                   // hw6: each search checks exactly 100
inline constexpr std::size_t kMaxSearchResults = 20;
inline constexpr std::size_t kMaxQueryLength = 100;

// hw5's Product (all fields required).
struct Product {
  std::int32_t product_id = 0;
  std::string sku;           // 1-100 characters
  std::string manufacturer;  // 1-200 characters
  std::int32_t category_id = 0;
  std::int32_t weight = 0;   // grams, >= 0
  std::int32_t some_other_id = 0;
};

Result<Product> product_from_json(const boost::json::object& o);
std::string product_to_json(const Product& p);

// hw6's searchable product.
struct SearchProduct {
  std::int32_t id = 0;
  std::string name;  // "Product Alpha 1"
  std::string category;
  std::string description;
  std::string brand;
};

struct SearchResult {
  std::vector<const SearchProduct*> products;  // at most kMaxSearchResults
  std::int64_t total_found = 0;                // matches among the products checked
  std::int64_t checked = 0;                    // always kChecksPerSearch (or count, if smaller)
};

class Catalog {
 public:
  explicit Catalog(std::int32_t count = kDefaultProductCount);

  std::int32_t count() const { return static_cast<std::int32_t>(products_.size()); }
  bool exists(std::int32_t id) const { return id >= 1 && id <= count(); }
  // REQUIRES: exists(id)
  const SearchProduct& searchable(std::int32_t id) const { return products_[static_cast<std::size_t>(id - 1)]; }
  // The generated hw5 Product for id. REQUIRES: exists(id)
  Product generated(std::int32_t id) const;
  // Checks exactly min(kChecksPerSearch, count) products, starting at a
  // position derived from the query (deterministic across instances),
  // matching name or category case-insensitively.
  SearchResult search(std::string_view query) const;

 private:
  std::vector<SearchProduct> products_;
  std::vector<std::string> lower_names_, lower_categories_;
};

// The course's midterm products (ids 1-5): name, price, stock. The one list
// both the catalog (name, price, "stock" in the product JSON) and the
// warehouse (initial stock of 1-5) read.
struct CourseProduct {
  std::int32_t id;
  std::string_view name;
  double price;
  std::int32_t stock;
};
inline constexpr CourseProduct kCourseProducts[] = {{1, "Laptop", 999.99, 10},
                                                    {2, "Mouse", 29.99, 100},
                                                    {3, "Keyboard", 79.99, 50},
                                                    {4, "Monitor", 299.99, 20},
                                                    {5, "Headphones", 149.99, 30}};
// The course's product with this id, or null (ids other than 1-5).
constexpr const CourseProduct* course_product(std::int32_t id) {
  for (const auto& c : kCourseProducts)
    if (c.id == id) return &c;
  return nullptr;
}
// The price of generated product id: the course's for 1-5, else a fixed formula.
double price_of(std::int32_t id);
// GET /products/{id} for a generated product: hw5's Product plus the
// extensions "name" and "price" (and "stock" for the course's five).
// REQUIRES: catalog.exists(id)
std::string generated_product_json(const Catalog& catalog, std::int32_t id);

// GET /products/search's body; search_ms is how long the search took.
std::string search_result_json(const SearchResult& found, double search_ms);

// REQUIRES: catalog and store outlive the router's use.
void register_routes(http::Router& router, const Catalog& catalog, store::Store& store);

}  // namespace scalelab::catalog
