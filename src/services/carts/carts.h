// carts' routes (hw5 and the course's midterm API): they translate HTTP to
// the cart model (cart.h), the checkout use case (checkout.h), the records
// (cart_store.h) and product lookups (products.h), and back.
//
// hw5: POST /shopping-carts {customer_id} -> 201 {shopping_cart_id},
// POST /shopping-carts/{id}/items {product_id, quantity} -> 204,
// GET /shopping-carts/{id} -> 200 the cart with each item's product details,
// POST /shopping-carts/{id}/checkout {credit_card_number} -> 200 {order_id}.
//
// The course's midterm API, per user, in the same store:
// POST /cart/{user_id}/add {product_id, quantity} -> 200 the cart,
// GET /cart/{user_id} -> 200 the cart (every item's price fetched again),
// DELETE /cart/{user_id} -> 204. The cart JSON: {"user_id", "items":
// [{product_id, name, quantity, price, price_pending}], "total",
// "degraded_mode", "circuit_breaker"}. user_id: 1-100 of [A-Za-z0-9_.-].
//
// Both APIs add items through one path (validation, product lookup, the
// model's add_item under compare-and-set) and look products up through one
// path: with resilience off a catalog fault fails the request (503); on, the
// catalog's Policy bounds the wait and a fault falls back to the cache of
// recently seen products (or an unknown product), the item marked
// price_pending and the answer in degraded_mode with the breaker's state
// (in the body; as X-Degraded-Mode / X-Circuit-Breaker headers on a 204).
// Checkout needs no product: a failing catalog does not stop it.
//
// A checkout claims the cart (open -> checking_out), runs the use case
// (reserve -> charge -> ship, undo on failure) and ends checked_out with an
// order_id, or open again. It is idempotent: a checked-out cart answers with
// its order_id again; payments is idempotent per cart, so a retried checkout
// after a lost answer never charges twice. A new cart and every status
// change of a checkout are durable writes (cart_store.h says why); item adds
// are plain. Status mapping: docs/shop.md.
// Thread-safety: handlers are stateless; Store and clients are thread-safe.
#pragma once

#include "http/router.h"
#include "services/carts/cart.h"
#include "services/carts/checkout.h"
#include "services/carts/downstream.h"
#include "store/store.h"

namespace scalelab::carts {

struct Deps {
  store::Store& store;
  CatalogClient& catalog;
  Inventory& warehouse;
  PaymentGateway& payments;
  // on: catalog failures fall back to the product cache (items marked
  // price_pending, the response in degraded_mode); off: they fail the call.
  bool resilient = false;
};

// REQUIRES: everything in deps outlives the router's use.
void register_routes(http::Router& router, Deps deps);

}  // namespace scalelab::carts
