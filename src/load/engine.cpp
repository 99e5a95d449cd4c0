#include "load/engine.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "http/client.h"
#include "load/wire.h"

namespace scalelab::load {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// ---------------------------------------------------------------- profiles

UserProfile::UserProfile(const Scenario& s) {
  if (s.stages.empty()) {
    if (s.spawn_rate > 0) {
      points_ = {{0, 0}, {s.users / s.spawn_rate, static_cast<double>(s.users)}};
    } else {
      points_ = {{0, static_cast<double>(s.users)}};
    }
    peak_ = s.users;
    return;
  }
  points_.push_back({0, 0});
  double t = 0;
  for (const auto& st : s.stages) {
    t += std::chrono::duration<double>(st.duration).count();
    points_.push_back({t, st.target});
    peak_ = std::max(peak_, static_cast<unsigned>(std::ceil(st.target)));
  }
}

double UserProfile::end_s() const { return points_.size() > 1 ? points_.back().t : 0; }

double UserProfile::users_at(double t) const {
  if (t <= points_.front().t) return points_.front().users;
  for (std::size_t i = 1; i < points_.size(); ++i) {
    const auto& a = points_[i - 1];
    const auto& b = points_[i];
    if (t <= b.t) {
      if (b.t <= a.t) return b.users;
      return a.users + (b.users - a.users) * (t - a.t) / (b.t - a.t);
    }
  }
  return points_.back().users;
}

double UserProfile::next_active(std::size_t index, double t) const {
  const double need = static_cast<double>(index);
  if (users_at(t) > need) return t;
  for (std::size_t i = 1; i < points_.size(); ++i) {
    const auto& a = points_[i - 1];
    const auto& b = points_[i];
    if (b.t < t || b.users <= need) continue;
    // Crosses `need` going up within [a.t, b.t].
    const double cross = b.users > a.users ? a.t + (need - a.users) * (b.t - a.t) / (b.users - a.users) : a.t;
    return std::max(t, cross) + 1e-6;
  }
  return -1;
}

ArrivalSchedule::ArrivalSchedule(const Scenario& s, double share) {
  double t = 0, n = 0, r = s.rate * share;
  for (const auto& st : s.stages) {
    const double d = std::chrono::duration<double>(st.duration).count();
    const double r1 = st.target * share;
    segments_.push_back({t, t + d, r, r1, n});
    n += 0.5 * (r + r1) * d;
    t += d;
    r = r1;
  }
  tail_t_ = t;
  tail_n_ = n;
  tail_rate_ = r;
}

double ArrivalSchedule::rate_at(double t) const {
  for (const auto& g : segments_)
    if (t < g.t1) return g.t1 > g.t0 ? g.r0 + (g.r1 - g.r0) * (t - g.t0) / (g.t1 - g.t0) : g.r1;
  return tail_rate_;
}

double ArrivalSchedule::time_of(std::uint64_t k) const {
  const double target = static_cast<double>(k);
  for (const auto& g : segments_) {
    const double d = g.t1 - g.t0;
    const double area = 0.5 * (g.r0 + g.r1) * d;
    if (target < g.n0 + area) {
      const double need = target - g.n0;
      const double a = d > 0 ? 0.5 * (g.r1 - g.r0) / d : 0;
      const double b = g.r0;
      double dt;
      if (std::abs(a) < 1e-12) dt = b > 0 ? need / b : 0;
      else dt = (-b + std::sqrt(std::max(0.0, b * b + 4 * a * need))) / (2 * a);
      return g.t0 + std::clamp(dt, 0.0, d);
    }
  }
  if (tail_rate_ <= 0) return -1;
  return tail_t_ + (target - tail_n_) / tail_rate_;
}

// ---------------------------------------------------------------- engine

namespace {

constexpr auto kLateThreshold = std::chrono::milliseconds(1);
constexpr auto kSlipThreshold = std::chrono::milliseconds(5);
constexpr auto kWatchdogTick = std::chrono::milliseconds(10);
constexpr auto kEndGrace = std::chrono::seconds(1);

struct Outcome {
  unsigned status = 0;
  std::string_view body;
  std::string error;  // empty when a response arrived
};

// The per-request text a non-literal request renders into (reused).
struct Rendered {
  std::string target, body, wire;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Prepared {
  const RequestSpec* spec = nullptr;
  std::size_t row = 0;
  std::string_view method;
  bool literal = false;
  bool head = false;
  std::string wire;  // the whole request, when literal
};

// Statistics of one group of generator threads; the mutex is uncontended
// with the fast client (one sink per thread) and lightly shared with the
// simple one. The controller swaps the interval out once a second.
struct Sink {
  std::mutex mu;
  std::vector<RequestStats> rows;  // guarded by mu
  obs::LogLinearHistogram interval;  // guarded by mu
  std::uint64_t interval_requests = 0, interval_failures = 0, interval_late = 0;  // guarded by mu
  std::uint64_t interval_bytes = 0;
};

class Engine;
struct Worker;

class Conn {
 public:
  virtual ~Conn() = default;
  virtual asio::awaitable<Outcome> exchange(const Prepared& p, const Rendered& r, std::string_view wire,
                                            Clock::time_point deadline) = 0;
  virtual void close() = 0;
};

struct Worker {
  Worker(Engine& e, std::size_t i, Sink& s) : eng(e), index(i), sink(s) {}
  Engine& eng;
  std::size_t index;
  Sink& sink;
  std::vector<class FastConn*> conns;  // for the watchdog; before io (outlives frames)
  struct Slot {
    std::unique_ptr<Conn> conn;
    UserContext ctx;
    Rendered rendered;
  };
  std::vector<std::unique_ptr<Slot>> slots;  // open model
  std::vector<Slot*> free_slots;
  std::size_t max_slots = 0;
  std::uint64_t pending = 0, pending_first = 0;
  std::unique_ptr<ArrivalSchedule> schedule;
  unsigned live = 0;  // running users, dispatcher, iterations
  std::uint64_t arrivals = 0, slips = 0;
  std::atomic<std::uint64_t> late{0};  // read by the controller each second
  double max_lag_ms = 0;
  asio::io_context io{1};
  std::thread thread;
  double cpu_s = 0;
};

class FastConn final : public Conn {
 public:
  FastConn(Worker& w, const std::vector<tcp::endpoint>& eps) : w_(w), eps_(eps), sock_(w.io) {
    w_.conns.push_back(this);
  }
  ~FastConn() override {
    auto& v = w_.conns;
    v.erase(std::find(v.begin(), v.end(), this));
  }

