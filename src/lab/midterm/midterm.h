// `scalelab lab midterm`: the course's midterm. catalog behind the fault
// proxy, carts calling it, and the same load against carts twice: with
// resilience off (the vulnerable version), then on (deadline + retry with a
// budget + circuit breaker + product cache), through one fault timeline:
// healthy, catalog 503, catalog hanging, catalog slow, recovered. Everything
// runs in this process (two http::Servers, the proxy, the load engine).
// run_midterm() measures and returns a typed result; render_midterm() draws
// it: report.html (side by side), timeline.csv, phases.csv, summary.json.
// Thread-safety: run_midterm() is called from one thread at a time;
// render_midterm() only reads its result.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "resilience/circuit_breaker.h"

namespace scalelab::lab {

class Live;

struct MidtermOptions {
  std::filesystem::path out_dir = "reports/midterm";  // where `lab midterm` renders (run_midterm writes nothing)
  std::chrono::milliseconds phase{10'000};          // each of the five phases
  unsigned users = 20;                              // closed-model virtual users
  std::chrono::milliseconds wait_min{500}, wait_max{2'000};  // between a user's requests
  std::chrono::milliseconds slow{2'000};            // the slow phase's added latency
  std::chrono::milliseconds breaker_wait{5'000};    // on: open -> half-open (the course: 30 s)
  std::chrono::milliseconds catalog_timeout{200};   // on: bound of a catalog call
  std::chrono::milliseconds off_timeout{10'000};    // off: carts' catalog deadline ("no timeout")
  bool progress = true;                             // a line per second on stderr
  Live* live = nullptr;                             // --web: the live view (lab/live.h); Stop ends the run early
};

// The two runs: carts' resilience policies off (the vulnerable version) and on.
enum class Resilience { kOff, kOn };
std::string_view to_string(Resilience r);  // off, on

// The fault timeline, one phase after another, each MidtermOptions::phase long.
enum class MidtermPhase {
  kHealthy,
  kCatalog503,      // the proxy answers 503 for catalog
  kCatalogHanging,  // the proxy holds catalog calls, never answering
  kCatalogSlow,     // the proxy adds MidtermOptions::slow to each call
  kRecovered,
};
inline constexpr std::array kMidtermPhases = {MidtermPhase::kHealthy, MidtermPhase::kCatalog503,
                                              MidtermPhase::kCatalogHanging, MidtermPhase::kCatalogSlow,
                                              MidtermPhase::kRecovered};
std::string_view to_string(MidtermPhase p);  // healthy, catalog 503, catalog hanging, catalog slow, recovered

// Add-to-cart and view-cart figures over some requests.
struct MidtermStats {
  std::uint64_t add = 0, add_failed = 0, view = 0, view_failed = 0;
  double add_p50_ms = 0, add_p99_ms = 0, view_p50_ms = 0, view_p99_ms = 0;
  double add_failure_pct() const { return add ? 100.0 * static_cast<double>(add_failed) / static_cast<double>(add) : 0; }
  double view_failure_pct() const {
    return view ? 100.0 * static_cast<double>(view_failed) / static_cast<double>(view) : 0;
  }
};

struct MidtermPhaseStats : MidtermStats {
  MidtermPhase phase = MidtermPhase::kHealthy;
};

struct MidtermSecond {
  int second = 0;  // since the run began (by request start)
  std::uint64_t requests = 0, failures = 0;
  double p50_ms = 0, p99_ms = 0;
  // Sampled at the end of the second; nullopt: no breaker (resilience off).
  std::optional<resilience::BreakerState> breaker;
};

struct MidtermRun {
  Resilience resilience = Resilience::kOff;
  std::vector<MidtermPhaseStats> phases;  // the five, in order
  MidtermStats all;                       // the whole run
  std::vector<MidtermSecond> timeline;
  double rps = 0;                          // completed requests / run time
  std::uint64_t unfinished = 0;            // in flight when the run ended (not counted)
  // Seconds from the catalog's recovery to the breaker's first "closed"
  // (on only; nullopt when it did not close before the run ended).
  std::optional<double> breaker_closed_after_s;
};

// The acceptance criteria, judged on the two runs.
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
  MidtermOptions options;  // what was run (render_midterm quotes it)
  MidtermRun off, on;
  MidtermAcceptance acceptance;
};

// The acceptance from the two runs' figures (run_midterm calls it).
MidtermAcceptance judge_midterm(const MidtermRun& off, const MidtermRun& on, const MidtermOptions& options);

// The files render_midterm() wrote.
struct MidtermFiles {
  std::filesystem::path report, timeline_csv, phases_csv, summary;
};

// Runs off then on; writes nothing.
Result<MidtermResult> run_midterm(const MidtermOptions& options);

// Writes timeline.csv, phases.csv, summary.json and report.html into out_dir.
Result<MidtermFiles> render_midterm(const MidtermResult& result, const std::filesystem::path& out_dir);

}  // namespace scalelab::lab
