// The cost model of functions vs always-on tasks at the course's prices,
// against numbers computed by hand (docs/orders.md shows the arithmetic).
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "services/orders/functions.h"

namespace scalelab::orders {
namespace {

TEST(MonthlyCost, ChargesGbSecondsBeyondTheFreeTierAtTheCoursesPrices) {
  // 1M orders x 3 s x 0.5 GB = 1.5M GB-s; 1.1M beyond the free 400K.
  auto c = monthly_cost(1e6, 3.0, 512);
  EXPECT_DOUBLE_EQ(c.requests, 1e6);
  EXPECT_DOUBLE_EQ(c.gb_seconds, 1.5e6);
  EXPECT_NEAR(c.functions_usd, 1.1e6 * 0.0000166667, 1e-9);  // $18.33337; the 1M requests are free
  EXPECT_NEAR(c.functions_usd, 18.33337, 1e-9);
  EXPECT_DOUBLE_EQ(c.tasks_usd, 17.0);
}

TEST(MonthlyCost, IsFreeUpToBothFreeTiersAndChargesTheFirstUnitBeyond) {
  // 1M requests x 0.4 s x 1 GB = exactly 400K GB-s: both tiers used up, nothing owed.
  EXPECT_DOUBLE_EQ(monthly_cost(1e6, 0.4, 1024).functions_usd, 0.0);
  // One more request: 1 request ($0.0000002) and 0.4 GB-s ($0.00000666668) beyond.
  EXPECT_NEAR(monthly_cost(1e6 + 1, 0.4, 1024).functions_usd, 2e-7 + 0.4 * 0.0000166667, 1e-12);
  EXPECT_DOUBLE_EQ(monthly_cost(0, 3.0, 512).functions_usd, 0.0);
  EXPECT_DOUBLE_EQ(monthly_cost(0, 3.0, 512).tasks_usd, 17.0);
}

TEST(MonthlyCost, ChargesRequestsBeyondTheFreeMillionWhenGbSecondsStayFree) {
  // 3M x 1 ms x 128 MB = 375 GB-s (free); 2M requests beyond the tier at $0.20/M.
  auto c = monthly_cost(3e6, 0.001, 128);
  EXPECT_DOUBLE_EQ(c.gb_seconds, 375.0);
  EXPECT_NEAR(c.functions_usd, 0.40, 1e-12);
}

TEST(BreakEven, ForTheCoursesThreeSecondFunctionIsUnderAMillionOrdersAMonth) {
  // The free GB-s cover 400K / 1.5 = 266,666.67 orders; then $0.000025 an
  // order (1.5 GB-s) reaches $17 after 680K more, before the free requests run out.
  double r = break_even_requests(3.0, 512);
  EXPECT_NEAR(r, 400'000.0 / 1.5 + 17.0 / (1.5 * 0.0000166667), 1e-6);
  EXPECT_NEAR(r, 946'665.31, 0.01);
  EXPECT_NEAR(monthly_cost(r, 3.0, 512).functions_usd, 17.0, 1e-9);
  EXPECT_LT(monthly_cost(r * 0.99, 3.0, 512).functions_usd, 17.0);
  EXPECT_GT(monthly_cost(r * 1.01, 3.0, 512).functions_usd, 17.0);
}

TEST(BreakEven, PastBothFreeTiersAddsBothRates) {
  // 100 ms at 128 MB = 0.0125 GB-s an order: GB-s free up to 32M orders, when
  // requests cost 31M x $0.0000002 = $6.20; then $0.0000002 + $0.000000208334
  // an order for the remaining $10.80.
  double r = break_even_requests(0.1, 128);
  EXPECT_NEAR(r, 32e6 + 10.8 / (2e-7 + 0.0125 * 0.0000166667), 1e-3);
  EXPECT_NEAR(r, 58'448'952.6, 0.1);
  EXPECT_NEAR(monthly_cost(r, 0.1, 128).functions_usd, 17.0, 1e-9);
}

TEST(BreakEven, WithFreeComputeOnlyRequestsCount) {
  Prices p;
  p.per_gb_second_usd = 0;
  EXPECT_NEAR(break_even_requests(3.0, 512, p), 1e6 + 17.0 / 2e-7, 1e-3);  // 86M
}

TEST(BreakEven, IsInfiniteWhenFunctionsCostNothingAndZeroWhenTasksDo) {
  Prices free_functions;
  free_functions.per_gb_second_usd = 0;
  free_functions.per_million_requests_usd = 0;
  EXPECT_TRUE(std::isinf(break_even_requests(3.0, 512, free_functions)));
  EXPECT_TRUE(std::isinf(break_even_requests(0.0, 512, Prices{.per_million_requests_usd = 0})));
  Prices free_tasks;
  free_tasks.task_month_usd = 0;
  EXPECT_DOUBLE_EQ(break_even_requests(3.0, 512, free_tasks), 0.0);
}

TEST(DescribeRun, ScalesTheObservedRateToAMonthAndNamesTheBreakEven) {
  FunctionStats s;
  s.invocations = 100;
  s.cold_starts = 10;
  s.completed = 100;
  s.billed_ms = 300'000;  // 3 s each
  s.gb_seconds = gb_seconds(s.billed_ms, 512);
  // 100 in 100 s: 1/s, 2.628M a month x 1.5 GB-s = 3.942M GB-s; 3.542M beyond
  // the tier ($59.03) + 1.628M requests beyond ($0.33) = $59.36.
  std::string text = describe_run(s, std::chrono::seconds(100), 512);
  EXPECT_NE(text.find("10 cold starts (10.0%)"), std::string::npos) << text;
  EXPECT_NE(text.find("2628000 a month"), std::string::npos) << text;
  EXPECT_NE(text.find("functions $59.36/month"), std::string::npos) << text;
  EXPECT_NE(text.find("$17.00/month"), std::string::npos) << text;
  EXPECT_NE(text.find("break-even 946665 invocations a month"), std::string::npos) << text;
}

}  // namespace
}  // namespace scalelab::orders