  void close() override {
    boost::system::error_code ignored;
    sock_.close(ignored);
  }

  // Called by the watchdog.
  void check(Clock::time_point now) {
    if (deadline_ <= now) {
      timed_out_ = true;
      deadline_ = Clock::time_point::max();
      close();
    }
  }

  asio::awaitable<Outcome> exchange(const Prepared& p, const Rendered&, std::string_view wire,
                                    Clock::time_point deadline) override {
    timed_out_ = false;
    deadline_ = deadline;
    Outcome out = co_await attempt(p, wire, /*may_retry=*/!p.spec || p.spec->method != http::Method::kPost);
    deadline_ = Clock::time_point::max();
    co_return out;
  }

 private:
  asio::awaitable<Outcome> attempt(const Prepared& p, std::string_view wire, bool may_retry) {
    for (int round = 0;; ++round) {
      bool fresh = false;
      if (!sock_.is_open()) {
        auto [ec, ep] = co_await asio::async_connect(sock_, eps_, kTuple);
        if (timed_out_) co_return Outcome{0, {}, "timeout"};
        if (ec) {
          close();
          co_return Outcome{0, {}, "connect: " + ec.message()};
        }
        sock_.set_option(tcp::no_delay(true), ec);
        fresh = true;
      }
      auto [wec, wn] = co_await asio::async_write(sock_, asio::buffer(wire.data(), wire.size()), kTuple);
      if (timed_out_) co_return Outcome{0, {}, "timeout"};
      if (wec) {
        close();
        if (!fresh && may_retry && round == 0) continue;  // a stale keep-alive connection
        co_return Outcome{0, {}, "send: " + wec.message()};
      }
      len_ = 0;
      for (;;) {
        if (buf_.size() - len_ < 1024) buf_.resize(std::max<std::size_t>(buf_.size() * 2, 2048));
        auto [rec, n] = co_await sock_.async_read_some(asio::buffer(buf_.data() + len_, buf_.size() - len_), kTuple);
        if (timed_out_) co_return Outcome{0, {}, "timeout"};
        const bool eof = rec == asio::error::eof;
        if (rec && !eof) {
          close();
          if (len_ == 0 && !fresh && may_retry && round == 0) break;
          co_return Outcome{0, {}, "receive: " + rec.message()};
        }
        len_ += n;
        const std::string_view view(buf_.data(), len_);
        const auto state = parse_response(view, p.head, eof, parsed_);
        if (state == ParseState::kComplete) {
          if (!parsed_.keep_alive || parsed_.consumed != len_) close();
          co_return Outcome{parsed_.status, parsed_.body(view), {}};
        }
        if (state == ParseState::kError) {
          close();
          co_return Outcome{0, {}, "bad response"};
        }
        if (eof) {
          close();
          if (len_ == 0 && !fresh && may_retry && round == 0) break;
          co_return Outcome{0, {}, "connection closed before the response ended"};
        }
      }
      // Retry once on a new connection.
    }
  }

