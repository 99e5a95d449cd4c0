#include "services/catalog/catalog.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "services/common/validation.h"

namespace scalelab::catalog {

namespace {

constexpr std::array<std::string_view, 10> kNames = {"Alpha", "Beta",  "Gamma", "Delta", "Epsilon",
                                                     "Zeta",  "Theta", "Kappa", "Sigma", "Omega"};
constexpr std::array<std::string_view, 7> kCategories = {"Electronics", "Books", "Home", "Sports",
                                                         "Toys",        "Clothing", "Garden"};
constexpr std::array<std::string_view, 5> kBrands = {"Acme", "Globex", "Initech", "Umbrella", "Stark"};

// Enough for every generated product's JSON (about 200 bytes), so it is built
// without reallocating.
constexpr std::size_t kProductJsonReserve = 256;

std::string key_of(std::int32_t id) { return fmt::format("product/{}", id); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

void write_search_product(JsonWriter& w, const SearchProduct& p) {
  w.begin_object()
      .field("id", p.id)
      .field("name", p.name)
      .field("category", p.category)
      .field("description", p.description)
      .field("brand", p.brand)
      .end_object();
}

// hw5's Product fields, inside an object the caller opens and closes.
void write_product_fields(JsonWriter& w, const Product& p) {
  w.field("product_id", p.product_id)
      .field("sku", p.sku)
      .field("manufacturer", p.manufacturer)
      .field("category_id", p.category_id)
      .field("weight", p.weight)
      .field("some_other_id", p.some_other_id);
}

}  // namespace

Result<Product> product_from_json(const boost::json::object& o) {
  Product p;
  auto id = services::int32_field(o, "product_id", 1);
  if (!id) return id.error();
  p.product_id = *id;
  auto sku = services::string_field(o, "sku", 1, 100);
  if (!sku) return sku.error();
  p.sku = std::move(*sku);
  auto manufacturer = services::string_field(o, "manufacturer", 1, 200);
  if (!manufacturer) return manufacturer.error();
  p.manufacturer = std::move(*manufacturer);
  for (auto [name, field, min] : {std::tuple{"category_id", &p.category_id, 1}, std::tuple{"weight", &p.weight, 0},
                                  std::tuple{"some_other_id", &p.some_other_id, 1}}) {
    auto v = services::int32_field(o, name, min);
    if (!v) return v.error();
    *field = *v;
  }
  return p;
}

std::string product_to_json(const Product& p) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  write_product_fields(w, p);
  w.end_object();
  return out;
}

Catalog::Catalog(std::int32_t count) {
  products_.reserve(static_cast<std::size_t>(std::max(count, 0)));
  for (std::int32_t i = 1; i <= count; ++i) {
    auto k = static_cast<std::size_t>(i);
    SearchProduct p{i, fmt::format("Product {} {}", kNames[k % kNames.size()], i),
                    std::string(kCategories[k % kCategories.size()]), "", std::string(kBrands[k % kBrands.size()])};
    p.description = fmt::format("{} {} by {}", p.category, p.name, p.brand);
    lower_names_.push_back(lower(p.name));
    lower_categories_.push_back(lower(p.category));
    products_.push_back(std::move(p));
  }
}

Product Catalog::generated(std::int32_t id) const {
  const auto& s = searchable(id);
  auto k = static_cast<std::size_t>(id);
  return Product{id,
                 fmt::format("SKU-{:06}", id),
                 s.brand,
                 static_cast<std::int32_t>(k % kCategories.size()) + 1,
                 static_cast<std::int32_t>(100 + (k * 37) % 5000),
                 static_cast<std::int32_t>(1 + (k * 7919) % 1000)};
}

SearchResult Catalog::search(std::string_view query) const {
  SearchResult r;
  if (products_.empty()) return r;
  std::string q = lower(query);
  std::size_t n = products_.size();
  std::size_t start = fnv1a(q) % n;
  std::size_t checks = std::min<std::size_t>(kChecksPerSearch, n);
  for (std::size_t i = 0; i < checks; ++i) {
    std::size_t at = (start + i) % n;
    ++r.checked;
    if (lower_names_[at].find(q) != std::string::npos || lower_categories_[at].find(q) != std::string::npos) {
      ++r.total_found;
      if (r.products.size() < kMaxSearchResults) r.products.push_back(&products_[at]);
    }
  }
  return r;
}

double price_of(std::int32_t id) {
  if (const CourseProduct* c = course_product(id)) return c->price;
  return 5.0 + static_cast<double>((static_cast<std::int64_t>(id) * 7919) % 99500) / 100.0;
}

std::string generated_product_json(const Catalog& catalog, std::int32_t id) {
  constexpr int kPriceDecimals = 2;  // the course's prices are in cents
  std::string out;
  out.reserve(kProductJsonReserve);
  JsonWriter w(out);
  w.begin_object();
  write_product_fields(w, catalog.generated(id));
  const CourseProduct* course = course_product(id);
  if (course) w.field("name", course->name);
  else w.field("name", catalog.searchable(id).name);
  w.key("price").fixed(price_of(id), kPriceDecimals);
  if (course) w.field("stock", course->stock);
  w.end_object();
  return out;
}

std::string search_result_json(const SearchResult& found, double search_ms) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("products").begin_array();
  for (const SearchProduct* p : found.products) write_search_product(w, *p);
  w.end_array()
      .field("total_found", found.total_found)
      .field("products_checked", found.checked)
      .field("search_time", fmt::format("{:.3f}ms", search_ms))
      .end_object();
  return out;
}

