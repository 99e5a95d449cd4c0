// HtmlReport: a self-contained HTML page for people (summary tables, notes and
// Chart.js charts with Chart.js inlined from Debian's libjs-chart.js). It sits
// below load and lab: a load run and every experiment render through it
// (report/output.h writes the page with its raw numbers beside it).
// Thread-safety: build a report on one thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"

namespace scalelab::report {

class HtmlReport {
 public:
  explicit HtmlReport(std::string title);

  void heading(const std::string& text);
  void paragraph(const std::string& text);  // plain text, escaped
  void table(const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows);
  // A chart from a Chart.js configuration ({type, data, options}).
  void chart(const std::string& caption, const boost::json::value& config);
  // Links a file written next to the report (e.g. the raw CSV).
  void link(const std::string& text, const std::string& href);

  // Writes the page, inlining Chart.js. Fails with a clear message when
  // Chart.js is not installed.
  Status write(const std::filesystem::path& file) const;

 private:
  std::string title_;
  std::string body_;
  int charts_ = 0;
};

// The charts' colour palette (Tableau 10), cycling: one colour per series.
const char* chart_color(std::size_t i);

// Where Chart.js is read from: $SCALELAB_CHARTJS, else Debian's libjs-chart.js path.
std::filesystem::path chartjs_path();

std::string html_escape(const std::string& text);

}  // namespace scalelab::report