  Worker& w_;
  const std::vector<tcp::endpoint>& eps_;
  tcp::socket sock_;
  std::string buf_;
  std::size_t len_ = 0;
  ParsedResponse parsed_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
};

// The naive client: a blocking socket and a new connection for every request.
class SimpleConn final : public Conn {
 public:
  explicit SimpleConn(const std::vector<tcp::endpoint>& eps) : eps_(eps) {}
  ~SimpleConn() override { close(); }
  void close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  asio::awaitable<Outcome> exchange(const Prepared& p, const Rendered&, std::string_view wire,
                                    Clock::time_point deadline) override {
    co_return blocking(p, wire, deadline);
  }

 private:
  static int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
  }

  Outcome blocking(const Prepared& p, std::string_view wire, Clock::time_point deadline) {
    close();
    const auto& ep = eps_.front();
    fd_ = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) return {0, {}, std::string("socket: ") + std::strerror(errno)};
    if (::connect(fd_, ep.data(), static_cast<socklen_t>(ep.size())) != 0) {
      if (errno != EINPROGRESS) {
        const int e = errno;
        close();
        return {0, {}, std::string("connect: ") + std::strerror(e)};
      }
      pollfd pfd{fd_, POLLOUT, 0};
      if (::poll(&pfd, 1, remaining_ms(deadline)) <= 0) {
        close();
        return {0, {}, "timeout"};
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) {
        close();
        return {0, {}, std::string("connect: ") + std::strerror(err)};
      }
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::size_t sent = 0;
    while (sent < wire.size()) {
      const ssize_t n = ::send(fd_, wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd pfd{fd_, POLLOUT, 0};
        if (::poll(&pfd, 1, remaining_ms(deadline)) <= 0) return fail("timeout");
      } else {
        return fail(std::string("send: ") + std::strerror(errno));
      }
    }
    buf_.clear();
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      bool eof = false;
      if (n > 0) {
        buf_.append(chunk, static_cast<std::size_t>(n));
      } else if (n == 0) {
        eof = true;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        pollfd pfd{fd_, POLLIN, 0};
        if (::poll(&pfd, 1, remaining_ms(deadline)) <= 0) return fail("timeout");
        continue;
      } else {
        return fail(std::string("receive: ") + std::strerror(errno));
      }
      const auto state = parse_response(buf_, p.head, eof, parsed_);
      if (state == ParseState::kComplete) {
        close();
        return {parsed_.status, parsed_.body(buf_), {}};
      }
      if (state == ParseState::kError) return fail("bad response");
      if (eof) return fail("connection closed before the response ended");
    }
  }

  Outcome fail(std::string why) {
    close();
    return {0, {}, std::move(why)};
  }

