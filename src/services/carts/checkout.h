// The checkout use case: reserve every item at the warehouse, charge the card
// at payments, ship what was reserved; when a reserve or the charge fails,
// release what was reserved (the undo) and say why. It knows its
// collaborators only through the two interfaces below (carts' HTTP clients
// implement them; tests use fakes), and nothing of carts' store: claiming
// and reopening the cart are the caller's.
// Thread-safety: checkout() keeps no state; the interfaces' implementations
// must be safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "services/carts/cart.h"

namespace scalelab::carts {

// A downstream's refusal, passed on to carts' caller as it was answered
// (status and Error body): out of stock, unknown product, card declined.
struct Rejection {
  unsigned status = 0;
  std::string body;
};

enum class StepKind {
  kDone,
  kRejected,  // the downstream refused: rejection holds its answer
  kFault,     // unavailable, timed out, or an answer the contract does not allow: fault says which
};

// One step of a checkout as the downstream answered it.
struct StepOutcome {
  StepKind kind = StepKind::kDone;
  Rejection rejection;         // kRejected
  Error fault;                 // kFault
  std::string transaction_id;  // a charge that is kDone
};

// Stock at the warehouse.
class Inventory {
 public:
  virtual ~Inventory() = default;
  virtual boost::asio::awaitable<StepOutcome> reserve(std::int32_t product_id, std::int32_t quantity) = 0;
  virtual boost::asio::awaitable<StepOutcome> ship(std::int32_t product_id, std::int32_t quantity) = 0;
  virtual boost::asio::awaitable<StepOutcome> release(std::int32_t product_id, std::int32_t quantity) = 0;
};

// Payments; a charge is idempotent per cart (a retry never charges twice).
class PaymentGateway {
 public:
  virtual ~PaymentGateway() = default;
  virtual boost::asio::awaitable<StepOutcome> charge(std::string card_number, std::int32_t shopping_cart_id) = 0;
};

enum class CheckoutResult {
  kPaid,      // reserved, charged and shipped (a failed ship is logged: the units stay reserved, the order stands)
  kRejected,  // a reserve or the charge was refused; what was reserved is released
  kFault,     // a reserve or the charge failed; what was reserved is released
};

struct CheckoutOutcome {
  CheckoutResult result = CheckoutResult::kPaid;
  std::string transaction_id;  // kPaid
  Rejection rejection;         // kRejected
  Error fault;                 // kFault
};

// Runs reserve -> charge -> ship for the items of cart shopping_cart_id.
// Undo is best effort: a release that fails is logged, not retried.
// REQUIRES: items is not empty.
boost::asio::awaitable<CheckoutOutcome> checkout(std::vector<Item> items, std::string card_number,
                                                 std::int32_t shopping_cart_id, Inventory& inventory,
                                                 PaymentGateway& payments);

}  // namespace scalelab::carts
