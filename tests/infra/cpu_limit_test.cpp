#include "infra/cpu_limit.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "infra/process.h"

namespace scalelab::infra {
namespace {

using namespace std::chrono_literals;

// A busy loop held to a quarter core uses about a quarter of the wall time,
// and the group accounts for it. Skipped where no cgroup can be written.
TEST(CpuLimit, AQuarterCoreQuotaHoldsABusyLoopToAboutAQuarterAndCountsItsCpuTime) {
  auto busy = Process::spawn({.argv = {"sh", "-c", "while :; do :; done"}});
  ASSERT_TRUE(busy.ok()) << busy.error().message;
  auto limit = CpuLimit::apply(busy->pid(), 0.25, "scalelab-cpu-limit-test");
  if (!limit.ok()) GTEST_SKIP() << limit.error().message;
  const auto before = (*limit)->usage();
  ASSERT_TRUE(before.has_value()) << "no CPU accounting for " << (*limit)->how();
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(2s);
  const auto used = *(*limit)->usage() - *before;
  const auto wall = std::chrono::steady_clock::now() - start;
  busy->stop();
  const double share = std::chrono::duration<double>(used) / std::chrono::duration<double>(wall);
  // The quota caps it near 0.25 (a CFS period of slack at each end); a
  // machine this busy could give it less, but not nothing.
  EXPECT_LT(share, 0.35) << (*limit)->how();
  EXPECT_GT(share, 0.02) << (*limit)->how();
  EXPECT_DOUBLE_EQ((*limit)->cores(), 0.25);
}

}  // namespace
}  // namespace scalelab::infra
