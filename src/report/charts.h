// Chart.js configurations for the reports' time series: one place for the
// line chart every experiment draws (seconds on x, one or more series on y).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace scalelab::report {

struct LineSeries {
  std::string label;
  std::vector<double> values;  // one per x label; NaN: no value there (a gap)
  bool stepped = false;        // a count that changes in steps (instances, breaker state)
};

// A line chart over x_labels (e.g. seconds), values rounded to 2 decimals,
// y from zero, each series in its palette colour, no points, no animation.
boost::json::value line_chart(const std::vector<double>& x_labels, const std::vector<LineSeries>& series,
                              const std::string& x_title, const std::string& y_title);

// A boundary on a chart's x axis (a phase starting, a fault, a load change),
// in the x axis's own units (e.g. seconds).
struct Marker {
  double x = 0;
  std::string label;
};

// Draws each marker as a labelled dashed vertical line (the report page's
// "markers" Chart.js plugin, report/html.cpp) on a chart configuration from
// line_chart or any {type, data, options} configuration.
void add_markers(boost::json::value& config, const std::vector<Marker>& markers);

}  // namespace scalelab::report