  const std::vector<tcp::endpoint>& eps_;
  int fd_ = -1;
  std::string buf_;
  ParsedResponse parsed_;
};

// src/http's client, kept to measure against the lean one.
class RuntimeConn final : public Conn {
 public:
  RuntimeConn(Worker& w, const http::Endpoint& ep) : client_(w.io.get_executor(), options(ep)) {}
  void close() override {}
  asio::awaitable<Outcome> exchange(const Prepared& p, const Rendered& r, std::string_view,
                                    Clock::time_point deadline) override {
    http::ClientRequest req;
    req.method = p.spec->method;
    req.target = p.literal ? literal_target(p) : r.target;
    req.body = p.literal ? p.spec->body.source() : r.body;
    req.content_type = p.spec->content_type;
    if (p.literal)
      for (const auto& [k, v] : p.spec->headers) req.headers.emplace_back(k, v.source());
    else
      req.headers = r.headers;
    const auto left = std::max<std::chrono::milliseconds>(
        std::chrono::milliseconds(1), std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    auto res = co_await client_.send(std::move(req), left);
    if (!res) {
      const auto kind = res.error().kind;
      co_return Outcome{0, {}, kind == ErrorKind::kTimeout ? "timeout" : std::string(to_string(kind)) + ": " + res.error().message};
    }
    last_ = std::move(*res);
    co_return Outcome{last_.status, last_.body, {}};
  }

 private:
  static http::ClientOptions options(const http::Endpoint& ep) {
    http::ClientOptions o;
    o.host = ep.host;
    o.port = ep.port;
    o.max_idle_connections = 1;
    return o;
  }
  std::string literal_target(const Prepared& p) const { return prefix + p.spec->path.source(); }

 public:
  std::string prefix;

 private:
  http::Client client_;
  http::ClientResponse last_;
};

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

class Engine {
 public:
  Engine(const Scenario& s, const RunOptions& o) : sc_(s), opts_(o), profile_(s) {}

  Result<Report> run();

  // Read by the coroutines.
  const Scenario& sc_;
  const RunOptions& opts_;
  UserProfile profile_;
  http::Endpoint endpoint_;
  std::string prefix_, host_header_;
  std::vector<tcp::endpoint> eps_;
  std::vector<Prepared> prepared_;            // per request, task after task
  std::vector<std::size_t> task_first_;       // index of a task's first request in prepared_
  std::vector<unsigned> cumulative_weights_;
  std::vector<std::string> row_names_, row_methods_;
  Clock::time_point t0_, end_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> issued_{0};
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<unsigned> active_users_{0};
  std::atomic<unsigned> in_flight_iterations_{0};
  std::atomic<std::uint64_t> in_flight_requests_{0};

  std::vector<std::unique_ptr<Sink>> sinks_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  std::size_t workers_running_ = 0;  // guarded by done_mu_

  std::unique_ptr<Conn> make_conn(Worker& w) {
    switch (sc_.client) {
      case ClientKind::kSimple: return std::make_unique<SimpleConn>(eps_);
      case ClientKind::kRuntime: {
        auto c = std::make_unique<RuntimeConn>(w, endpoint_);
        c->prefix = prefix_;
        return c;
      }
      case ClientKind::kFast: break;
    }
    return std::make_unique<FastConn>(w, eps_);
  }

