// `scalelab lab hw7`: the flash sale, synchronous vs asynchronous orders.
// Everything runs in this process: the orders service (http::Server), the
// queue workers (orders::OrderWorker) or the function runner
// (orders::FunctionRunner), an in-process store, the broker (memory:// or
// a RabbitMQ: given by URL, or a private one started here) and the load
// engine. Four parts:
//  1. sync: POST /orders/sync through the one-slot payment processor, normal
//     load (5 users, 30 s) then flash load (20 users, spawn 10/s, waits
//     100-500 ms, 60 s);
//  2. async: POST /orders/async at 60 orders/s (open model) with 1, 5, 20 and
//     100 workers: acceptance, accept latency, queue depth over time (from
//     Broker::queue_depth), peak depth, time to drain, CPU and memory, and
//     the counting check (orders::audit) at the end of every run;
//  3. the minimum workers that keep up with 60/s, by bisection, beside the
//     arithmetic rate x delay (60 x 3 s = 180);
//  4. the function runner on the same load: cold starts, concurrency, billed
//     GB-seconds, and the monthly cost against two always-on tasks;
//  5. (kill_node, on a private cluster of 3+ nodes) the async orders at
//     `rate` while the node leading the orders queue is killed with kill -9
//     and restarted: lost and double-charged orders (0 expected), the
//     accept-latency spike, the time until consumers resumed. Wall time:
//     a node's failure and restart take what they take, so only the payment
//     delay is scaled.
// Time scale K: every duration (payment delay, phases, waits, cold starts,
// deadlines) is multiplied by K and every rate divided by K, so counts
// (orders, queue depth, workers needed) stay what they are at full scale
// while the wall time shrinks by K. Options and results are in course units
// (full-scale seconds) unless a field says wall.
// run_hw7() measures and returns a typed result; render_hw7() draws it
// (report.html, runs.csv, depth.csv, sync_samples.csv, summary.json).
// Thread-safety: run_hw7() is called from one thread at a time; render_hw7()
// only reads its result.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "services/orders/functions.h"
#include "services/orders/orders.h"

