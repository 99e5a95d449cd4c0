// hw2 end to end: two albums processes disagree over their own memory and
// agree over one private Redis.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "lab/hw2/hw2.h"
#include "support/test_server.h"

using namespace scalelab;
using namespace std::chrono_literals;

namespace {

std::filesystem::path out_dir(const std::string& name) { return scalelab::testkit::fresh_dir(name); }

TEST(Hw2Lab, MemoryInstancesDisagreeThenRedisInstancesAgree) {
  lab::Hw2Options o;
  o.scalelab = SCALELAB_BINARY;
  o.out_dir = out_dir("scalelab-hw2-test");
  auto r = lab::run_hw2(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::vector<std::string> seed{"1", "2", "3"}, with4{"1", "2", "3", "4"};
  EXPECT_EQ(r->memory.before1, seed);
  EXPECT_EQ(r->memory.post_status, 201u);
  EXPECT_EQ(r->memory.after1, seed);   // instance 1 never saw album 4
  EXPECT_EQ(r->memory.after2, with4);
  EXPECT_FALSE(r->memory.agree);
  EXPECT_EQ(r->redis.post_status, 201u);
  EXPECT_EQ(r->redis.after1, with4);
  EXPECT_EQ(r->redis.after2, with4);
  EXPECT_TRUE(r->redis.agree);
  EXPECT_EQ(r->steps.size(), 10u);  // 5 per phase
  auto files = lab::render_hw2(*r, o.out_dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  for (const auto& f : {files->report, files->csv, files->json}) EXPECT_GT(std::filesystem::file_size(f), 0u) << f;
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace
