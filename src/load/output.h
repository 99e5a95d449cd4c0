// Text outputs of a load run: the live progress line, the final table, the
// full statistics as JSON, and CSV files with Locust 2.x's columns
// (PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv), so tools
// that read Locust's CSV read ours. The HTML page is load/html_report.h.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "load/engine.h"
#include "load/stats.h"

namespace scalelab::load {

// "  12s  users 50  rps 8123  p50 1.2ms  p99 4.8ms  errors 0 (0.00%)"
std::string progress_line(const Progress& p);

// The table printed at the end: one row per request name and the aggregate,
// then failures by reason, the open-model accounting and the self-check.
std::string summary_table(const Report& r);

// Every figure: totals, requests/s, percentiles in ms per name and aggregate,
// failures by reason, the time series, the self-check, and threshold results.
std::string report_json(const Report& r, const std::vector<ThresholdResult>& thresholds = {});

// Locust's exact column names (2.12): header lines of the three files.
extern const char* const kLocustStatsHeader;
extern const char* const kLocustHistoryHeader;
extern const char* const kLocustFailuresHeader;

std::string locust_stats_csv(const Report& r);
std::string locust_history_csv(const Report& r, double start_unix_s);
std::string locust_failures_csv(const Report& r);
// Writes PREFIX_stats.csv, PREFIX_stats_history.csv and PREFIX_failures.csv.
Status write_locust_csv(const Report& r, const std::string& prefix, double start_unix_s);

}  // namespace scalelab::load
