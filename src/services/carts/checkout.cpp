#include "services/carts/checkout.h"

#include <spdlog/spdlog.h>

namespace scalelab::carts {

namespace {

namespace asio = boost::asio;

// The undo: returns the first `count` items' reservations to stock.
asio::awaitable<void> release_reserved(const std::vector<Item>& items, std::size_t count, std::int32_t cart_id,
                                       Inventory& inventory) {
  for (std::size_t i = 0; i < count; ++i) {
    auto released = co_await inventory.release(items[i].product_id, items[i].quantity);
    if (released.kind != StepKind::kDone)
      spdlog::warn("carts: cart {}: cannot release {} x product {}", cart_id, items[i].quantity,
                   items[i].product_id);
  }
}

CheckoutOutcome failed(StepOutcome step) {
  CheckoutOutcome out;
  if (step.kind == StepKind::kRejected) {
    out.result = CheckoutResult::kRejected;
    out.rejection = std::move(step.rejection);
  } else {
    out.result = CheckoutResult::kFault;
    out.fault = std::move(step.fault);
  }
  return out;
}

// Charged: ship what was reserved. A failed ship leaves the units reserved
// (not lost) and is logged; the order stands.
asio::awaitable<void> ship_all(const std::vector<Item>& items, std::int32_t cart_id, Inventory& inventory) {
  for (const Item& item : items) {
    auto shipped = co_await inventory.ship(item.product_id, item.quantity);
    if (shipped.kind != StepKind::kDone)
      spdlog::warn("carts: cart {}: ship of {} x product {} failed; left reserved", cart_id, item.quantity,
                   item.product_id);
  }
}

}  // namespace

asio::awaitable<CheckoutOutcome> checkout(std::vector<Item> items, std::string card_number,
                                          std::int32_t shopping_cart_id, Inventory& inventory,
                                          PaymentGateway& payments) {
  for (std::size_t reserved = 0; reserved < items.size(); ++reserved) {
    auto step = co_await inventory.reserve(items[reserved].product_id, items[reserved].quantity);
    if (step.kind == StepKind::kDone) continue;
    co_await release_reserved(items, reserved, shopping_cart_id, inventory);
    co_return failed(std::move(step));
  }
  auto paid = co_await payments.charge(std::move(card_number), shopping_cart_id);
  if (paid.kind != StepKind::kDone) {
    co_await release_reserved(items, items.size(), shopping_cart_id, inventory);
    co_return failed(std::move(paid));
  }
  co_await ship_all(items, shopping_cart_id, inventory);
  co_return CheckoutOutcome{CheckoutResult::kPaid, std::move(paid.transaction_id), {}, {}};
}

}  // namespace scalelab::carts
