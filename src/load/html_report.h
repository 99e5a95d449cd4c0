// The HTML page of a load run (scalelab load --html, and experiments built on
// the load engine): the summary table, failures, the self-check, requests/s
// and users over time, p50/p95/p99 over time, and the latency distribution;
// for a run split over processes or workers, a row per generator.
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

// One generator process or worker of a split run (scalelab load --processes,
// --coordinator). report is that share's own result (not owned); null when
// the generator was lost mid-run, with why in lost_reason.
struct GeneratorRow {
  std::string name;
  const load::Report* report = nullptr;
  std::string lost_reason;
};

// A "Generators" section: per generator its users (closed model) or started
// iterations/s (open model), requests, failures, req/s, p50/p99 and CPU, and
// "lost mid-run" for a lost one. Adds nothing when generators is empty.
void add_generator_section(report::HtmlReport& page, const std::vector<GeneratorRow>& generators);

// Chart.js configurations.
boost::json::value throughput_chart(const std::vector<std::pair<std::string, const load::Report*>>& runs);
boost::json::value latency_over_time_chart(const load::Report& r);
boost::json::value latency_distribution_chart(const std::vector<std::pair<std::string, const load::Report*>>& runs);

// The whole page; generators: the split run's generators (empty: one process).
Status write_load_report(const load::Report& r, const std::filesystem::path& file,
                         const std::vector<load::ThresholdResult>& thresholds = {},
                         const std::vector<GeneratorRow>& generators = {});

}  // namespace scalelab::load
