#include "report/output.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include "support/test_server.h"

using namespace scalelab::report;

TEST(HtmlReport, EscapesTextAndInlinesChartJs) {
  HtmlReport r("<b>title</b>");
  r.paragraph("a < b & c");
  r.chart("caption", boost::json::object{{"type", "bar"}, {"label", "</script><script>alert(1)"}});
  auto file = std::filesystem::temp_directory_path() / ("report-test-" + std::to_string(::getpid()) + ".html");
  ASSERT_TRUE(r.write(file).ok());
  const std::string html = scalelab::testkit::read_file(file);
  EXPECT_NE(html.find("&lt;b&gt;title&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("a &lt; b &amp; c"), std::string::npos);
  EXPECT_EQ(html.find("</script><script>alert"), std::string::npos);
  EXPECT_GT(html.size(), 100'000u) << "Chart.js is inlined";
  EXPECT_NE(html.find("Chart.register({id:'markers'"), std::string::npos) << "the boundary markers' plugin";
  std::filesystem::remove(file);
}

TEST(HtmlReport, MissingChartJsIsAClearError) {
  setenv("SCALELAB_CHARTJS", "/nonexistent/chart.js", 1);
  HtmlReport r("t");
  r.chart("c", boost::json::object{{"type", "bar"}});
  auto st = r.write(std::filesystem::temp_directory_path() / "never-written.html");
  unsetenv("SCALELAB_CHARTJS");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("libjs-chart.js"), std::string::npos);
}
