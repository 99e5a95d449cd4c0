// lab hw3-load with short runs: the albums service and every generator are
// real processes (the scalelab binary); each of the four runs answers
// requests without failures, GET and POST percentiles are both measured, the
// generators' CPU is counted, and the reading and files are written.
#include <filesystem>

#include <gtest/gtest.h>

#include "lab/hw3/load_lab.h"

namespace scalelab {
namespace {

using namespace std::chrono_literals;

TEST(Hw3Load, FourRunsMeasureGetPostAndCpu) {
  lab::Hw3LoadOptions o;
  o.out_dir = std::filesystem::temp_directory_path() / ("scalelab_hw3_load_" + std::to_string(getpid()));
  o.duration = 3s;
  o.users = 10;
  o.processes = 2;
  o.scalelab = SCALELAB_BINARY;
  o.progress = false;
  auto r = lab::run_hw3_load(o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->runs.size(), 4u);
  for (const auto& run : r->runs) {
    EXPECT_GT(run.requests, 0u) << run.name;
    EXPECT_EQ(run.failures, 0u) << run.name;
    EXPECT_GT(run.get_p50_ms, 0) << run.name;
    // One user makes ~10 requests in 3 s, a quarter of them POSTs: none at all
    // happens about one run in 18. The 10-user runs make dozens.
    if (run.users > 1) {
      EXPECT_GT(run.post_p50_ms, 0) << run.name;
    }
  }
  // CPU is counted in 10 ms ticks: only the runs with 10 users are sure to use one.
  for (std::size_t i = 1; i < r->runs.size(); ++i) EXPECT_GT(r->runs[i].generator_cpu_s, 0) << r->runs[i].name;
  EXPECT_EQ(r->runs[2].processes, 2u);
  EXPECT_EQ(r->runs[3].client, "simple");
  EXPECT_EQ(r->reading.size(), 3u);
  auto files = lab::render_hw3_load(*r, o.out_dir);
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_TRUE(std::filesystem::exists(files->report));
  EXPECT_TRUE(std::filesystem::exists(files->csv));
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace
}  // namespace scalelab
