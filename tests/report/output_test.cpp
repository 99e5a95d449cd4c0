#include "report/output.h"

#include <filesystem>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace fs = std::filesystem;
using namespace scalelab::report;

namespace {

fs::path fresh_dir(const std::string& name) { return scalelab::testkit::fresh_dir("output-test-" + name); }

}  // namespace

TEST(Output, WritesDataAndSummaryIntoItsDirectoryCreatingIt) {
  auto dir = fresh_dir("data");
  Output out(dir);
  auto csv = out.data("runs.csv", "a,b\n1,2\n", "runs.csv (one row per run)");
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(*csv, dir / "runs.csv");
  EXPECT_EQ(scalelab::testkit::read_file(*csv), "a,b\n1,2\n");
  auto json = out.summary(boost::json::object{{"experiment", "x"}, {"ok", true}});
  ASSERT_TRUE(json.ok());
  EXPECT_NE(scalelab::testkit::read_file(*json).find("\"experiment\""), std::string::npos);
  fs::remove_all(dir);
}

TEST(Output, PageLinksEveryFileWrittenBeforeIt) {
  auto dir = fresh_dir("page");
  Output out(dir);
  ASSERT_TRUE(out.data("timeline.csv", "t\n", "timeline.csv (per second)").ok());
  ASSERT_TRUE(out.summary(boost::json::object{{"k", 1}}).ok());
  HtmlReport page("title");
  page.paragraph("no charts, so Chart.js is not needed");
  auto file = out.page(page);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*file, dir / "report.html");
  const auto html = scalelab::testkit::read_file(*file);
  EXPECT_NE(html.find("href=\"timeline.csv\""), std::string::npos);
  EXPECT_NE(html.find("href=\"summary.json\""), std::string::npos);
  fs::remove_all(dir);
}

TEST(Output, UnwritableDirectoryIsAClearError) {
  Output out("/proc/no-such-dir/report");
  auto r = out.data("x.csv", "x", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot write"), std::string::npos);
}
