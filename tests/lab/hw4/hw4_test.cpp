#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "lab/hw4/hw4.h"

namespace scalelab::lab {
namespace {

TEST(Hw4, TinyRunOverTheInProcessBusIsExactAndWritesTheReport) {
  Hw4Options o;
  o.out_dir = std::filesystem::temp_directory_path() / fmt::format("scalelab-hw4-{}", ::getpid());
  o.small_bytes = 20'000;
  o.large_bytes = 80'000;
  o.mappers = {1, 2};
  o.rabbitmq = false;
  o.progress = false;
  auto r = run_hw4(o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->runs.size(), 4u);
  EXPECT_TRUE(r->all_exact);
  for (const auto& run : r->runs) {
    EXPECT_TRUE(run.error.empty()) << run.error;
    EXPECT_GT(run.total_words, 0u);
    EXPECT_GE(run.chunks, run.mappers);
  }
  EXPECT_DOUBLE_EQ(r->runs[0].speedup, 1.0);
  auto files = render_hw4(*r, o.out_dir);
  ASSERT_TRUE(files) << files.error().message;
  std::ifstream html(files->report);
  std::stringstream ss;
  ss << html.rdbuf();
  EXPECT_NE(ss.str().find("Per-phase time"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(files->csv));
  EXPECT_TRUE(std::filesystem::exists(files->json));
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace
}  // namespace scalelab::lab
