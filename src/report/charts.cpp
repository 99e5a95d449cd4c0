#include "report/charts.h"

#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "report/html.h"

namespace scalelab::report {

namespace json = boost::json;

namespace {

json::object axis(const std::string& title) {
  return json::object{{"title", json::object{{"display", true}, {"text", title}}}};
}

}  // namespace

json::value line_chart(const std::vector<double>& x_labels, const std::vector<LineSeries>& series,
                       const std::string& x_title, const std::string& y_title) {
  json::array labels, datasets;
  for (double x : x_labels) labels.emplace_back(x);
  for (std::size_t i = 0; i < series.size(); ++i) {
    json::array data;
    for (double v : series[i].values) {
      if (std::isfinite(v)) data.emplace_back(std::round(v * 100) / 100);
      else data.emplace_back(nullptr);  // a gap in the line
    }
    datasets.emplace_back(json::object{{"label", series[i].label}, {"data", std::move(data)}, {"pointRadius", 0},
                                       {"borderWidth", 2}, {"borderColor", chart_color(i)},
                                       {"backgroundColor", chart_color(i)}, {"stepped", series[i].stepped}});
  }
  auto y = axis(y_title);
  y["beginAtZero"] = true;
  return json::object{
      {"type", "line"},
      {"data", json::object{{"labels", std::move(labels)}, {"datasets", std::move(datasets)}}},
      {"options", json::object{{"maintainAspectRatio", false}, {"animation", false},
                               {"scales", json::object{{"x", axis(x_title)}, {"y", std::move(y)}}}}}};
}

void add_markers(json::value& config, const std::vector<Marker>& markers) {
  if (markers.empty()) return;
  json::array lines;
  for (const auto& m : markers) lines.emplace_back(json::object{{"x", m.x}, {"label", m.label}});
  auto& options = config.as_object()["options"];
  if (!options.is_object()) options = json::object{};
  auto& plugins = options.as_object()["plugins"];
  if (!plugins.is_object()) plugins = json::object{};
  plugins.as_object()["markers"] = json::object{{"lines", std::move(lines)}};
}

}  // namespace scalelab::report
