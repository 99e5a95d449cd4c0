// carts' records under store faults: a checkout's status change that fails
// (applied or not, as a command in flight at a Redis failover) is tried
// again until it is stored durably, and a new cart skips ids taken already
// (a counter that went back at a failover).
#include "services/carts/cart_store.h"

#include <gtest/gtest.h>

#include <string>

#include "core/run_blocking.h"
#include "http/message.h"
#include "store/memory_store.h"

namespace {

using namespace scalelab;
using namespace scalelab::carts;

// A MemoryStore whose next `failures` durable compare-and-sets fail with
// kUnavailable, applied first when `applied` (the connection broke after
// the server took the write) or not; counts the durable ones.
class FlakyStore final : public store::Store {
 public:
  int failures = 0;
  bool applied = false;
  int durable_writes = 0;

  boost::asio::awaitable<Result<std::optional<std::string>>> get(std::string_view key) override {
    co_return co_await inner_.get(key);
  }
  boost::asio::awaitable<Status> put(std::string_view key, std::string value) override {
    co_return co_await inner_.put(key, std::move(value));
  }
  boost::asio::awaitable<Result<bool>> put_if_absent(std::string_view key, std::string value) override {
    co_return co_await inner_.put_if_absent(key, std::move(value));
  }
  boost::asio::awaitable<Result<bool>> erase(std::string_view key) override { co_return co_await inner_.erase(key); }
  boost::asio::awaitable<Result<std::vector<store::KeyValue>>> scan(std::string_view prefix) override {
    co_return co_await inner_.scan(prefix);
  }
  boost::asio::awaitable<Result<std::int64_t>> increment(std::string_view key, std::int64_t delta,
                                                         std::int64_t absent_as) override {
    co_return co_await inner_.increment(key, delta, absent_as);
  }
  boost::asio::awaitable<Result<store::Decrement>> decrement_with_floor(std::string_view key, std::int64_t amount,
                                                                        std::int64_t absent_as) override {
    co_return co_await inner_.decrement_with_floor(key, amount, absent_as);
  }
  boost::asio::awaitable<Result<bool>> compare_and_set(std::string_view key, std::optional<std::string> expected,
                                                       std::string value) override {
    co_return co_await inner_.compare_and_set(key, std::move(expected), std::move(value));
  }
  boost::asio::awaitable<Result<bool>> compare_and_set_durable(std::string_view key,
                                                               std::optional<std::string> expected,
                                                               std::string value) override {
    ++durable_writes;
    if (failures == 0) co_return co_await inner_.compare_and_set(key, std::move(expected), std::move(value));
    --failures;
    if (applied) (void)co_await inner_.compare_and_set(key, std::move(expected), std::move(value));
    co_return Error{ErrorKind::kUnavailable, "connection broke"};
  }
  std::string describe() const override { return "flaky"; }

 private:
  store::MemoryStore inner_;
};

const CartRef kRef = CartRef::shopping_cart(7);

Cart with_status(CartStatus status) {
  Cart c{7, 1, status, {{3, 1}}, {}};
  if (status == CartStatus::kCheckedOut) c.order_id = "order-1";
  return c;
}

// A claimed cart in `s`; returns the claim's text.
[[maybe_unused]] std::string claim(FlakyStore& s) {
  std::string claimed = cart_to_json(with_status(CartStatus::kCheckingOut));
  EXPECT_TRUE(run_blocking(s.put(kRef.key(), claimed)).ok());
  return claimed;
}

CartStatus stored_status(FlakyStore& s) {
  auto got = run_blocking(s.get(kRef.key()));
  return cart_from_json(**got)->status;
}

TEST(CartStore, PaidCartWhoseWriteFailedUnappliedIsWrittenAgain) {
  FlakyStore s;
  auto claimed = claim(s);
  s.failures = 1;
  EXPECT_TRUE(run_blocking(store_transition(s, kRef, claimed, with_status(CartStatus::kCheckedOut))));
  EXPECT_EQ(stored_status(s), CartStatus::kCheckedOut);
}

TEST(CartStore, PaidCartWhoseFailedWriteWasAppliedIsWrittenDurablyOverItself) {
  FlakyStore s;
  auto claimed = claim(s);
  s.failures = 1;
  s.applied = true;
  EXPECT_TRUE(run_blocking(store_transition(s, kRef, claimed, with_status(CartStatus::kCheckedOut))));
  EXPECT_EQ(stored_status(s), CartStatus::kCheckedOut);
  EXPECT_EQ(s.durable_writes, 3);  // failed, found not the claim, acknowledged over itself
}

TEST(CartStore, PaidCartFailsUnavailableWhenEveryAttemptFails) {
  FlakyStore s;
  auto claimed = claim(s);
  s.failures = 100;
  EXPECT_THROW(run_blocking(store_transition(s, kRef, claimed, with_status(CartStatus::kCheckedOut))),
               http::HttpError);
  EXPECT_EQ(stored_status(s), CartStatus::kCheckingOut);
}

TEST(CartStore, PaidCartIsNotStoredOverACartSomeoneElseChanged) {
  FlakyStore s;
  auto claimed = claim(s);
  ASSERT_TRUE(run_blocking(s.put(kRef.key(), cart_to_json(with_status(CartStatus::kOpen)))).ok());
  EXPECT_FALSE(run_blocking(store_transition(s, kRef, claimed, with_status(CartStatus::kCheckedOut))));
  EXPECT_EQ(stored_status(s), CartStatus::kOpen);
}

TEST(CartStore, ClaimIsNotTakenOverFromAnIdenticalClaimWithoutAFailure) {
  FlakyStore s;
  claim(s);  // a concurrent checkout's claim
  const std::string open = cart_to_json(with_status(CartStatus::kOpen));
  EXPECT_FALSE(run_blocking(store_transition(s, kRef, open, with_status(CartStatus::kCheckingOut))));
  EXPECT_EQ(s.durable_writes, 1);
}

TEST(CartStore, NewCartSkipsAnIdTakenAlready) {
  FlakyStore s;
  // The counter lost its increment at a failover; cart 1 survived.
  ASSERT_TRUE(run_blocking(s.put("cart/1", cart_to_json(Cart{1, 5, CartStatus::kOpen, {}, {}}))).ok());
  EXPECT_EQ(run_blocking(create_cart(s, 9)), 2);
  EXPECT_EQ(cart_from_json(**run_blocking(s.get("cart/1")))->customer_id, 5);
}

}  // namespace
