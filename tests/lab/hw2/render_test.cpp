// render_hw2 from a hand-made result: no processes, no Redis.
#include <gtest/gtest.h>

#include "lab/hw2/hw2.h"
#include "lab/render_testing.h"

namespace scalelab::lab {
namespace {

using testkit::contains;

Hw2Result small_result() {
  Hw2Result r;
  r.memory = {"memory:// (one per instance)", {"1"}, {"1"}, {"1"}, {"1", "4"}, 201, false};
  r.redis = {"redis://127.0.0.1:1", {"1"}, {"1"}, {"1", "4"}, {"1", "4"}, 201, true};
  r.steps = {{Hw2Store::kMemory, "POST /albums (album 4) to instance 2", 2, 201, {}},
             {Hw2Store::kRedis, "GET /albums on instance 1", 1, 200, {"1", "4"}}};
  return r;
}

TEST(Hw2Render, WritesStepsSummaryAndPageSayingWhoAgrees) {
  auto dir = testkit::fresh_dir("hw2");
  auto files = render_hw2(small_result(), dir);
  ASSERT_TRUE(files) << files.error().message;

  const auto csv = testkit::read_file(files->csv);
  EXPECT_TRUE(contains(csv, "memory,POST /albums (album 4) to instance 2,2,201,\"[]\"\n"));
  EXPECT_TRUE(contains(csv, "redis,GET /albums on instance 1,1,200,\"[1, 4]\"\n"));

  auto json = testkit::read_json(files->json);
  EXPECT_FALSE(json.at("memory").at("agree").as_bool());
  EXPECT_TRUE(json.at("redis").at("agree").as_bool());
  EXPECT_EQ(json.at("redis").at("after_instance_1").as_array().size(), 2u);

  const auto html = testkit::read_file(files->report);
  EXPECT_TRUE(contains(html, "They DISAGREE"));
  EXPECT_TRUE(contains(html, "They AGREE"));
  EXPECT_TRUE(contains(html, "href=\"steps.csv\""));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab::lab
