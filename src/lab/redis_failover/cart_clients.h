// The carts side of the Redis failover experiment: shoppers that create a
// shopping cart, add items and check out, each request retried until it
// succeeds (a checkout is idempotent per cart), and the check afterwards of
// what the store still holds of what they were answered.
// Thread-safety: CartClients is safe from any thread; check_carts is a
// blocking call over a thread-safe Store.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/thread_annotations.h"
#include "http/client.h"
#include "lab/redis_failover/probe.h"
#include "store/store.h"

namespace scalelab::lab::failover {

// One cart as its shopper was answered.
struct CartSeen {
  std::int32_t id = 0;
  std::map<std::int32_t, std::int32_t> items;  // product -> quantity of the adds answered 204
  std::string order_id;                        // the checkout answered 200 with it; empty: not paid
  bool stuck = false;                          // the checkout was answered 409 (e.g. the cart left claimed)
};

class CartClients {
 public:
  static constexpr int kItemsPerCart = 2;

  // The carts service (hw5's shopping-cart API) on 127.0.0.1:port; shoppers
  // buy products first_product..last_product. REQUIRES: first <= last.
  CartClients(std::uint16_t port, std::int32_t first_product, std::int32_t last_product, Timeline& timeline);

  // One shopper's loop, until `stop`; run each on its own thread.
  void run(int client, const std::atomic<bool>& stop);

  std::vector<CartSeen> carts() const;
  std::size_t paid_count() const;
  std::uint64_t refused() const { return refused_.load(); }  // answers that were retried

 private:
  // POSTs `body` to `target` until answered `expected` (each failure retried
  // after a pause); false when stopped first or answered 409.
  bool post_until(http::BlockingClient& client, const std::string& target, const std::string& body, unsigned expected,
                  std::string& answer_body, const std::atomic<bool>& stop);
  void shop_once(http::BlockingClient& client, int shopper, const std::atomic<bool>& stop);

  const std::uint16_t port_;
  const std::int32_t first_product_;
  const std::int32_t products_;
  Timeline& timeline_;
  std::atomic<std::uint64_t> refused_{0};
  mutable core::Mutex mu_;
  std::vector<CartSeen> carts_ GUARDED_BY(mu_);
};

// What the store holds of the carts their shoppers were answered for.
struct CartCheck {
  std::size_t created = 0;          // carts answered 201 (durable: must all survive)
  std::size_t created_lost = 0;     // ... with no record
  std::size_t paid = 0;             // checkouts answered 200 (durable: must all survive)
  std::size_t paid_lost = 0;        // ... whose cart is not checked out with that order
  std::size_t paid_uncharged = 0;   // ... with no charge at payments
  std::size_t stuck = 0;            // checkouts answered 409 (not retried)
  std::size_t adds = 0;             // item adds answered 204 (plain: may be lost)
  std::size_t adds_lost = 0;        // ... whose quantity is not in the stored cart
  std::size_t lost_durable() const { return created_lost + paid_lost + paid_uncharged; }
};
Result<CartCheck> check_carts(store::Store& store, const std::vector<CartSeen>& carts);

}  // namespace scalelab::lab::failover