  Status prepare();
  asio::awaitable<bool> request(Worker& w, Conn& conn, UserContext& ctx, Rendered& r, const Prepared& p,
                                Clock::time_point measured_from);
  asio::awaitable<bool> iteration(Worker& w, Conn& conn, UserContext& ctx, Rendered& r,
                                  Clock::time_point measured_from);
  asio::awaitable<void> user(Worker& w, std::size_t index);
  asio::awaitable<void> dispatcher(Worker& w);
  asio::awaitable<void> open_iterations(Worker& w, Worker::Slot* slot, Clock::time_point intended);
  asio::awaitable<void> watchdog(Worker& w);
  void record(Worker& w, const Prepared& p, std::uint64_t latency_us, bool failed, const std::string& reason,
              std::size_t bytes);
  void init_context(UserContext& ctx, std::uint64_t user) {
    ctx.user = user;
    ctx.shared_seq = &seq_;  // {{seq}} is unique across users and threads
    ctx.rng.state = seed_ ^ (user * 0x9e3779b97f4a7c15ULL);
  }
  std::uint64_t seed_ = 1, stride_ = 1;
};

Status Engine::prepare() {
  if (auto st = validate(sc_); !st) return st;
  auto ep = http::parse_http_url(sc_.host);
  if (!ep) return ep.error();
  endpoint_ = *ep;
  prefix_ = ep->path == "/" ? "" : ep->path;
  if (prefix_.ends_with('/')) prefix_.pop_back();
  host_header_ = ep->port == 80 ? ep->host : fmt::format("{}:{}", ep->host, ep->port);
  try {
    asio::io_context io;
    tcp::resolver resolver(io);
    for (const auto& e : resolver.resolve(ep->host, std::to_string(ep->port))) eps_.push_back(e.endpoint());
  } catch (const std::exception& e) {
    return Error{ErrorKind::kUnavailable, fmt::format("cannot resolve {}: {}", ep->host, e.what())};
  }
  if (eps_.empty()) return Error{ErrorKind::kUnavailable, "cannot resolve " + ep->host};

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
      // Requests with the same method and name share a statistics row (as in Locust).
      std::size_t row = 0;
      while (row < row_names_.size() && !(row_names_[row] == r.name && row_methods_[row] == p.method)) ++row;
      if (row == row_names_.size()) {
        row_names_.push_back(r.name);
        row_methods_.emplace_back(p.method);
      }
      p.row = row;
      p.literal = r.path.is_literal() && r.body.is_literal();
      for (const auto& [k, v] : r.headers) p.literal = p.literal && v.is_literal();
      if (p.literal) {
        std::vector<std::pair<std::string, std::string>> headers;
        for (const auto& [k, v] : r.headers) headers.emplace_back(k, v.source());
        append_request(p.wire, p.method, prefix_ + r.path.source(), host_header_, r.content_type, r.body.source(),
                       headers);
      }
      prepared_.push_back(std::move(p));
    }
  }
  task_first_.push_back(prepared_.size());
  seed_ = sc_.seed ? sc_.seed : static_cast<std::uint64_t>(Clock::now().time_since_epoch().count());
  return {};
}

void Engine::record(Worker& w, const Prepared& p, std::uint64_t latency_us, bool failed, const std::string& reason,
                    std::size_t bytes) {
  Sink& s = w.sink;
  std::lock_guard lock(s.mu);
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

asio::awaitable<bool> Engine::request(Worker& w, Conn& conn, UserContext& ctx, Rendered& r, const Prepared& p,
                                      Clock::time_point measured_from) {
  if (stopping_.load(std::memory_order_relaxed)) co_return false;
  if (sc_.max_requests && issued_.fetch_add(1, std::memory_order_relaxed) >= sc_.max_requests) {
    stopping_ = true;
    co_return false;
  }
  std::string_view wire = p.wire;
  if (!p.literal) {
    const RequestSpec& spec = *p.spec;
    r.target = prefix_;
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
      co_return false;
    }
    r.wire.clear();
    append_request(r.wire, p.method, r.target, host_header_, spec.content_type, r.body, r.headers);
    wire = r.wire;
  }
  const auto start = Clock::now();
  const auto from = std::min(measured_from, start);
  in_flight_requests_.fetch_add(1, std::memory_order_relaxed);
  Outcome out = co_await conn.exchange(p, r, wire, start + sc_.timeout);
  in_flight_requests_.fetch_sub(1, std::memory_order_relaxed);
  const auto done = Clock::now();
  std::string reason = std::move(out.error);
  const auto& spec = *p.spec;
  if (reason.empty()) {
    bool ok;
    if (spec.expect.empty()) ok = out.status >= 200 && out.status < 400;
    else ok = std::find(spec.expect.begin(), spec.expect.end(), out.status) != spec.expect.end();
    if (!ok) {
      if (spec.expect.empty()) {
        reason = fmt::format("HTTP {}", out.status);
      } else {
        reason = fmt::format("HTTP {} (expected {})", out.status, fmt::join(spec.expect, " or "));
      }
    }
  }
  if (reason.empty())
    for (const auto& c : spec.captures) {
      auto v = json_capture(out.body, c.json_path);
      if (!v) {
        reason = fmt::format("capture {}: {}", c.var, v.error().message);
        break;
      }
      ctx.set_var(c.var, std::move(*v));
    }
  const bool failed = !reason.empty();
  const auto latency_us = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(done - from).count());
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