void register_routes(http::Router& router, const Catalog& catalog, store::Store& store) {
  router.get("/products/search", [&catalog](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto q = req.query_param("q");
    if (!q || q->empty() || q->size() > kMaxQueryLength)
      co_return http::Response::error(400, http::code::kInvalidInput,
                                      fmt::format("query parameter 'q' must be 1-{} characters", kMaxQueryLength));
    auto t0 = std::chrono::steady_clock::now();
    auto found = catalog.search(*q);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    co_return http::Response::json_text(200, search_result_json(found, ms));
  });

  router.get("/products/{productId}", [&catalog, &store](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto id = services::path_id(req.param("productId"), "productId");
    if (!id) services::throw_invalid(id.error());
    auto stored = co_await store.get(key_of(*id));
    if (!stored) services::throw_store_failure("catalog", stored.error());
    if (*stored) co_return http::Response::json_text(200, std::move(**stored));
    if (!catalog.exists(*id)) co_return http::Response::error(404, http::code::kNotFound, "product not found");
    co_return http::Response::json_text(200, generated_product_json(catalog, *id));
  });

  router.post("/products/{productId}/details",
              [&catalog, &store](http::Request& req) -> boost::asio::awaitable<http::Response> {
                auto id = services::path_id(req.param("productId"), "productId");
                if (!id) services::throw_invalid(id.error());
                auto body = services::json_object_body(req);
                auto product = product_from_json(body);
                if (!product) services::throw_invalid(product.error());
                if (product->product_id != *id)
                  co_return http::Response::error(
                      400, http::code::kInvalidInput,
                      fmt::format("body product_id {} differs from the path's {}", product->product_id, *id));
                if (!catalog.exists(*id)) {
                  // Known only if details were stored earlier (by any instance).
                  auto stored = co_await store.get(key_of(*id));
                  if (!stored) services::throw_store_failure("catalog", stored.error());
                  if (!*stored) co_return http::Response::error(404, http::code::kNotFound, "product not found");
                }
                auto put = co_await store.put(key_of(*id), product_to_json(*product));
                if (!put) services::throw_store_failure("catalog", put.error());
                co_return http::Response::no_content();
              });
}

}  // namespace scalelab::catalog
