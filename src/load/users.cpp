// What runs on the Workers: closed-model users (loop over tasks with wait
// times while the profile counts them in), the open-model dispatcher (one
// arrival after another on the schedule, each on a free slot) and the
// requests themselves. Every coroutine here runs on its Worker's thread; the
// references they take (Worker, Conn, UserContext, Rendered, Prepared) are
// owned by the Engine, the Worker or the awaiting caller's frame, all of
// which outlive the call.
#include <algorithm>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "load/detail/engine.h"
#include "load/wire.h"

namespace scalelab::load::detail {

namespace {

// An iteration that starts later than this after its intended start is late.
constexpr auto kLateThreshold = std::chrono::milliseconds(1);
// With live control, a waiting user or dispatcher looks at least this often
// whether an edit changed its turn.
constexpr auto kLiveRecheck = std::chrono::milliseconds(250);

asio::awaitable<void> sleep_until(asio::steady_timer& timer, Clock::time_point t) {
  timer.expires_at(t);
  co_await timer.async_wait(kTuple);
}

// Why an answer counts as a failure (empty when it does not); stores the
// captured values into ctx.
std::string failure_reason(const RequestSpec& spec, const Outcome& out, UserContext& ctx) {
  const bool ok = spec.expect.empty()
                      ? out.status >= 200 && out.status < 400
                      : std::find(spec.expect.begin(), spec.expect.end(), out.status) != spec.expect.end();
  if (!ok) {
    if (spec.expect.empty()) return fmt::format("HTTP {}", out.status);
    return fmt::format("HTTP {} (expected {})", out.status, fmt::join(spec.expect, " or "));
  }
  for (const auto& c : spec.captures) {
    auto v = json_capture(out.body, c.json_path);
    if (!v) return fmt::format("capture {}: {}", c.var, v.error().message);
    ctx.set_var(c.var, std::move(*v));
  }
  return {};
}

}  // namespace

Clock::time_point Engine::at_offset(double t_s) const {
  return t0_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t_s));
}

// Closed model: user `index` runs iterations while the profile counts it in,
// waits for its turn when it does not, and ends with the run.
asio::awaitable<void> Engine::user(Worker& w, std::size_t index) {
  w.live++;
  UserContext ctx;
  init_context(ctx, index + 1);
  Rendered rendered;
  std::unique_ptr<Conn> conn = make_conn(sc_.client, w, target_);
  asio::steady_timer timer(w.io);
  bool active = false;
  while (!stopping_.load(std::memory_order_relaxed)) {
    const auto now = Clock::now();
    if (now >= end_) break;
    const double t = std::chrono::duration<double>(now - t0_).count();
    if (w.profile->users_at(t) <= static_cast<double>(index)) {
      if (active) {
        active = false;
        active_users_--;
        conn->close();
      }
      const double next = w.profile->next_active(index, t);
      const bool never = next < 0 || at_offset(next) >= end_;
      if (never && !opts_.live) break;
      // Parked (live control): an edit may bring this user back.
      const auto wake = never ? end_ : at_offset(next);
      co_await sleep_until(timer, opts_.live ? std::min(wake, now + kLiveRecheck) : wake);
      continue;
    }
    if (!active) {
      active = true;
      active_users_++;
    }
    co_await iteration(w, *conn, ctx, rendered, Clock::time_point::max());
    co_await think(timer, now, ctx);
  }
  if (active) active_users_--;
  w.live--;
}

// The scenario's wait between a user's iterations; `started`: when the
// iteration began (pacing counts from there).
asio::awaitable<void> Engine::think(asio::steady_timer& timer, Clock::time_point started, UserContext& ctx) {
  switch (sc_.wait.kind) {
    case WaitSpec::Kind::kNone: break;
    case WaitSpec::Kind::kConstant: co_await sleep_until(timer, std::min(end_, Clock::now() + sc_.wait.a)); break;
    case WaitSpec::Kind::kBetween: {
      std::uniform_int_distribution<long long> d(sc_.wait.a.count(), sc_.wait.b.count());
      co_await sleep_until(timer, std::min(end_, Clock::now() + Micros(d(ctx.rng))));
      break;
    }
    case WaitSpec::Kind::kPacing: co_await sleep_until(timer, std::min(end_, started + sc_.wait.a)); break;
  }
}

