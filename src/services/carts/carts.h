// carts (hw5): POST /shopping-carts {customer_id} -> 201 {shopping_cart_id},
// POST /shopping-carts/{id}/items {product_id, quantity} -> 204,
// GET /shopping-carts/{id} -> 200 the cart with each item's product details,
// POST /shopping-carts/{id}/checkout {credit_card_number} -> 200 {order_id}.
//
// Every route that needs a product (both APIs) asks for it through one path:
// with resilience off a catalog fault fails the request (503); on, the
// catalog's Policy bounds the wait and a fault falls back to the cache of
// recently seen products (or an unknown product), the item marked
// price_pending and the answer in degraded_mode with the breaker's state
// (in the body; as X-Degraded-Mode / X-Circuit-Breaker headers on a 204).
// Checkout needs no product: a failing catalog does not stop it.
//
// Carts live in the Store ("cart/{id}", JSON; ids from the counter
// "cart/next_id"), changed only by compare-and-set, so instances sharing a
// store never lose an update. Products are checked at the catalog, stock is
// reserved (then shipped, or released when the checkout fails) at the
// warehouse and the card charged at payments, all over HTTP with a deadline
// per call. A checkout is idempotent: a checked-out cart answers with its
// order_id again; payments is idempotent per cart, so a retried checkout after
// a lost answer never charges twice. Status mapping: docs/shop.md.
// Thread-safety: handlers are stateless; Store and clients are thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/router.h"
#include "services/carts/downstream.h"
#include "store/store.h"

namespace scalelab::carts {

inline constexpr std::size_t kMaxItemsPerCart = 1'000;  // distinct products

struct Item {
  std::int32_t product_id = 0;
  std::int32_t quantity = 0;
};

struct Cart {
  std::int32_t id = 0;
  std::int32_t customer_id = 0;
  std::string status = "open";  // open | checking_out | checked_out
  std::vector<Item> items;
  std::string order_id;  // set when checked_out
};

std::string cart_to_json(const Cart& cart);
Result<Cart> cart_from_json(std::string_view json);

struct Deps {
  store::Store& store;
  CatalogClient& catalog;
  WarehouseClient& warehouse;
  PaymentsClient& payments;
  // on: catalog failures fall back to the product cache (items marked
  // price_pending, the response in degraded_mode); off: they fail the call.
  bool resilient = false;
};

// The course's midterm API, per user, in the same store ("usercart/{user_id}"):
// POST /cart/{user_id}/add {product_id, quantity} -> 200 the cart,
// GET /cart/{user_id} -> 200 the cart (every item's price fetched again),
// DELETE /cart/{user_id} -> 204. The cart JSON: {"user_id", "items":
// [{product_id, name, quantity, price, price_pending}], "total",
// "degraded_mode", "circuit_breaker"}. user_id: 1-100 of [A-Za-z0-9_.-].
struct UserItem {
  std::int32_t product_id = 0;
  std::int32_t quantity = 0;
};
std::string user_items_to_json(const std::vector<UserItem>& items);
Result<std::vector<UserItem>> user_items_from_json(std::string_view json);

// REQUIRES: everything in deps outlives the router's use.
void register_routes(http::Router& router, Deps deps);

}  // namespace scalelab::carts
