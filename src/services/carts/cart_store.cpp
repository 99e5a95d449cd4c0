#include "services/carts/cart_store.h"

#include <stdexcept>

#include <fmt/format.h>

#include "services/common/validation.h"

namespace scalelab::carts {

namespace {

constexpr std::string_view kService = "carts";  // in store-failure messages
constexpr std::string_view kNextIdKey = "cart/next_id";
// Ids a creation may find taken before it gives up: only a counter that went
// back at a failover issues taken ids, at most as many as it lost.
constexpr int kMaxTakenIds = 64;
// Writes of a checkout's status change before it gives up (503): the first
// may break with the primary, the next waits for the new one, whose other
// replica may take a few seconds (a WAIT each) to follow it.
constexpr int kTransitionAttempts = 4;

std::string encode(const CartRef& ref, const Cart& cart) {
  return ref.api == CartRef::Api::kShoppingCart ? cart_to_json(cart) : items_to_json(cart.items);
}

Result<Cart> decode(const CartRef& ref, std::string_view json) {
  if (ref.api == CartRef::Api::kShoppingCart) return cart_from_json(json);
  auto items = items_from_json(json);
  if (!items) return items.error();
  return Cart{0, 0, CartStatus::kOpen, std::move(*items), {}};
}

}  // namespace

std::string CartRef::key() const {
  return api == Api::kShoppingCart ? fmt::format("cart/{}", id) : "usercart/" + user;
}

boost::asio::awaitable<std::optional<StoredCart>> load_cart(store::Store& store, CartRef ref) {
  auto got = co_await store.get(ref.key());
  if (!got) services::throw_store_failure(kService, got.error());
  if (!*got) {
    if (ref.api == CartRef::Api::kShoppingCart) co_return std::nullopt;
    co_return StoredCart{};
  }
  auto cart = decode(ref, **got);
  if (!cart) throw std::runtime_error(fmt::format("corrupt cart {}: {}", ref.key(), cart.error().message));
  co_return StoredCart{std::move(*cart), std::move(**got)};
}

boost::asio::awaitable<bool> replace_cart(store::Store& store, CartRef ref, std::optional<std::string> from,
                                          const Cart& to) {
  auto swapped = co_await store.compare_and_set(ref.key(), std::move(from), encode(ref, to));
  if (!swapped) services::throw_store_failure(kService, swapped.error());
  co_return *swapped;
}

boost::asio::awaitable<bool> store_transition(store::Store& store, CartRef ref, std::string from, const Cart& to) {
  const std::string key = ref.key(), target = encode(ref, to);
  std::optional<Error> failed;  // the last attempt's error: that attempt may have been applied
  for (int attempt = 0; attempt < kTransitionAttempts; ++attempt) {
    auto moved = co_await store.compare_and_set_durable(key, from, target);
    if (!moved) {
      failed = moved.error();
      continue;
    }
    if (*moved) co_return true;
    if (!failed) co_return false;  // nothing of this checkout's was applied: someone else's change
    auto again = co_await store.compare_and_set_durable(key, target, target);
    if (!again) {
      failed = again.error();
      continue;
    }
    co_return *again;
  }
  services::throw_store_failure(kService, *failed);
}

boost::asio::awaitable<std::int32_t> create_cart(store::Store& store, std::int32_t customer_id) {
  for (int taken = 0; taken < kMaxTakenIds; ++taken) {
    auto next = co_await store.increment(kNextIdKey, 1);
    if (!next) services::throw_store_failure(kService, next.error());
    if (*next > services::kInt32Max) throw std::runtime_error("cart ids exhausted");
    Cart cart{static_cast<std::int32_t>(*next), customer_id, CartStatus::kOpen, {}, {}};
    auto stored = co_await store.put_if_absent_durable(CartRef::shopping_cart(cart.id).key(), cart_to_json(cart));
    if (!stored) services::throw_store_failure(kService, stored.error());
    if (*stored) co_return cart.id;
  }
  throw std::runtime_error(fmt::format("{} cart ids in a row were taken", kMaxTakenIds));
}

boost::asio::awaitable<void> erase_cart(store::Store& store, CartRef ref) {
  auto erased = co_await store.erase(ref.key());
  if (!erased) services::throw_store_failure(kService, erased.error());
}

}  // namespace scalelab::carts