// Open model: dispatches this Worker's share of the arrivals at their
// intended times, each on a free slot; an arrival that finds every slot busy
// waits (pending) for the next slot that frees up.
asio::awaitable<void> Engine::dispatcher(Worker& w) {
  w.live++;
  asio::steady_timer timer(w.io);
  for (std::uint64_t k = 0; !stopping_.load(std::memory_order_relaxed); ++k) {
    const auto intended = co_await next_arrival(w, timer, k);
    if (!intended) break;
    w.arrivals++;
    if (Worker::Slot* slot = take_slot(w)) {
      asio::co_spawn(w.io, open_iterations(w, slot, *intended), asio::detached);
    } else {
      if (w.pending == 0) w.pending_first = k;
      w.pending++;
    }
  }
  w.live--;
}

// Waits for the intended start of arrival k and returns it; nullopt when the
// schedule or the run ends first. With live control it looks again every
// kLiveRecheck, as an edit may move the arrival.
asio::awaitable<std::optional<Clock::time_point>> Engine::next_arrival(Worker& w, asio::steady_timer& timer,
                                                                      std::uint64_t k) {
  for (;;) {
    const double t = w.schedule->time_of(k);
    if (t < 0 && !opts_.live) co_return std::nullopt;
    if (t < 0) {  // the rate is 0 for good, unless an edit raises it
      co_await sleep_until(timer, std::min(end_, Clock::now() + kLiveRecheck));
      if (stopping_.load(std::memory_order_relaxed) || Clock::now() >= end_) co_return std::nullopt;
      continue;
    }
    const auto intended = at_offset(t);
    if (intended >= end_) co_return std::nullopt;
    const auto now = Clock::now();
    if (now >= intended) co_return intended;
    const auto wake = opts_.live ? std::min(intended, now + kLiveRecheck) : intended;
    co_await sleep_until(timer, wake);
    if (wake == intended) {
      if (Clock::now() - intended > kSlipThreshold) w.slips++;
      co_return intended;
    }
    if (stopping_.load(std::memory_order_relaxed)) co_return std::nullopt;
  }
}

// With live control: keeps the Worker's thread (and its deadline watchdog,
// which runs while anything is live) going until the end or a stop, so users
// an edit adds have both.
asio::awaitable<void> Engine::keep_alive_until_end(Worker& w) {
  w.live++;
  asio::steady_timer timer(w.io);
  while (!stopping_.load(std::memory_order_relaxed) && Clock::now() < end_)
    co_await sleep_until(timer, std::min(end_, Clock::now() + kLiveRecheck));
  w.live--;
}

// A free slot, a new one while under max_slots, or none. None while earlier
// arrivals wait, so arrivals keep their order.
Worker::Slot* Engine::take_slot(Worker& w) {
  if (w.pending != 0) return nullptr;
  if (!w.free_slots.empty()) {
    Worker::Slot* slot = w.free_slots.back();
    w.free_slots.pop_back();
    return slot;
  }
  if (w.slots.size() >= w.max_slots) return nullptr;
  w.slots.push_back(std::make_unique<Worker::Slot>());
  Worker::Slot* slot = w.slots.back().get();
  slot->conn = make_conn(sc_.client, w, target_);
  init_context(slot->ctx, w.index + 1 + (w.slots.size() - 1) * stride_);  // unique across threads
  return slot;
}

// Runs the arrival at `intended` on `slot`, then the oldest waiting ones,
// and gives the slot back. `slot` is owned by w.slots, which is cleared only
// after the Worker's thread has ended.
asio::awaitable<void> Engine::open_iterations(Worker& w, Worker::Slot* slot, Clock::time_point intended) {
  w.live++;
  in_flight_iterations_++;
  for (;;) {
    const auto lag = Clock::now() - intended;
    if (lag > kLateThreshold) w.late.fetch_add(1, std::memory_order_relaxed);
    w.max_lag_ms = std::max(w.max_lag_ms, std::chrono::duration<double, std::milli>(lag).count());
    co_await iteration(w, *slot->conn, slot->ctx, slot->rendered, intended);
    if (w.pending == 0 || stopping_.load(std::memory_order_relaxed)) break;
    // Take the oldest arrival that found every slot busy.
    const std::uint64_t k = w.pending_first++;
    w.pending--;
    intended = at_offset(w.schedule->time_of(k));
  }
  in_flight_iterations_--;
  w.free_slots.push_back(slot);
  w.live--;
}

