#include "services/carts/products.h"

#include <boost/json/parse.hpp>

#include "services/common/validation.h"

namespace scalelab::carts {

boost::asio::awaitable<ProductInfo> product_info(CatalogClient& catalog, bool resilient, std::int32_t product_id) {
  auto r = co_await catalog.get_product(product_id);
  if (r && r->status == 200) {
    catalog.cache().put(product_id, r->body);
    co_return ProductInfo{true, false, std::move(r->body)};
  }
  if (r && r->status == 404) co_return ProductInfo{false, false, {}};
  if (!resilient) {
    if (!r) services::throw_downstream("catalog", r.error());
    services::throw_downstream_status("catalog", r->status, r->body);
  }
  if (auto cached = catalog.cache().get(product_id)) co_return ProductInfo{true, true, std::move(*cached)};
  co_return ProductInfo{true, true, {}};
}

Priced priced_from(const ProductInfo& info) {
  Priced p{info.found, info.pending, {}, 0};
  if (info.json.empty()) return p;
  boost::system::error_code ec;
  auto v = boost::json::parse(info.json, ec);
  if (ec || !v.is_object()) return p;
  const auto& o = v.get_object();
  if (auto it = o.find("name"); it != o.end() && it->value().is_string()) p.name = it->value().get_string();
  if (auto it = o.find("price"); it != o.end() && it->value().is_number()) p.price = it->value().to_number<double>();
  return p;
}

namespace {

const char* breaker_text(std::optional<resilience::BreakerState> state) {
  return state ? resilience::to_string(*state) : "none";  // the wire's "none": resilience off
}

}  // namespace

Degradation degradation_of(CatalogClient& catalog, bool any_pending) {
  auto breaker = catalog.downstream().breaker_state();
  bool degraded = any_pending || (breaker && *breaker != resilience::BreakerState::kClosed);
  return {degraded, breaker};
}

void write_degradation(JsonWriter& w, const Degradation& d) {
  w.field("degraded_mode", d.degraded).field("circuit_breaker", breaker_text(d.breaker));
}

void mark_degradation(http::Response& res, Degradation d) {
  res.headers.emplace_back("X-Degraded-Mode", d.degraded ? "true" : "false");
  res.headers.emplace_back("X-Circuit-Breaker", breaker_text(d.breaker));
}

}  // namespace scalelab::carts
