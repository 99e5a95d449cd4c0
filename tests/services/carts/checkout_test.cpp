// The checkout use case over fake Inventory and PaymentGateway: the order of
// the steps, and the undo (release of what was reserved) after a refusal or
// a fault at each step.
#include "services/carts/checkout.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/run_blocking.h"

namespace {

using namespace scalelab;
using namespace scalelab::carts;

StepOutcome refused(unsigned status, std::string body) { return {StepKind::kRejected, {status, std::move(body)}, {}, {}}; }
StepOutcome broken(std::string message) {
  return {StepKind::kFault, {}, Error{ErrorKind::kUnavailable, std::move(message)}, {}};
}

// Records every call as "reserve 1x2"; answers from per-call scripts
// (default: done).
class FakeInventory : public Inventory {
 public:
  std::vector<std::string> calls;
  std::map<std::string, StepOutcome> answers;  // "reserve 2x1" -> outcome

  boost::asio::awaitable<StepOutcome> reserve(std::int32_t id, std::int32_t q) override { co_return step("reserve", id, q); }
  boost::asio::awaitable<StepOutcome> ship(std::int32_t id, std::int32_t q) override { co_return step("ship", id, q); }
  boost::asio::awaitable<StepOutcome> release(std::int32_t id, std::int32_t q) override { co_return step("release", id, q); }

 private:
  StepOutcome step(std::string verb, std::int32_t id, std::int32_t q) {
    std::string call = verb + " " + std::to_string(id) + "x" + std::to_string(q);
    calls.push_back(call);
    auto it = answers.find(call);
    return it == answers.end() ? StepOutcome{} : it->second;
  }
};

class FakePayments : public PaymentGateway {
 public:
  std::vector<std::string> charges;  // "card cart"
  StepOutcome answer{StepKind::kDone, {}, {}, "txn-1"};

  boost::asio::awaitable<StepOutcome> charge(std::string card, std::int32_t cart) override {
    charges.push_back(card + " " + std::to_string(cart));
    co_return answer;
  }
};

class CheckoutUseCase : public ::testing::Test {
 protected:
  CheckoutOutcome run() {
    return run_blocking(checkout({{1, 2}, {2, 1}, {3, 5}}, "4111111111111111", 42, inventory, payments));
  }
  FakeInventory inventory;
  FakePayments payments;
};

using Calls = std::vector<std::string>;

TEST_F(CheckoutUseCase, ReservesEveryItemThenChargesThenShipsEveryItem) {
  auto out = run();
  EXPECT_EQ(out.result, CheckoutResult::kPaid);
  EXPECT_EQ(out.transaction_id, "txn-1");
  EXPECT_EQ(inventory.calls, (Calls{"reserve 1x2", "reserve 2x1", "reserve 3x5", "ship 1x2", "ship 2x1", "ship 3x5"}));
  EXPECT_EQ(payments.charges, (Calls{"4111111111111111 42"}));
}

TEST_F(CheckoutUseCase, FirstReserveRefusedReleasesNothingAndRelaysTheRefusal) {
  inventory.answers["reserve 1x2"] = refused(409, R"({"error":"INSUFFICIENT_STOCK"})");
  auto out = run();
  EXPECT_EQ(out.result, CheckoutResult::kRejected);
  EXPECT_EQ(out.rejection.status, 409u);
  EXPECT_EQ(out.rejection.body, R"({"error":"INSUFFICIENT_STOCK"})");
  EXPECT_EQ(inventory.calls, (Calls{"reserve 1x2"}));
  EXPECT_TRUE(payments.charges.empty());
}

TEST_F(CheckoutUseCase, LaterReserveRefusedReleasesTheEarlierReservations) {
  inventory.answers["reserve 3x5"] = refused(404, "{}");
  auto out = run();
  EXPECT_EQ(out.result, CheckoutResult::kRejected);
  EXPECT_EQ(out.rejection.status, 404u);
  EXPECT_EQ(inventory.calls, (Calls{"reserve 1x2", "reserve 2x1", "reserve 3x5", "release 1x2", "release 2x1"}));
  EXPECT_TRUE(payments.charges.empty());
}

TEST_F(CheckoutUseCase, ReserveFaultReleasesTheEarlierReservationsAndReportsTheFault) {
  inventory.answers["reserve 2x1"] = broken("warehouse answered 500");
  auto out = run();
  EXPECT_EQ(out.result, CheckoutResult::kFault);
  EXPECT_EQ(out.fault.message, "warehouse answered 500");
  EXPECT_EQ(inventory.calls, (Calls{"reserve 1x2", "reserve 2x1", "release 1x2"}));
  EXPECT_TRUE(payments.charges.empty());
}

TEST_F(CheckoutUseCase, DeclinedChargeReleasesEveryReservationAndShipsNothing) {
  payments.answer = refused(402, R"({"error":"PAYMENT_DECLINED"})");
  auto out = run();
  EXPECT_EQ(out.result, CheckoutResult::kRejected);
  EXPECT_EQ(out.rejection.status, 402u);
  EXPECT_EQ(inventory.calls, (Calls{"reserve 1x2", "reserve 2x1", "reserve 3x5", "release 1x2", "release 2x1",
                                    "release 3x5"}));
}

TEST_F(CheckoutUseCase, ChargeFaultReleasesEveryReservationAndReportsTheFault) {
  payments.answer = broken("timed out");
  auto out = run();
  EXPECT_EQ(out.result, CheckoutResult::kFault);
  EXPECT_EQ(out.fault.message, "timed out");
  EXPECT_EQ(inventory.calls, (Calls{"reserve 1x2", "reserve 2x1", "reserve 3x5", "release 1x2", "release 2x1",
                                    "release 3x5"}));
}

TEST_F(CheckoutUseCase, FailedReleaseDoesNotStopTheUndoNorHideTheCause) {
  payments.answer = refused(402, "{}");
  inventory.answers["release 1x2"] = broken("down");
  auto out = run();
  EXPECT_EQ(out.result, CheckoutResult::kRejected);
  EXPECT_EQ(out.rejection.status, 402u);
  EXPECT_EQ(inventory.calls, (Calls{"reserve 1x2", "reserve 2x1", "reserve 3x5", "release 1x2", "release 2x1",
                                    "release 3x5"}));
}

TEST_F(CheckoutUseCase, FailedShipLeavesTheOrderPaidAndReleasesNothing) {
  inventory.answers["ship 2x1"] = broken("down");
  auto out = run();
  EXPECT_EQ(out.result, CheckoutResult::kPaid);
  EXPECT_EQ(inventory.calls, (Calls{"reserve 1x2", "reserve 2x1", "reserve 3x5", "ship 1x2", "ship 2x1", "ship 3x5"}));
}

}  // namespace
