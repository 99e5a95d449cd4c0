// The HTML page of a load run (scalelab load --html, and experiments built on
// the load engine): the summary table, failures, the self-check, requests/s
// and users over time, p50/p95/p99 over time, and the latency distribution.
// Thread-safety: pure functions.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"
#include "report/html.h"
#include "load/stats.h"

namespace scalelab::load {

// Adds a load run's sections to a report (used by several experiments).
void add_load_sections(report::HtmlReport& page, const load::Report& r,
                       const std::vector<load::ThresholdResult>& thresholds = {});

// Chart.js configurations.
boost::json::value throughput_chart(const std::vector<std::pair<std::string, const load::Report*>>& runs);
boost::json::value latency_over_time_chart(const load::Report& r);
boost::json::value latency_distribution_chart(const std::vector<std::pair<std::string, const load::Report*>>& runs);

Status write_load_report(const load::Report& r, const std::filesystem::path& file,
                         const std::vector<load::ThresholdResult>& thresholds = {});

}  // namespace scalelab::load