asio::awaitable<void> sleep_until(asio::steady_timer& timer, Clock::time_point t) {
  timer.expires_at(t);
  co_await timer.async_wait(kTuple);
}

asio::awaitable<void> Engine::user(Worker& w, std::size_t index) {
  w.live++;
  UserContext ctx;
  init_context(ctx, index + 1);
  Rendered rendered;
  std::unique_ptr<Conn> conn = make_conn(w);
  asio::steady_timer timer(w.io);
  bool active = false;
  while (!stopping_.load(std::memory_order_relaxed)) {
    auto now = Clock::now();
    if (now >= end_) break;
    const double t = std::chrono::duration<double>(now - t0_).count();
    if (profile_.users_at(t) <= static_cast<double>(index)) {
      if (active) {
        active = false;
        active_users_--;
        conn->close();
      }
      const double next = profile_.next_active(index, t);
      if (next < 0) break;
      const auto when = t0_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(next));
      if (when >= end_) break;
      co_await sleep_until(timer, when);
      continue;
    }
    if (!active) {
      active = true;
      active_users_++;
    }
    const auto started = now;
    co_await iteration(w, *conn, ctx, rendered, Clock::time_point::max());
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
  if (active) active_users_--;
  w.live--;
}

asio::awaitable<void> Engine::dispatcher(Worker& w) {
  w.live++;
  asio::steady_timer timer(w.io);
  for (std::uint64_t k = 0; !stopping_.load(std::memory_order_relaxed); ++k) {
    const double t = w.schedule->time_of(k);
    if (t < 0) break;
    const auto intended = t0_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t));
    if (intended >= end_) break;
    auto now = Clock::now();
    if (now < intended) {
      co_await sleep_until(timer, intended);
      now = Clock::now();
      if (now - intended > kSlipThreshold) w.slips++;
    }
    w.arrivals++;
    Worker::Slot* slot = nullptr;
    if (w.pending == 0 && !w.free_slots.empty()) {
      slot = w.free_slots.back();
      w.free_slots.pop_back();
    } else if (w.pending == 0 && w.slots.size() < w.max_slots) {
      w.slots.push_back(std::make_unique<Worker::Slot>());
      slot = w.slots.back().get();
      slot->conn = make_conn(w);
      init_context(slot->ctx, w.index + 1 + (w.slots.size() - 1) * stride_);  // unique across threads
    }
    if (slot) {
      asio::co_spawn(w.io, open_iterations(w, slot, intended), asio::detached);
    } else {
      if (w.pending == 0) w.pending_first = k;
      w.pending++;
    }
  }
  w.live--;
}

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
    intended = t0_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(w.schedule->time_of(k)));
  }
  in_flight_iterations_--;
  w.free_slots.push_back(slot);
  w.live--;
}

asio::awaitable<void> Engine::watchdog(Worker& w) {
  asio::steady_timer timer(w.io);
  do {
    timer.expires_after(kWatchdogTick);
    co_await timer.async_wait(kTuple);
    const auto now = Clock::now();
    // check() may close a connection but never removes one from the list.
    for (auto* c : w.conns) c->check(now);
  } while (w.live > 0);
}

void collect_interval(Sink& s, obs::LogLinearHistogram& hist, std::uint64_t& req, std::uint64_t& fail,
                      std::uint64_t& bytes) {
  std::lock_guard lock(s.mu);
  hist.merge(s.interval);
  s.interval.reset();
  req += s.interval_requests;
  fail += s.interval_failures;
  bytes += s.interval_bytes;
  s.interval_requests = s.interval_failures = s.interval_bytes = 0;
}

