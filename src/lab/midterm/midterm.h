// `scalelab lab midterm`: the course's midterm. catalog behind the fault
// proxy, carts calling it, and the same load against carts twice: with
// resilience off (the vulnerable version), then on (deadline + retry with a
// budget + circuit breaker + product cache), through one fault timeline:
// healthy, catalog 503, catalog hanging, catalog slow, recovered. Everything
// runs in this process (two http::Servers, the proxy, the load engine).
// Report: report.html (side by side), timeline.csv, phases.csv, summary.json.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace scalelab::lab {

struct MidtermOptions {
  std::filesystem::path out_dir = "reports/midterm";
  std::chrono::milliseconds phase{10'000};          // each of the five phases
  unsigned users = 20;                              // closed-model virtual users
  std::chrono::milliseconds wait_min{500}, wait_max{2'000};  // between a user's requests
  std::chrono::milliseconds slow{2'000};            // the slow phase's added latency
  std::chrono::milliseconds breaker_wait{5'000};    // on: open -> half-open (the course: 30 s)
  std::chrono::milliseconds catalog_timeout{200};   // on: bound of a catalog call
  std::chrono::milliseconds off_timeout{10'000};    // off: carts' catalog deadline ("no timeout")
  bool progress = true;                             // a line per second on stderr
};

inline constexpr const char* kMidtermPhases[] = {"healthy", "catalog 503", "catalog hanging", "catalog slow",
                                                 "recovered"};

struct MidtermPhaseStats {
  std::string phase;
  std::uint64_t add = 0, add_failed = 0, view = 0, view_failed = 0;
  double add_p50_ms = 0, add_p99_ms = 0, view_p50_ms = 0, view_p99_ms = 0;
  double add_failure_pct() const { return add ? 100.0 * static_cast<double>(add_failed) / static_cast<double>(add) : 0; }
  double view_failure_pct() const {
    return view ? 100.0 * static_cast<double>(view_failed) / static_cast<double>(view) : 0;
  }
};

struct MidtermSecond {
  int second = 0;  // since the run began (by request start)
  std::uint64_t requests = 0, failures = 0;
  double p50_ms = 0, p99_ms = 0;
  std::string breaker;  // sampled at the end of the second
};

struct MidtermRun {
  bool resilient = false;
  std::vector<MidtermPhaseStats> phases;  // the five, in order
  MidtermPhaseStats all;                  // the whole run
  std::vector<MidtermSecond> timeline;
  double rps = 0;                          // completed requests / run time
  std::uint64_t unfinished = 0;            // in flight when the run ended (not counted)
  // Seconds from the catalog's recovery to the breaker's first "closed"
  // (on only; nullopt when it did not close before the run ended).
  std::optional<double> breaker_closed_after_s;
};

// The acceptance, judged on one run.
struct MidtermAcceptance {
  double worst_add_failure_pct = 0;  // on: the worst phase
  double worst_add_p99_ms = 0;       // on: the worst phase
  bool add_failures_ok = false;      // on: <= 1% add-to-cart failures in every phase
  bool add_p99_ok = false;           // on: add-to-cart p99 <= 250 ms in every phase
  bool breaker_closed_ok = false;    // on: closed within breaker_wait + 1 s after recovery
  bool off_visible = false;          // off fails more add-to-carts than on
  bool met() const { return add_failures_ok && add_p99_ok && breaker_closed_ok && off_visible; }
};

struct MidtermResult {
  MidtermRun off, on;
  MidtermAcceptance acceptance;
  std::filesystem::path report;
};

Result<MidtermResult> run_midterm(const MidtermOptions& options);

}  // namespace scalelab::lab
