// The load engine behind load::run(): prepares the scenario's requests,
// starts the generator threads (Workers), supervises them once a second
// (Timeline) and assembles the Report.
//   engine.cpp     preparing, starting, supervising and the final report
//   users.cpp      what runs on the Workers: closed-model users, the
//                  open-model dispatcher and its iterations, one request
//   timeline.cpp   the per-second series
//   connections.cpp the clients and their deadline watchdog
// Thread-safety: run() is called once, on the controller thread. Fields are
// written by prepare()/start() before the Workers start and only read by them
// afterwards, except the atomics; workers_running_ is guarded by done_mu_.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/result.h"
#include "core/thread_annotations.h"
#include "load/detail/worker.h"
#include "load/engine.h"

namespace scalelab::load::detail {

// An open-model arrival dispatched later than this by the generator itself
// is a slip (counted, and judged in the report's check).
inline constexpr auto kSlipThreshold = std::chrono::milliseconds(5);

// The per-second series of a run. Owned by the controller thread.
class Timeline {
 public:
  Timeline(const RunOptions& options, Clock::time_point t0) : opts_(options), t0_(t0) {}

  // Swaps each sink's interval out and appends the point of the interval
  // that ends at `at` to rep.series; `users` is the active users (closed
  // model) or iterations in flight (open model), `arrival_rate` the open
  // model's intended rate (0 in the closed one), `late_total` the late starts
  // so far. Calls on_progress.
  void take(Clock::time_point at, unsigned users, double arrival_rate, std::uint64_t late_total,
            std::span<const std::unique_ptr<Sink>> sinks, Report& rep);

 private:
  const RunOptions& opts_;
  Clock::time_point t0_;
  obs::LogLinearHistogram cumulative_;
  std::uint64_t total_req_ = 0, total_fail_ = 0, total_bytes_ = 0, last_late_ = 0;
};

// Whether any sink holds requests not yet taken into the series.
bool has_pending(std::span<const std::unique_ptr<Sink>> sinks);

class Engine {
 public:
  Engine(const Scenario& s, const RunOptions& o) : sc_(s), opts_(o), profile_(s) {}
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs the scenario once; see load::run().
  Result<Report> run();

 private:
  // engine.cpp: before, during and after the run.
  Status prepare();
  Status resolve();
  void prepare_requests();
  std::size_t row_of(const RequestSpec& r, std::string_view method);
  void make_workers(std::size_t nworkers, std::size_t nsinks);
  Clock::time_point end_of_run() const;
  void spawn_load();
  void start_threads();
  Report new_report(std::size_t nworkers) const;
  bool wait_workers(Clock::time_point until) EXCLUDES(done_mu_);
  Clock::time_point supervise(Timeline& timeline, Report& rep);
  void take_point(Timeline& timeline, Clock::time_point at, Report& rep);
  void apply_edit(LiveEdit edit, Clock::time_point now, Report& rep);
  void spawn_users(std::size_t upto);
  void release_slots();
  void finish_report(Report& rep) const;
  void judge_generator(Report& rep, std::size_t nworkers) const;
  void init_context(UserContext& ctx, std::uint64_t user);

  // users.cpp: the coroutines on the Workers.
  asio::awaitable<void> user(Worker& w, std::size_t index);
  asio::awaitable<void> think(asio::steady_timer& timer, Clock::time_point started, UserContext& ctx);
  asio::awaitable<void> keep_alive_until_end(Worker& w);
  asio::awaitable<void> dispatcher(Worker& w);
  asio::awaitable<std::optional<Clock::time_point>> next_arrival(Worker& w, asio::steady_timer& timer,
                                                                 std::uint64_t k);
  Worker::Slot* take_slot(Worker& w);
  asio::awaitable<void> open_iterations(Worker& w, Worker::Slot* slot, Clock::time_point intended);
  asio::awaitable<bool> iteration(Worker& w, Conn& conn, UserContext& ctx, Rendered& r,
                                  Clock::time_point measured_from);
  asio::awaitable<bool> request(Worker& w, Conn& conn, UserContext& ctx, Rendered& r, const Prepared& p,
                                Clock::time_point measured_from);
  bool render(Worker& w, const Prepared& p, UserContext& ctx, Rendered& r);
  void record(Worker& w, const Prepared& p, std::uint64_t latency_us, bool failed, const std::string& reason,
              std::size_t bytes);
  Clock::time_point at_offset(double t_s) const;

  // Set before the Workers start, read by them.
  const Scenario& sc_;
  const RunOptions& opts_;
  UserProfile profile_;
  Target target_;
  std::string host_header_;
  std::vector<Prepared> prepared_;            // per request, task after task
  std::vector<std::size_t> task_first_;       // index of a task's first request in prepared_
  std::vector<unsigned> cumulative_weights_;
  std::vector<std::string> row_names_, row_methods_;
  Clock::time_point t0_, end_;
  std::uint64_t seed_ = 1;
  std::uint64_t stride_ = 1;  // open model: user numbers of a Worker's slots step by the Worker count

  // Shared by the Workers and the controller.
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> issued_{0};
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<unsigned> active_users_{0};
  std::atomic<unsigned> in_flight_iterations_{0};
  std::atomic<std::uint64_t> in_flight_requests_{0};

  std::vector<std::unique_ptr<Sink>> sinks_;
  std::vector<std::unique_ptr<Worker>> workers_;
  core::Mutex done_mu_;
  core::CondVar done_cv_;
  std::size_t workers_running_ GUARDED_BY(done_mu_) = 0;

  // The controller's side of live edits (its thread only).
  std::shared_ptr<const UserProfile> live_profile_;  // closed model, as last edited
  std::unique_ptr<ArrivalSchedule> live_schedule_;   // open model, the whole rate
  std::size_t users_spawned_ = 0;                    // closed model: user coroutines started
};

}  // namespace scalelab::load::detail