Result<Report> Engine::run() {
  if (auto st = prepare(); !st) return st.error();
  raise_fd_limit();

  const bool simple = sc_.client == ClientKind::kSimple;
  const std::size_t nworkers = simple ? std::max(1u, profile_.peak()) : sc_.threads;
  const std::size_t nsinks = simple ? std::min<std::size_t>(nworkers, 8) : nworkers;
  stride_ = sc_.model == Model::kOpen ? nworkers : 1;
  for (std::size_t i = 0; i < nsinks; ++i) {
    sinks_.push_back(std::make_unique<Sink>());
    sinks_.back()->rows.resize(row_names_.size());
  }
  for (std::size_t i = 0; i < nworkers; ++i)
    workers_.push_back(std::make_unique<Worker>(*this, i, *sinks_[i % nsinks]));

  t0_ = Clock::now();
  Micros bound = sc_.duration;
  if (bound.count() == 0 && !sc_.stages.empty())
    bound = std::chrono::duration_cast<Micros>(std::chrono::duration<double>(
        sc_.model == Model::kClosed ? profile_.end_s() : [&] {
          double t = 0;
          for (const auto& st : sc_.stages) t += std::chrono::duration<double>(st.duration).count();
          return t;
        }()));
  end_ = bound.count() ? t0_ + bound : Clock::time_point::max() - std::chrono::hours(24 * 365);

  if (sc_.model == Model::kClosed) {
    for (std::size_t u = 0; u < profile_.peak(); ++u) {
      Worker& w = *workers_[u % nworkers];
      asio::co_spawn(w.io, user(w, u), asio::detached);
    }
  } else {
    for (auto& w : workers_) {
      w->schedule = std::make_unique<ArrivalSchedule>(sc_, 1.0 / static_cast<double>(nworkers));
      w->max_slots = std::max<std::size_t>(1, sc_.max_in_flight / nworkers);
      asio::co_spawn(w->io, dispatcher(*w), asio::detached);
    }
  }
  if (sc_.client != ClientKind::kSimple)
    for (auto& w : workers_) asio::co_spawn(w->io, watchdog(*w), asio::detached);

  workers_running_ = nworkers;
  for (auto& wp : workers_) {
    Worker* w = wp.get();
    w->thread = std::thread([this, w] {
      w->io.run();
      w->cpu_s = thread_cpu_s();
      std::lock_guard lock(done_mu_);
      if (--workers_running_ == 0) done_cv_.notify_all();
    });
  }

  Report rep;
  rep.scenario = sc_.name;
  rep.host = sc_.host;
  rep.source = sc_.source;
  rep.model = sc_.model;
  rep.client = sc_.client;
  rep.threads = simple ? static_cast<unsigned>(nworkers) : sc_.threads;

  obs::LogLinearHistogram cumulative;
  std::uint64_t total_req = 0, total_fail = 0, total_bytes = 0, last_late = 0;
  auto next_tick = t0_ + std::chrono::seconds(1);
  Clock::time_point finished;
  auto take_point = [&](Clock::time_point at) {
    obs::LogLinearHistogram sec;
    std::uint64_t req = 0, fail = 0, bytes = 0;
    for (auto& s : sinks_) collect_interval(*s, sec, req, fail, bytes);
    cumulative.merge(sec);
    total_req += req;
    total_fail += fail;
    total_bytes += bytes;
    SecondPoint p;
    p.t_s = std::chrono::duration<double>(at - t0_).count();
    p.interval_s = rep.series.empty() ? p.t_s : p.t_s - rep.series.back().t_s;
    p.users = sc_.model == Model::kClosed ? active_users_.load() : in_flight_iterations_.load();
    p.requests = req;
    p.failures = fail;
    auto ms = [](std::uint64_t us) { return static_cast<double>(us) / 1000.0; };
    p.p50_ms = ms(sec.quantile(0.5));
    p.p95_ms = ms(sec.quantile(0.95));
    p.p99_ms = ms(sec.quantile(0.99));
    p.max_ms = ms(sec.max());
    for (double q : kLocustPercentiles) p.percentiles_ms.push_back(ms(sec.quantile(q)));
    p.total_requests = total_req;
    p.total_failures = total_fail;
    p.total_p50_ms = ms(cumulative.quantile(0.5));
    p.total_mean_ms = cumulative.mean() / 1000.0;
    p.total_min_ms = ms(cumulative.min());
    p.total_max_ms = ms(cumulative.max());
    p.total_avg_bytes = total_req ? static_cast<double>(total_bytes) / static_cast<double>(total_req) : 0;
    std::uint64_t late = 0;
    for (auto& w : workers_) late += w->late.load(std::memory_order_relaxed);
    p.late_starts = late - last_late;
    last_late = late;
    rep.peak_users = std::max(rep.peak_users, p.users);
    rep.series.push_back(std::move(p));
    if (opts_.on_progress) {
      Progress pr;
      pr.elapsed_s = rep.series.back().t_s;
      pr.users = rep.series.back().users;
      pr.total_requests = total_req;
      pr.total_failures = total_fail;
      pr.last = &rep.series.back();
      opts_.on_progress(pr);
    }
  };
  {
    std::unique_lock lock(done_mu_);
    auto hard_end = end_ + kEndGrace;  // in-flight work gets a grace, then is cut
    for (;;) {
      done_cv_.wait_until(lock, std::min(next_tick, hard_end), [&] { return workers_running_ == 0; });
      if (workers_running_ == 0) {
        finished = Clock::now();
        break;
      }
      const auto now = Clock::now();
      if (opts_.stop && opts_.stop->load() && !stopping_) {
        stopping_ = true;  // nothing new starts
        hard_end = std::min(hard_end, now + kEndGrace);
      }
      if (now >= hard_end) {
        finished = std::min(now, end_);
        rep.unfinished = in_flight_requests_.load();
        for (auto& w : workers_) w->io.stop();
        done_cv_.wait(lock, [&] { return workers_running_ == 0; });
        break;
      }
      if (now >= next_tick) {
        lock.unlock();
        take_point(next_tick);
        lock.lock();
        next_tick += std::chrono::seconds(1);
      }
    }
  }
  for (auto& w : workers_) w->thread.join();
  // Open-model slots own sockets of their worker's io_context: they must go
  // before it (a socket may not outlive its io_context). Frames that still
  // point at them are suspended for good and never touch them again.
  for (auto& w : workers_) {
    w->free_slots.clear();
    w->slots.clear();
  }
  // The last, partial second.
  {
    std::uint64_t pending = 0;
    for (auto& s : sinks_) {
      std::lock_guard lock(s->mu);
      pending += s->interval_requests;
    }
    if (pending) take_point(finished);
  }
  rep.elapsed_s = std::chrono::duration<double>(finished - t0_).count();

  rep.requests.resize(row_names_.size());
  for (std::size_t i = 0; i < row_names_.size(); ++i) {
    rep.requests[i].name = row_names_[i];
    rep.requests[i].method = row_methods_[i];
  }
  for (auto& s : sinks_)
    for (std::size_t i = 0; i < s->rows.size(); ++i) rep.requests[i].merge(s->rows[i]);
  rep.aggregate.name = "Aggregated";
  for (const auto& r : rep.requests) rep.aggregate.merge(r);

  double busiest = 0, cpu = 0;
  for (auto& w : workers_) {
    rep.arrivals += w->arrivals;
    rep.late_starts += w->late.load();
    rep.generator_slips += w->slips;
    rep.max_start_lag_ms = std::max(rep.max_start_lag_ms, w->max_lag_ms);
    rep.unfinished += w->pending;  // arrivals that never got a slot
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
  if (busiest > 0.9)
    rep.check.reasons.push_back(fmt::format(
        "the generator was CPU-bound: {} at {:.0f}% of a core, so it may have limited the request rate and "
        "added its own delay to the latencies; use more --threads or the fast client",
        simple ? "its threads together ran" : "its busiest thread ran", 100 * busiest));
  if (sc_.model == Model::kOpen && rep.arrivals > 0) {
    const double slip = static_cast<double>(rep.generator_slips) / static_cast<double>(rep.arrivals);
    if (slip > 0.01)
      rep.check.reasons.push_back(fmt::format(
          "the open-model schedule slipped: {:.1f}% of arrivals were dispatched more than {} ms late by the "
          "generator itself (not by the server)",
          100 * slip, kSlipThreshold.count()));
  }
  rep.check.trustworthy = rep.check.reasons.empty();
  return rep;
}

}  // namespace

Result<Report> run(const Scenario& scenario, const RunOptions& options) {
  Engine engine(scenario, options);
  return engine.run();
}

}  // namespace scalelab::load
