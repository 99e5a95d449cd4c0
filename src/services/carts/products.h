// Products as carts can establish them: one path for both carts APIs.
// With resilience off a catalog fault fails the request (503); on, the
// catalog's Policy bounds the wait and a fault falls back to the cache of
// recently seen products (or an unknown product), marked pending, and the
// answer says it is degraded, with the breaker's state.
// Thread-safety: as CatalogClient (safe from any thread).
#pragma once

#include <optional>
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "core/json_writer.h"
#include "http/message.h"
#include "services/carts/downstream.h"
#include "resilience/circuit_breaker.h"

namespace scalelab::carts {

// One product as carts could establish it.
struct ProductInfo {
  bool found = true;     // false: catalog answered 404
  bool pending = false;  // not confirmed now: from the cache, or unknown (json empty)
  std::string json;      // catalog's product JSON, fresh or cached; empty when unknown
};

// Off (resilient = false): a catalog fault throws 503. On: a fault falls back
// to the cache, else to an unknown product, pending.
boost::asio::awaitable<ProductInfo> product_info(CatalogClient& catalog, bool resilient, std::int32_t product_id);

// One item's name and price, from the product as carts could establish it.
struct Priced {
  bool found = true;     // false: catalog answered 404
  bool pending = false;  // the price could not be confirmed now (from the cache, or unknown)
  std::string name;
  double price = 0;
};
Priced priced_from(const ProductInfo& info);

// Whether an answer is degraded: an item unconfirmed, or the breaker in front
// of the catalog not closed.
struct Degradation {
  bool degraded = false;
  std::optional<resilience::BreakerState> breaker;  // nullopt: resilience off
};
Degradation degradation_of(CatalogClient& catalog, bool any_pending);

// What every cart body ends with: "degraded_mode" and "circuit_breaker".
void write_degradation(JsonWriter& w, const Degradation& d);
// The same for an answer without a body (hw5's 204): as headers
// X-Degraded-Mode and X-Circuit-Breaker.
void mark_degradation(http::Response& res, Degradation d);

}  // namespace scalelab::carts
