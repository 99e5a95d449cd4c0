// add_markers: the boundary markers a chart configuration carries for the
// report page's markers plugin (drawn and checked in tests/browser/reports.mjs).
#include "report/charts.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace json = boost::json;
using namespace scalelab::report;

TEST(ChartMarkers, LandInTheMarkersPluginOptionsInOrder) {
  auto config = line_chart({1, 2, 3}, {{"req/s", {5, 6, 7}}}, "second", "requests");
  add_markers(config, {{1.5, "catalog 503"}, {2.5, "recovered"}});
  const auto& lines = config.at("options").at("plugins").at("markers").at("lines").as_array();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_DOUBLE_EQ(lines[0].at("x").to_number<double>(), 1.5);
  EXPECT_EQ(lines[0].at("label").as_string(), "catalog 503");
  EXPECT_EQ(lines[1].at("label").as_string(), "recovered");
}

TEST(ChartMarkers, KeepTheOtherPluginOptions) {
  json::value config = json::object{
      {"type", "bar"},
      {"options", json::object{{"plugins", json::object{{"legend", json::object{{"display", false}}}}}}}};
  add_markers(config, {{4, "step"}});
  const auto& plugins = config.at("options").at("plugins");
  EXPECT_FALSE(plugins.at("legend").at("display").as_bool());
  EXPECT_EQ(plugins.at("markers").at("lines").as_array().size(), 1u);
}

TEST(ChartMarkers, NoneLeaveTheConfigurationAsItWas) {
  auto config = line_chart({1}, {{"a", {1}}}, "s", "y");
  const auto before = json::serialize(config);
  add_markers(config, {});
  EXPECT_EQ(json::serialize(config), before);
}

TEST(ChartSeries, EachSeriesHasItsOwnPaletteColour) {
  auto config = line_chart({1}, {{"a", {1}}, {"b", {2}}}, "s", "y");
  const auto& sets = config.at("data").at("datasets").as_array();
  EXPECT_NE(sets[0].at("borderColor"), sets[1].at("borderColor"));
}
