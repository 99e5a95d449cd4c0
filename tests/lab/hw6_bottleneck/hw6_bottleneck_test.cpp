// hw6-bottleneck end to end with tiny durations: the report files exist and
// their numbers agree with each other.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "lab/hw6_bottleneck/hw6_bottleneck.h"
#include "support/test_server.h"

using namespace scalelab;
using namespace std::chrono_literals;

namespace {

std::filesystem::path out_dir(const std::string& name) { return scalelab::testkit::fresh_dir(name); }

TEST(Hw6BottleneckLab, ShortRunWritesConsistentReport) {
  lab::Hw6BottleneckOptions o;
  o.scalelab = SCALELAB_BINARY;
  o.out_dir = out_dir("scalelab-hw6-test");
  o.users_1 = 2;
  o.users_2 = 4;
  o.duration_1 = 2500ms;
  o.duration_2 = 2500ms;
  o.progress = false;
  auto r = lab::run_hw6_bottleneck(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->limit.empty());
  for (const auto* p : {&r->phase_1, &r->phase_2}) {
    EXPECT_GT(p->requests, 0u);
    EXPECT_EQ(p->errors, 0u);
    EXPECT_NEAR(p->rps, static_cast<double>(p->requests - p->errors) / p->seconds, 1e-6 + p->rps * 1e-9);
    EXPECT_LE(p->p50_ms, p->p95_ms);
    EXPECT_LE(p->p95_ms, p->p99_ms);
    EXPECT_LE(p->p99_ms, p->max_ms);
  }
  EXPECT_EQ(r->phase_1.users, 2);
  EXPECT_EQ(r->phase_2.users, 4);
  // Whole seconds only: 2 per phase; their requests are part of the phase's.
  ASSERT_EQ(r->timeline.size(), 4u);
  std::uint64_t in_timeline_1 = 0;
  for (const auto& s : r->timeline) {
    EXPECT_GE(s.cpu_percent, 0);
    if (s.users == 2) in_timeline_1 += s.requests;
  }
  EXPECT_LE(in_timeline_1, r->phase_1.requests);
  EXPECT_GT(r->single_search_ms, 0);
  auto files = lab::render_hw6_bottleneck(*r, o.out_dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  for (const auto& f : {files->report, files->csv, files->json}) EXPECT_GT(std::filesystem::file_size(f), 0u) << f;
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace
