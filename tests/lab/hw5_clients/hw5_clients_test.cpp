// hw5-clients end to end with tiny runs against an in-process albums service.
#include <algorithm>

#include <gtest/gtest.h>

#include "lab/hw5_clients/hw5_clients.h"
#include "lab/render_testing.h"

using namespace std::chrono_literals;

namespace scalelab::lab {
namespace {

TEST(Hw5Clients, ComparesSimpleAndFastInOneReport) {
  Hw5ClientsOptions o;
  o.users = {1, 2};
  o.duration = 500ms;
  o.progress = false;
  o.out_dir = testkit::fresh_dir("hw5-run");
  auto r = run_hw5_clients(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->runs.size(), 4u);
  EXPECT_EQ(r->runs[0].client, load::ClientKind::kSimple);
  EXPECT_EQ(r->runs[1].client, load::ClientKind::kFast);
  for (const auto& run : r->runs) {
    EXPECT_GT(run.report.aggregate.count, 0u);
    EXPECT_EQ(run.report.aggregate.failures, 0u) << load::to_string(run.client);
    EXPECT_EQ(run.report.requests.size(), 2u);
  }
  EXPECT_EQ(r->reading.size(), 2u);
  auto files = render_hw5_clients(*r, o.out_dir);
  ASSERT_TRUE(files.ok()) << files.error().message;
  const std::string html = testkit::read_file(files->report);
  EXPECT_NE(html.find("When is the client the bottleneck?"), std::string::npos);
  const std::string csv = testkit::read_file(files->csv);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace
}  // namespace scalelab::lab
