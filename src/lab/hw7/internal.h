// Internal to lab/hw7: the pieces run_hw7() and render_hw7() are built from,
// shared between its files. Not for use outside src/lab/hw7/.
// Thread-safety: as hw7.h; each function runs on the caller's thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"
#include "lab/hw7/hw7.h"
#include "mq/broker.h"
#include "report/html.h"

namespace scalelab::infra {
class Server;
}

namespace scalelab::lab::hw7_detail {

using Clock = std::chrono::steady_clock;

// Course units <-> wall units at time scale K.
struct Scale {
  double k = 1;
  std::chrono::microseconds wall(std::chrono::milliseconds course) const {
    return std::chrono::microseconds(std::llround(static_cast<double>(course.count()) * 1000.0 * k));
  }
  // Whole milliseconds (the payment processor's unit), at least 1 ms.
  std::chrono::milliseconds wall_ms(std::chrono::milliseconds course) const {
    return std::chrono::milliseconds(std::max<long long>(1, std::llround(static_cast<double>(course.count()) * k)));
  }
  double course_s(double wall_s) const { return wall_s / k; }
  double course_s(Clock::duration wall) const { return course_s(std::chrono::duration<double>(wall).count()); }
  double wall_rate(double course_rate) const { return course_rate / k; }
};

inline double seconds(std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); }
// Two decimals, for the report's JSON and tables.
inline double round2(double v) { return std::round(v * 100) / 100; }

// /proc/loadavg as "1m 5m 15m".
std::string read_load_average();

// One async run to do (parts 2-4).
struct AsyncSetup {
  Hw7RunKind kind = Hw7RunKind::kWorkers;
  int workers = 0;  // workers, or the functions' concurrency limit
  std::chrono::milliseconds duration{0};
  std::chrono::milliseconds drain_limit{0};
};

// Names in progress lines, tables and legends.
std::string workers_text(int n);                  // "1 worker", "5 workers"
std::string run_label(const AsyncSetup& setup);   // "async 5 workers", "probe 30 workers", "functions (limit 1000)"
std::string run_name(const Hw7AsyncRun& run);     // "5 workers", "functions (limit 1000)"

// The parts (sync.cpp, async.cpp, search.cpp).
Result<Hw7SyncPhase> run_sync(const Hw7Options& o, Hw7SyncLoad load);
Result<Hw7AsyncRun> run_async(const Hw7Options& o, mq::Broker& broker, const AsyncSetup& setup);
Result<Hw7Search> run_search(const Hw7Options& o, mq::Broker& broker);
// Part 5 (kill.cpp) on the private cluster behind `broker`.
Result<Hw7KillNode> run_kill_node(const Hw7Options& o, mq::Broker& broker, infra::Server& cluster);
// Its section, summary.json object and verdict line (kill_page.cpp).
void kill_section(report::HtmlReport& page, const Hw7KillNode& k);
boost::json::object kill_json(const Hw7KillNode& k);
std::string kill_line(const Hw7KillNode& k);

// Empties order-processing-queue (what an undrained run left) so every run
// starts from zero.
Status purge(mq::Broker& broker);

// The conclusion in numbers, one line each (summary.cpp).
std::vector<std::string> verdict(const Hw7Result& r);

// Number formats shared by the verdict and the page (summary.cpp).
std::string fmt_s(double s);
std::string fmt_usd(double v);
std::string fmt_count(double v);
std::string drain_text(const Hw7AsyncRun& r);

// The HTML page (page.cpp); render.cpp writes it after the data files.
report::HtmlReport build_page(const Hw7Result& r);

}  // namespace scalelab::lab::hw7_detail
