// Where carts keep their records, one codec each: hw5's shopping carts at
// "cart/{id}" (ids from the counter "cart/next_id") and the course's
// per-user carts at "usercart/{user}". A record changes only by
// compare-and-set against the text it was read as, so instances sharing a
// store never lose an update. Store faults throw 503 (services' mapping);
// a record that cannot be decoded throws (500: a broken invariant).
// Thread-safety: stateless functions over a thread-safe Store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "services/carts/cart.h"
#include "store/store.h"

namespace scalelab::carts {

// Which cart a request is about.
struct CartRef {
  enum class Api { kShoppingCart, kUserCart };
  Api api = Api::kShoppingCart;
  std::int32_t id = 0;  // kShoppingCart
  std::string user;     // kUserCart

  static CartRef shopping_cart(std::int32_t id) { return {Api::kShoppingCart, id, {}}; }
  static CartRef user_cart(std::string user) { return {Api::kUserCart, 0, std::move(user)}; }
  std::string key() const;
};

// A cart as read, with the stored text compare-and-set expects (nullopt: not
// stored yet, which a user's cart may be).
struct StoredCart {
  Cart cart;
  std::optional<std::string> json;
};

// The cart, or nullopt when a shopping cart does not exist. A user's cart
// always exists (empty until something is added).
boost::asio::awaitable<std::optional<StoredCart>> load_cart(store::Store& store, CartRef ref);

// Stores `to` if the record is still `from`. True when stored.
boost::asio::awaitable<bool> replace_cart(store::Store& store, CartRef ref, std::optional<std::string> from,
                                          const Cart& to);

// A new open shopping cart for customer; returns its id.
boost::asio::awaitable<std::int32_t> create_cart(store::Store& store, std::int32_t customer_id);

// DELETE of a user's cart (absent is fine).
boost::asio::awaitable<void> erase_cart(store::Store& store, CartRef ref);

}  // namespace scalelab::carts
