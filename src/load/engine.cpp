// The engine's controller side: prepare the requests, start the Workers,
// supervise them once a second, assemble the Report. The coroutines that run
// on the Workers are in users.cpp.
#include "load/engine.h"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "load/detail/engine.h"
#include "load/wire.h"

namespace scalelab::load {

namespace detail {

namespace {

constexpr auto kTick = std::chrono::seconds(1);      // one point of the series
constexpr auto kEndGrace = std::chrono::seconds(1);  // in-flight work may finish, then is cut
constexpr std::size_t kMaxSimpleSinks = 8;  // simple-client threads share this many sinks
constexpr double kCpuBoundShare = 0.9;      // of a core: the generator may have limited the load
constexpr double kSlipShare = 0.01;         // of arrivals: the open-model schedule slipped
// No duration and no stages: the run ends at max_requests or Ctrl-C; a year
// below the clock's maximum leaves room to add the grace without overflow.
constexpr auto kUnbounded = std::chrono::hours(24 * 365);

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The simple client and many users need many sockets.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

Result<Report> Engine::run() {
  if (auto st = prepare(); !st) return st.error();
  raise_fd_limit();

  const bool simple = sc_.client == ClientKind::kSimple;
  const std::size_t nworkers = simple ? std::max(1u, profile_.peak()) : sc_.threads;
  make_workers(nworkers, simple ? std::min(nworkers, kMaxSimpleSinks) : nworkers);
  t0_ = Clock::now();
  end_ = end_of_run();
  spawn_load();
  start_threads();

  Report rep = new_report(nworkers);
  Timeline timeline(opts_, t0_);
  const Clock::time_point finished = supervise(timeline, rep);
  for (auto& w : workers_) w->thread.join();
  release_slots();
  if (has_pending(sinks_)) take_point(timeline, finished, rep);  // the last, partial second
  rep.elapsed_s = std::chrono::duration<double>(finished - t0_).count();
  finish_report(rep);
  judge_generator(rep, nworkers);
  return rep;
}

Status Engine::prepare() {
  if (auto st = validate(sc_); !st) return st;
  if (auto st = resolve(); !st) return st;
  prepare_requests();
  seed_ = sc_.seed ? sc_.seed : static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
  return {};
}

Status Engine::resolve() {
  auto ep = http::parse_http_url(sc_.host);
  if (!ep) return ep.error();
  target_.endpoint = *ep;
  target_.prefix = ep->path == "/" ? "" : ep->path;
  if (target_.prefix.ends_with('/')) target_.prefix.pop_back();
  host_header_ = ep->port == 80 ? ep->host : fmt::format("{}:{}", ep->host, ep->port);
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    for (const auto& e : resolver.resolve(ep->host, std::to_string(ep->port)))
      target_.addresses.push_back(e.endpoint());
  } catch (const std::exception& e) {
    return Error{ErrorKind::kUnavailable, fmt::format("cannot resolve {}: {}", ep->host, e.what())};
  }
  if (target_.addresses.empty()) return Error{ErrorKind::kUnavailable, "cannot resolve " + ep->host};
  return {};
}

void Engine::prepare_requests() {
  unsigned total_weight = 0;
  for (const auto& t : sc_.tasks) {
    task_first_.push_back(prepared_.size());
    total_weight += t.weight;
    cumulative_weights_.push_back(total_weight);
    for (const auto& r : t.requests) {
      Prepared p;
      p.spec = &r;
      p.method = http::to_string(r.method);
      p.head = r.method == http::Method::kHead;
      p.row = row_of(r, p.method);
      p.literal = r.path.is_literal() && r.body.is_literal();
      for (const auto& [k, v] : r.headers) p.literal = p.literal && v.is_literal();
      if (p.literal) {
        std::vector<std::pair<std::string, std::string>> headers;
        for (const auto& [k, v] : r.headers) headers.emplace_back(k, v.source());
        append_request(p.wire, p.method, target_.prefix + r.path.source(), host_header_, r.content_type,
                       r.body.source(), headers);
      }
      prepared_.push_back(std::move(p));
    }
  }
  task_first_.push_back(prepared_.size());
}

// Requests with the same method and name share a statistics row (as in Locust).
std::size_t Engine::row_of(const RequestSpec& r, std::string_view method) {
  std::size_t row = 0;
  while (row < row_names_.size() && !(row_names_[row] == r.name && row_methods_[row] == method)) ++row;
  if (row == row_names_.size()) {
    row_names_.push_back(r.name);
    row_methods_.emplace_back(method);
  }
  return row;
}

void Engine::make_workers(std::size_t nworkers, std::size_t nsinks) {
  stride_ = sc_.model == Model::kOpen ? nworkers : 1;
  for (std::size_t i = 0; i < nsinks; ++i) {
    sinks_.push_back(std::make_unique<Sink>());
    core::MutexLock lock(sinks_.back()->mu);
    sinks_.back()->rows.resize(row_names_.size());
  }
  for (std::size_t i = 0; i < nworkers; ++i) workers_.push_back(std::make_unique<Worker>(i, *sinks_[i % nsinks]));
}

Clock::time_point Engine::end_of_run() const {
  Micros bound = sc_.duration;
  if (bound.count() == 0 && !sc_.stages.empty()) {
    double stages_s = 0;
    for (const auto& st : sc_.stages) stages_s += std::chrono::duration<double>(st.duration).count();
    bound = std::chrono::duration_cast<Micros>(
        std::chrono::duration<double>(sc_.model == Model::kClosed ? profile_.end_s() : stages_s));
  }
  return bound.count() ? t0_ + bound : Clock::time_point::max() - kUnbounded;
}

// Closed model: the peak number of users, spread over the Workers (each
// waits for its turn in the profile). Open model: one dispatcher per Worker
// with its share of the rate and of the in-flight bound. The coroutines take
// the Worker by reference: it owns the io_context they run on, so it
// outlives them.
void Engine::spawn_load() {
  if (sc_.model == Model::kClosed) {
    live_profile_ = std::make_shared<const UserProfile>(profile_);
    for (auto& w : workers_) w->profile = live_profile_;
    spawn_users(profile_.peak());
  } else {
    live_schedule_ = std::make_unique<ArrivalSchedule>(sc_, 1.0);
    for (auto& w : workers_) {
      w->schedule = std::make_unique<ArrivalSchedule>(sc_, 1.0 / static_cast<double>(workers_.size()));
      w->max_slots = std::max<std::size_t>(1, sc_.max_in_flight / workers_.size());
      asio::co_spawn(w->io, dispatcher(*w), asio::detached);
    }
  }
  if (sc_.client != ClientKind::kSimple)
    for (auto& w : workers_) asio::co_spawn(w->io, watch_deadlines(*w), asio::detached);
  if (opts_.live)
    for (auto& w : workers_) asio::co_spawn(w->io, keep_alive_until_end(*w), asio::detached);
}

// Closed model: starts user coroutines up to `upto`, spread over the Workers.
// Safe while the Workers run: co_spawn posts to the Worker's thread.
void Engine::spawn_users(std::size_t upto) {
  for (; users_spawned_ < upto; ++users_spawned_) {
    Worker& w = *workers_[users_spawned_ % workers_.size()];
    asio::co_spawn(w.io, user(w, users_spawned_), asio::detached);
  }
}

void Engine::start_threads() {
  {
    core::MutexLock lock(done_mu_);
    workers_running_ = workers_.size();
  }
  for (auto& wp : workers_) {
    Worker* w = wp.get();
    w->thread = std::thread([this, w] {
      w->io.run();
      w->cpu_s = thread_cpu_s();
      core::MutexLock lock(done_mu_);
      if (--workers_running_ == 0) done_cv_.notify_all();
    });
  }
}

Report Engine::new_report(std::size_t nworkers) const {
  Report rep;
  rep.scenario = sc_.name;
  rep.host = sc_.host;
  rep.source = sc_.source;
  rep.model = sc_.model;
  rep.client = sc_.client;
  rep.threads = sc_.client == ClientKind::kSimple ? static_cast<unsigned>(nworkers) : sc_.threads;
  return rep;
}

bool Engine::wait_workers(Clock::time_point until) {
  core::MutexLock lock(done_mu_);
  while (workers_running_ > 0) {
    if (until == Clock::time_point::max()) done_cv_.wait(done_mu_);
    else if (!done_cv_.wait_until(done_mu_, until)) break;
  }
  return workers_running_ == 0;
}

// Takes a point each second until the Workers end; after the end of the run
// (or Ctrl-C) in-flight work gets a grace, then the Workers are stopped.
// Returns when the run finished.
Clock::time_point Engine::supervise(Timeline& timeline, Report& rep) {
  auto next_tick = t0_ + kTick;
  auto hard_end = end_ + kEndGrace;
  for (;;) {
    if (wait_workers(std::min(next_tick, hard_end))) return Clock::now();
    const auto now = Clock::now();
    const bool stop_asked = (opts_.stop && opts_.stop->load()) || (opts_.live && opts_.live->stop_requested());
    if (stop_asked && !stopping_) {
      stopping_ = true;  // nothing new starts
      hard_end = std::min(hard_end, now + kEndGrace);
    }
    if (now >= hard_end) {
      rep.unfinished = in_flight_requests_.load();
      for (auto& w : workers_) w->io.stop();
      wait_workers(Clock::time_point::max());
      return std::min(now, end_);
    }
    if (now >= next_tick) {
      if (opts_.live && !stopping_)
        if (auto edit = opts_.live->take_edit()) apply_edit(*edit, now, rep);
      take_point(timeline, next_tick, rep);
      next_tick += kTick;
    }
  }
}

void Engine::take_point(Timeline& timeline, Clock::time_point at, Report& rep) {
  const unsigned users = sc_.model == Model::kClosed ? active_users_.load() : in_flight_iterations_.load();
  std::uint64_t late = 0;
  for (auto& w : workers_) late += w->late.load(std::memory_order_relaxed);
  const double rate = live_schedule_ ? live_schedule_->rate_at(std::chrono::duration<double>(at - t0_).count()) : 0;
  timeline.take(at, users, rate, late, sinks_, rep);
}

// A live edit from `now` on: the new profile or schedule goes to each Worker
// on its own thread (its users and dispatcher read it there, unlocked); more
// users than ever ran start as new coroutines.
void Engine::apply_edit(LiveEdit edit, Clock::time_point now, Report& rep) {
  edit.t_s = std::chrono::duration<double>(now - t0_).count();
  if (sc_.model == Model::kClosed) {
    live_profile_ = std::make_shared<const UserProfile>(live_profile_->edited(edit.t_s, edit.users, edit.spawn_rate));
    for (auto& w : workers_) asio::post(w->io, [w = w.get(), p = live_profile_] { w->profile = p; });
    spawn_users(edit.users);
  } else {
    live_schedule_ = std::make_unique<ArrivalSchedule>(live_schedule_->edited(edit.t_s, edit.rate));
    for (auto& w : workers_)
      asio::post(w->io, [w = w.get(), t = edit.t_s, r = edit.rate] {
        w->schedule = std::make_unique<ArrivalSchedule>(w->schedule->edited(t, r));
      });
  }
  rep.edits.push_back(edit);
}

// Open-model slots own sockets of their worker's io_context: they must go
// before it (a socket may not outlive its io_context). Frames that still
// point at them are suspended for good and never touch them again.
void Engine::release_slots() {
  for (auto& w : workers_) {
    w->free_slots.clear();
    w->slots.clear();
  }
}

void Engine::finish_report(Report& rep) const {
  rep.requests.resize(row_names_.size());
  for (std::size_t i = 0; i < row_names_.size(); ++i) {
    rep.requests[i].name = row_names_[i];
    rep.requests[i].method = row_methods_[i];
  }
  for (auto& s : sinks_) {
    core::MutexLock lock(s->mu);
    for (std::size_t i = 0; i < s->rows.size(); ++i) rep.requests[i].merge(s->rows[i]);
  }
  rep.aggregate.name = "Aggregated";
  for (const auto& r : rep.requests) rep.aggregate.merge(r);
  for (auto& w : workers_) {
    rep.arrivals += w->arrivals;
    rep.late_starts += w->late.load();
    rep.generator_slips += w->slips;
    rep.max_start_lag_ms = std::max(rep.max_start_lag_ms, w->max_lag_ms);
    rep.unfinished += w->pending;  // arrivals that never got a slot
  }
}

// Whether the generator itself may have distorted the figures.
void Engine::judge_generator(Report& rep, std::size_t nworkers) const {
  const bool simple = sc_.client == ClientKind::kSimple;
  double busiest = 0, cpu = 0;
  for (auto& w : workers_) {
    cpu += w->cpu_s;
    if (rep.elapsed_s > 0) busiest = std::max(busiest, w->cpu_s / rep.elapsed_s);
  }
  rep.check.generator_cpu_s = cpu;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (simple) {
    // Many threads share the cores: judge the whole generator against them.
    busiest = rep.elapsed_s > 0 ? cpu / (rep.elapsed_s * std::min<double>(cores, static_cast<double>(nworkers))) : 0;
  }
  rep.check.generator_busy = busiest;
  if (busiest > kCpuBoundShare)
    rep.check.reasons.push_back(fmt::format(
        "the generator was CPU-bound: {} at {:.0f}% of a core, so it may have limited the request rate and "
        "added its own delay to the latencies; use more --threads or the fast client",
        simple ? "its threads together ran" : "its busiest thread ran", 100 * busiest));
  if (sc_.model == Model::kOpen && rep.arrivals > 0) {
    const double slip = static_cast<double>(rep.generator_slips) / static_cast<double>(rep.arrivals);
    if (slip > kSlipShare)
      rep.check.reasons.push_back(fmt::format(
          "the open-model schedule slipped: {:.1f}% of arrivals were dispatched more than {} ms late by the "
          "generator itself (not by the server)",
          100 * slip, kSlipThreshold.count()));
  }
  rep.check.trustworthy = rep.check.reasons.empty();
}

void Engine::init_context(UserContext& ctx, std::uint64_t user) {
  ctx.user = user;
  ctx.shared_seq = &seq_;  // {{seq}} is unique across users and threads
  ctx.rng.state = seed_ ^ (user * 0x9e3779b97f4a7c15ULL);
}

}  // namespace detail

Result<Report> run(const Scenario& scenario, const RunOptions& options) {
  detail::Engine engine(scenario, options);
  return engine.run();
}

}  // namespace scalelab::load