// One task, picked by weight, request after request; false when one failed
// or the run is stopping.
asio::awaitable<bool> Engine::iteration(Worker& w, Conn& conn, UserContext& ctx, Rendered& r,
                                        Clock::time_point measured_from) {
  std::size_t task = 0;
  if (sc_.tasks.size() > 1) {
    std::uniform_int_distribution<unsigned> pick(0, cumulative_weights_.back() - 1);
    const unsigned x = pick(ctx.rng);
    task = static_cast<std::size_t>(std::upper_bound(cumulative_weights_.begin(), cumulative_weights_.end(), x) -
                                    cumulative_weights_.begin());
  }
  for (std::size_t i = task_first_[task]; i < task_first_[task + 1]; ++i) {
    // Only the first request of an open-model iteration counts from its
    // intended start; the next ones start when the previous one ends.
    const auto from = i == task_first_[task] ? measured_from : Clock::time_point::max();
    if (!co_await request(w, conn, ctx, r, prepared_[i], from)) co_return false;
  }
  co_return true;
}

// Sends one request and records it; latency counts from measured_from when
// that is earlier than the actual start (the open model's intended start).
asio::awaitable<bool> Engine::request(Worker& w, Conn& conn, UserContext& ctx, Rendered& r, const Prepared& p,
                                      Clock::time_point measured_from) {
  if (stopping_.load(std::memory_order_relaxed)) co_return false;
  if (sc_.max_requests && issued_.fetch_add(1, std::memory_order_relaxed) >= sc_.max_requests) {
    stopping_ = true;
    co_return false;
  }
  if (!p.literal && !render(w, p, ctx, r)) co_return false;
  // Both live across the co_await: p.wire in the Engine, r.wire in the caller's frame.
  const std::string_view wire = p.literal ? std::string_view(p.wire) : std::string_view(r.wire);
  const auto start = Clock::now();
  const auto from = std::min(measured_from, start);
  in_flight_requests_.fetch_add(1, std::memory_order_relaxed);
  Outcome out = co_await conn.exchange(p, r, wire, start + sc_.timeout);
  in_flight_requests_.fetch_sub(1, std::memory_order_relaxed);
  const auto done = Clock::now();
  const std::string reason = out.error.empty() ? failure_reason(*p.spec, out, ctx) : std::move(out.error);
  const bool failed = !reason.empty();
  const auto latency_us =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(done - from).count());
  record(w, p, latency_us, failed, reason, out.body.size());
  if (opts_.on_sample) {
    Sample s;
    s.request = p.row;
    s.user = ctx.user;
    s.start_s = std::chrono::duration<double>(from - t0_).count();
    s.latency_ms = static_cast<double>(latency_us) / 1000.0;
    s.status = out.status;
    s.failed = failed;
    s.reason = reason;
    opts_.on_sample(s);
  }
  co_return !failed;
}

// Renders a templated request into r; a template error is recorded as a
// failed request and returns false.
bool Engine::render(Worker& w, const Prepared& p, UserContext& ctx, Rendered& r) {
  const RequestSpec& spec = *p.spec;
  r.target = target_.prefix;
  r.body.clear();
  r.headers.clear();
  Status st = spec.path.render(ctx, r.target);
  if (st) st = spec.body.render(ctx, r.body);
  for (const auto& [k, v] : spec.headers) {
    if (!st) break;
    r.headers.emplace_back(k, std::string());
    st = v.render(ctx, r.headers.back().second);
  }
  if (!st) {
    record(w, p, 0, true, "template: " + st.error().message, 0);
    return false;
  }
  r.wire.clear();
  append_request(r.wire, p.method, r.target, host_header_, spec.content_type, r.body, r.headers);
  return true;
}

void Engine::record(Worker& w, const Prepared& p, std::uint64_t latency_us, bool failed, const std::string& reason,
                    std::size_t bytes) {
  Sink& s = w.sink;
  core::MutexLock lock(s.mu);
  auto& row = s.rows[p.row];
  row.count++;
  row.bytes += bytes;
  row.latency_us.record(latency_us);
  if (failed) {
    row.failures++;
    row.failures_by_reason[reason]++;
    s.interval_failures++;
  }
  s.interval.record(latency_us);
  s.interval_requests++;
  s.interval_bytes += bytes;
}

}  // namespace scalelab::load::detail
