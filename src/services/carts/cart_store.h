// Where carts keep their records, one codec each: hw5's shopping carts at
// "cart/{id}" (ids from the counter "cart/next_id") and the course's
// per-user carts at "usercart/{user}". A record changes only by
// compare-and-set against the text it was read as, so instances sharing a
// store never lose an update. Store faults throw 503 (services' mapping);
// a record that cannot be decoded throws (500: a broken invariant).
//
// Which writes are durable (on a replica before they return, so a Redis
// failover cannot lose them; plain calls on stores without replicas):
//  - a new shopping cart: its id was answered 201, and a lost record would
//    let a regressed id counter hand the same id to another customer;
//  - every status change of a checkout (claim, checked out, reopen): the
//    checked-out cart was answered 200 with its order and payments holds its
//    charge (lost, the paid cart would be open again); a lost claim or
//    reopen would leave the checkout's next write failing against a record
//    that went back, a paid cart open or an open one stuck claimed.
// Item adds and users' carts are plain: an add lost at a failover is the
// customer's to repeat, and adds are the hot path (a checkout is rare).
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

// Stores `to` if the record is still `from` (a plain write). True when stored.
boost::asio::awaitable<bool> replace_cart(store::Store& store, CartRef ref, std::optional<std::string> from,
                                          const Cart& to);

// A checkout's status change: stores `to` if the record is still `from`,
// durably. A write that failed (its connection broke at a failover, or no
// replica acknowledged it in time: either way it may have been applied) is
// tried again, bounded: over `from`, or, when the record is `to` already,
// over itself so that a replica acknowledges it. One failed command thus
// leaves no paid cart claimed and no claim unowned. False when the record
// is neither `from` nor, after a failed attempt, `to` (someone else changed
// it). After a failed claim, an identical claim by a concurrent checkout of
// the same cart would be taken for this one's.
boost::asio::awaitable<bool> store_transition(store::Store& store, CartRef ref, std::string from, const Cart& to);

// A new open shopping cart for customer, stored durably; returns its id. An
// id whose record exists already (the counter went back at a failover,
// having lost increments) is skipped.
boost::asio::awaitable<std::int32_t> create_cart(store::Store& store, std::int32_t customer_id);

// DELETE of a user's cart (absent is fine).
boost::asio::awaitable<void> erase_cart(store::Store& store, CartRef ref);

}  // namespace scalelab::carts
