// render_hw4 from a hand-made result: no bus, no jobs.
#include <gtest/gtest.h>

#include "lab/hw4/hw4.h"
#include "lab/render_testing.h"

namespace scalelab::lab {
namespace {

using testkit::contains;

Hw4Run run(int mappers, double total_ms, double speedup) {
  Hw4Run r{.bus = Hw4Bus::kMemory, .input = Hw4Input::kSmall, .bytes = 1000, .mappers = mappers, .chunks = mappers};
  r.split_ms = 1;
  r.map_ms = total_ms - 2;
  r.reduce_ms = 1;
  r.total_ms = total_ms;
  r.baseline_ms = 5;
  r.speedup = speedup;
  r.total_words = 150;
  r.unique_words = 40;
  r.exact = true;
  return r;
}

TEST(Hw4Render, WritesRunsSummaryAndPageWithSpeedups) {
  Hw4Result result;
  result.seed = 7;
  result.buses = {Hw4Bus::kMemory};
  result.inputs = {{Hw4Input::kSmall, 1000, 5}};
  result.runs = {run(1, 40, 1), run(2, 20, 2)};
  result.all_exact = true;
  auto dir = testkit::fresh_dir("hw4");
  auto files = render_hw4(result, dir);
  ASSERT_TRUE(files) << files.error().message;

  const auto csv = testkit::read_file(files->csv);
  EXPECT_TRUE(contains(csv, "memory,small,1000,2,2,1.000,18.000,1.000,20.000,2.000,5.000,150,40,yes,\"\"\n"));

  auto json = testkit::read_json(files->json);
  EXPECT_TRUE(json.at("all_exact").as_bool());
  EXPECT_EQ(json.at("seed").to_number<int>(), 7);
  EXPECT_EQ(json.at("runs").as_array().size(), 2u);
  EXPECT_EQ(json.at("runs").at(1).at("bus").as_string(), "memory");

  const auto html = testkit::read_file(files->report);
  EXPECT_TRUE(contains(html, "Per-phase time, small input (1000 bytes)"));
  EXPECT_TRUE(contains(html, "the fastest was 2 mapper(s) at 20 ms (2.00x)"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab::lab