namespace scalelab::lab {

class Live;

struct Hw7Options {
  std::filesystem::path out_dir = "reports/hw7";  // where `lab hw7` renders; --rabbitmq keeps its node here
  double time_scale = 1.0;                  // K, in (0, 1]; e.g. 0.1 for a run of a few minutes
  std::string broker_url = "memory://";     // or amqp://user:pass@host:port/vhost
  bool rabbitmq = false;                    // start a private RabbitMQ (under out_dir) and use it
  int rabbitmq_nodes = 1;                   // with rabbitmq: > 1 starts a cluster of that many nodes
  // The service (course units).
  std::chrono::milliseconds payment_delay{3'000};  // one verification
  // The longest a sync order waits for the payment slot, then 503. Between
  // what the normal load needs (5 users x 3 s) and the flash load (20 x 3 s).
  std::chrono::milliseconds sync_wait{30'000};
  // Part 1: sync.
  bool sync = true;
  unsigned normal_users = 5;
  std::chrono::milliseconds normal_duration{30'000};
  unsigned flash_users = 20;
  double flash_spawn_rate = 10;             // users started per second (both phases)
  std::chrono::milliseconds wait_min{100}, wait_max{500};  // a user's wait between orders
  std::chrono::milliseconds flash_duration{60'000};
  // Part 2: async.
  bool async = true;
  double rate = 60;                          // orders per second (open model)
  std::chrono::milliseconds async_duration{60'000};
  std::vector<int> workers = {1, 5, 20, 100};
  // The longest a run waits after its load for the queue to drain; past it
  // the run reports "did not drain" and a projection from its throughput.
  std::chrono::milliseconds drain_limit{120'000};
  // Part 3: the minimum workers that keep up (bisection in [search_min, search_max]).
  bool search = true;
  int search_min = 100, search_max = 400;
  std::chrono::milliseconds search_duration{60'000};
  // Part 4: functions.
  bool functions = true;
  int function_concurrency = 1'000;          // AWS's default account limit
  std::chrono::milliseconds cold_start_min{70}, cold_start_max{300};
  std::chrono::milliseconds keep_warm{60'000};
  int memory_mb = 512;
  double normal_rate = 5;                    // orders/s of an ordinary month (cost)
  orders::Prices prices;
  bool progress = true;                      // a line per second on stderr
  // Part 5: kill the orders queue's leader (wall time, not scaled; needs
  // rabbitmq with rabbitmq_nodes >= 3).
  bool kill_node = false;
  std::chrono::milliseconds kill_at{20'000};    // load before the kill
  std::chrono::milliseconds kill_down{20'000};  // the node stays down this long, then is restarted
  std::chrono::milliseconds kill_tail{20'000};  // load after the restarted node answers again
  Live* live = nullptr;                      // --web: the live view (lab/live.h); Stop skips the runs not yet started
};

// The two sync loads of part 1.
enum class Hw7SyncLoad { kNormal, kFlash };
std::string_view to_string(Hw7SyncLoad load);  // normal, flash

// What processed the orders of an async run.
enum class Hw7RunKind {
  kWorkers,    // part 2: queue workers
  kProbe,      // part 3: queue workers, one step of the bisection
  kFunctions,  // part 4: the function runner
};
std::string_view to_string(Hw7RunKind kind);  // workers, probe, functions

// Part 1: one sync phase (course units: latencies and rates at full scale).
struct Hw7SyncSample {
  double start_s = 0, latency_s = 0;
  unsigned status = 0;  // 0: no answer (client timeout, connection error)
};

struct Hw7SyncPhase {
  Hw7SyncLoad load = Hw7SyncLoad::kNormal;
  unsigned users = 0;
  double duration_s = 0;
  std::uint64_t attempts = 0;     // answered + unfinished
  std::uint64_t ok = 0;           // 200, the order completed
  std::uint64_t rejected = 0;     // 503: no payment slot before the deadline
  std::uint64_t errors = 0;       // anything else (timeouts, connection errors, 5xx)
  // Still waiting when the phase ended (cut after the engine's 1 s wall
  // grace); not counted in the percentages, as Locust does not count them.
  std::uint64_t unfinished = 0;
  double p50_s = 0, p99_s = 0;    // of answered requests
  double ok_p50_s = 0;            // of successful ones
  double completed_per_s = 0;     // orders completed per second
  std::uint64_t answered() const { return ok + rejected + errors; }
  double success_pct() const;     // ok / answered
  double failed_pct() const { return answered() ? 100.0 - success_pct() : 0; }
  std::vector<Hw7SyncSample> samples;
};

// Parts 2-4: one async run (workers or functions) at a rate.
struct Hw7Point {
  double t_s = 0;             // course seconds since the load started
  std::uint64_t depth = 0;    // ready messages in order-processing-queue
  std::uint64_t accepted = 0; // 202s so far
  std::uint64_t done = 0;     // orders completed or failed so far
  int busy = 0;               // functions: invocations running (workers: 0)
  int instances = 0;          // functions: instances alive
  double cpu_pct = 0;         // this process, % of one core over the last interval (wall)
  double rss_mb = 0;
};

struct Hw7AsyncRun {
  Hw7RunKind kind = Hw7RunKind::kWorkers;
  int workers = 0;               // workers, or the functions' concurrency limit
  double rate = 0;               // offered orders/s (course)
  double duration_s = 0;
  std::uint64_t attempts = 0, accepted = 0;  // client side: sent, 202
  std::uint64_t server_accepted = 0;         // 202s the service sent (ids audited)
  double accept_pct = 0;
  double accept_p50_ms = 0, accept_p99_ms = 0;  // wall ms: accepting is not scaled
  std::uint64_t peak_depth = 0;
  std::uint64_t depth_at_end = 0;   // when the load ended
  bool keeps_up = false;            // depth_at_end <= keep_up_bound
  std::uint64_t keep_up_bound = 0;
  std::optional<double> drain_s;    // end of load -> depth 0 and every accepted order done
  double drain_waited_s = 0;        // how long we waited (the bound when it did not drain)
  std::uint64_t left = 0;           // not done when we stopped waiting
  double throughput_per_s = 0;      // orders done per second while busy
  double projected_drain_s = 0;     // left / throughput (when it did not drain)
  double cpu_s = 0, cpu_ms_per_order = 0, cpu_pct = 0, peak_rss_mb = 0;  // wall CPU
  orders::Audit audit;
  bool audit_ok = false;            // drained: audit.ok(); not drained: consistent with what is left
  std::string audit_text;
  std::optional<orders::FunctionStats> functions;  // kind kFunctions (wall units)
  std::vector<Hw7Point> timeline;
};

struct Hw7Search {
  std::vector<Hw7AsyncRun> probes;  // in the order run
  std::optional<int> minimum;       // the fewest workers that kept up
  double arithmetic = 0;            // rate x delay
  std::string note;                 // e.g. "search_max did not keep up"
};

struct Hw7CostCase {
  std::string name;
  double requests = 0;  // per month
  orders::CostEstimate cost;
};

struct Hw7Cost {
  double billed_s_per_request = 0;  // measured, course units
  double gb_s_per_request = 0;
  std::vector<Hw7CostCase> cases;
  double break_even_requests = 0;
  double break_even_rate = 0;       // orders/s averaged over a month
};

// Part 5: one second of the load around the kill (wall).
struct Hw7KillSecond {
  double t_s = 0;  // end of the second, since the load began
  std::uint64_t requests = 0, failures = 0;
  double p99_ms = 0, max_ms = 0;  // accept latency
};

// Part 5: the kill-node run. Times are wall seconds since the load began.
struct Hw7KillNode {
  std::string node;               // the leader of the orders queue, killed
  int nodes = 0, workers = 0;
  double rate = 0, payment_delay_s = 0;  // orders/s, wall s
  double kill_s = 0, restart_s = 0, back_s = 0, load_s = 0;  // kill, restart started, node answering, load end
  std::uint64_t attempts = 0, accepted = 0, refused = 0;  // client side: sent, 202, other answers
  std::uint64_t completed = 0;        // accepted orders completed (store)
  std::uint64_t lost = 0;             // accepted orders not completed after the drain
  std::uint64_t charge_records = 0;   // order-charge/ records in the store
  std::uint64_t double_charged = 0;   // charges beyond one per accepted order
  std::uint64_t redelivered = 0;      // deliveries of orders already finished (at-least-once)
  std::uint64_t completed_after_back = 0;  // orders completed after the node answered again
  std::optional<double> resumed_s;    // kill -> first completion of an order accepted after the kill
  double accept_p99_ms = 0, accept_max_ms = 0;      // whole run
  double before_p99_ms = 0;                         // median of the per-second p99s before the kill
  double spike_p99_ms = 0, spike_max_ms = 0;        // worst second from the kill until the node is back
  std::optional<double> drain_s;      // load end -> every accepted order done
  bool ok = false;                    // drained, lost == 0, double_charged == 0, the counting check held
  std::string audit_text;
  std::vector<Hw7KillSecond> seconds;
};

struct Hw7Result {
  Hw7Options options;  // what was run (render_hw7 quotes it)
  std::optional<Hw7SyncPhase> normal, flash;
  std::vector<Hw7AsyncRun> async;
  std::optional<Hw7Search> search;
  std::optional<Hw7AsyncRun> functions;
  std::optional<Hw7Cost> cost;
  std::optional<Hw7KillNode> kill_node;
  std::string broker;  // memory, amqp, none
  std::string load_average;  // /proc/loadavg when the run ended
  std::vector<std::string> verdict;  // the conclusion in numbers, one line each
  // The counting check held in every async run, probe, the functions run
  // and the kill-node run.
  bool audits_ok() const;
};

// The files render_hw7() wrote.
struct Hw7Files {
  std::filesystem::path report, runs_csv, depth_csv, sync_csv, summary;
};

// Runs the parts `options` enables; writes nothing but a private RabbitMQ's
// files (under out_dir, with --rabbitmq).
Result<Hw7Result> run_hw7(const Hw7Options& options);

// Writes the result's data files, summary.json and report.html into out_dir.
Result<Hw7Files> render_hw7(const Hw7Result& result, const std::filesystem::path& out_dir);

// The cost comparison of part 4 from a billed duration per request (course
// seconds): an ordinary month, an ordinary month with one flash hour, the
// flash rate all month, and the break-even volume. Exposed for tests.
Hw7Cost hw7_cost(double billed_s_per_request, const Hw7Options& options);

}  // namespace scalelab::lab
