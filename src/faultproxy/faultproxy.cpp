#include "faultproxy/faultproxy.h"

#include <algorithm>
#include <charconv>
#include <future>
#include <list>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/as_tuple.h"
#include "core/thread_annotations.h"

namespace scalelab::faultproxy {

namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using core::kTuple;

const char* to_string(FaultKind k) {
  switch (k) {
    case FaultKind::kLatency: return "latency";
    case FaultKind::kHttpError: return "http_error";
    case FaultKind::kReset: return "reset";
    case FaultKind::kHang: return "hang";
    case FaultKind::kBandwidth: return "bandwidth";
    case FaultKind::kDown: return "down";
  }
  return "unknown";
}

json::value to_json(const Fault& f) {
  json::object o;
  o["name"] = f.name;
  o["type"] = to_string(f.kind);
  o["probability"] = f.probability;
  switch (f.kind) {
    case FaultKind::kLatency:
      o["latency_ms"] = f.latency.count();
      o["jitter_ms"] = f.jitter.count();
      break;
    case FaultKind::kHttpError:
      o["status"] = f.status;
      o["retry_after_s"] = f.retry_after.count();
      break;
    case FaultKind::kHang: o["close_after_ms"] = f.close_after.count(); break;
    case FaultKind::kBandwidth: o["rate_bytes_per_second"] = f.rate_bytes_per_second; break;
    default: break;
  }
  return o;
}

namespace {

Error invalid(std::string message) { return Error{ErrorKind::kInvalidInput, std::move(message)}; }

// A non-negative integer field; absent leaves `out` as it is.
std::optional<Error> read_uint(const json::object& o, const char* key, std::uint64_t& out) {
  auto it = o.find(key);
  if (it == o.end()) return std::nullopt;
  const auto& v = it->value();
  if (v.is_uint64()) out = v.as_uint64();
  else if (v.is_int64() && v.as_int64() >= 0) out = static_cast<std::uint64_t>(v.as_int64());
  else if (v.is_double() && v.as_double() >= 0 && v.as_double() < 1e15) out = static_cast<std::uint64_t>(v.as_double());
  else return invalid(std::string("'") + key + "' must be a non-negative number");
  return std::nullopt;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto a = asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

}  // namespace

Result<Fault> fault_from_json(const json::value& value) {
  if (!value.is_object()) return invalid("a fault must be a JSON object");
  const auto& o = value.as_object();
  Fault f;
  auto type = o.find("type");
  if (type == o.end() || !type->value().is_string()) return invalid("'type' is required: one of latency, http_error, reset, hang, bandwidth, down");
  const std::string t(type->value().as_string());
  bool known = false;
  for (std::size_t i = 0; i < kFaultKinds; ++i)
    if (t == to_string(static_cast<FaultKind>(i))) {
      f.kind = static_cast<FaultKind>(i);
      known = true;
    }
  if (!known) return invalid("unknown fault type '" + t + "': one of latency, http_error, reset, hang, bandwidth, down");
  f.name = t;
  if (auto it = o.find("name"); it != o.end()) {
    if (!it->value().is_string() || it->value().as_string().empty() || it->value().as_string().size() > 64)
      return invalid("'name' must be a non-empty string of at most 64 characters");
    f.name = std::string(it->value().as_string());
  }
  if (auto it = o.find("probability"); it != o.end()) {
    const auto& v = it->value();
    if (!v.is_number()) return invalid("'probability' must be a number in [0, 1]");
    f.probability = v.to_number<double>();
    if (!(f.probability >= 0.0 && f.probability <= 1.0)) return invalid("'probability' must be in [0, 1]");
  }
  std::uint64_t latency = 0, jitter = 0, status = f.status, retry_after = 0, close_after = 0, rate = 0;
  for (auto [key, out] : {std::pair{"latency_ms", &latency}, {"jitter_ms", &jitter}, {"status", &status},
                          {"retry_after_s", &retry_after}, {"close_after_ms", &close_after},
                          {"rate_bytes_per_second", &rate}})
    if (auto e = read_uint(o, key, *out)) return *e;
  constexpr std::uint64_t kHour = 3'600'000;
  if (latency > kHour || jitter > kHour || close_after > kHour || retry_after > 3600)
    return invalid("durations are limited to one hour");
  f.latency = std::chrono::milliseconds(latency);
  f.jitter = std::chrono::milliseconds(jitter);
  f.close_after = std::chrono::milliseconds(close_after);
  f.retry_after = std::chrono::seconds(retry_after);
  f.rate_bytes_per_second = rate;
  if (f.kind == FaultKind::kHttpError && (status < 400 || status > 599))
    return invalid("'status' must be an HTTP error status (400-599)");
  f.status = static_cast<unsigned>(status);
  if (f.kind == FaultKind::kBandwidth && rate == 0) return invalid("'rate_bytes_per_second' must be > 0");
  return f;
}

json::value to_json(const ProxyStats& s) {
  json::object faults;
  for (std::size_t i = 0; i < kFaultKinds; ++i) faults[to_string(static_cast<FaultKind>(i))] = s.faults_applied[i];
  return json::object{{"connections_accepted", s.connections_accepted},
                      {"connections_active", s.connections_active},
                      {"upstream_connect_failures", s.upstream_connect_failures},
                      {"faults_applied", std::move(faults)}};
}

class FaultProxy::Impl {
 public:
  explicit Impl(ProxyOptions options)
      : options_(std::move(options)), rng_(options_.seed ? options_.seed : std::random_device{}()) {
    if (!is_loopback(options_.listen_address))
      throw std::invalid_argument("fault proxy: listen address must be loopback, not '" + options_.listen_address + "'");
    if (!is_loopback(options_.upstream_host))
      throw std::invalid_argument("fault proxy: upstream must be loopback, not '" + options_.upstream_host + "'");
    if (options_.upstream_port == 0) throw std::invalid_argument("fault proxy: upstream port is required");
    faults_ = std::make_shared<const std::vector<Fault>>();
  }

  ~Impl() { stop(); }

  void start() {
    open_listener();  // throws when the port cannot be bound
    port_ = acceptor_->local_endpoint().port();
    thread_ = std::thread([this] { io_.run(); });
    spdlog::info("fault proxy listening on {}:{} -> {}:{}", options_.listen_address, port_, options_.upstream_host,
                 options_.upstream_port);
  }

  void stop() {
    if (!thread_.joinable()) return;
    // Sessions still waiting on timers (latency, bandwidth) are destroyed
    // with the io_context rather than waited for.
    asio::post(io_, [this] {
      close_listener();
      drop_connections();
      io_.stop();
    });
    thread_.join();
  }

  Result<Fault> add(Fault f) {
    if (!(f.probability >= 0 && f.probability <= 1)) return invalid("probability must be in [0, 1]");
    if (f.name.empty()) f.name = to_string(f.kind);
    {
      core::MutexLock lock(mu_);
      for (const auto& existing : *faults_)
        if (existing.name == f.name)
          return Error{ErrorKind::kConflict, "a fault named '" + f.name + "' exists; remove it first"};
      auto next = std::make_shared<std::vector<Fault>>(*faults_);
      next->push_back(f);
      faults_ = std::move(next);
    }
    spdlog::info("fault proxy: added {} '{}' (probability {})", to_string(f.kind), f.name, f.probability);
    listener_follows_faults();
    return f;
  }

  bool remove(const std::string& name) {
    {
      core::MutexLock lock(mu_);
      auto next = std::make_shared<std::vector<Fault>>(*faults_);
      const auto before = next->size();
      std::erase_if(*next, [&](const Fault& f) { return f.name == name; });
      if (next->size() == before) return false;
      faults_ = std::move(next);
    }
    spdlog::info("fault proxy: removed '{}'", name);
    listener_follows_faults();
    return true;
  }

  void clear() {
    {
      core::MutexLock lock(mu_);
      faults_ = std::make_shared<const std::vector<Fault>>();
    }
    listener_follows_faults();
  }

  std::shared_ptr<const std::vector<Fault>> snapshot() const {
    core::MutexLock lock(mu_);
    return faults_;
  }

  ProxyStats stats() const {
    ProxyStats s;
    s.connections_accepted = accepted_.load();
    s.connections_active = active_.load();
    s.upstream_connect_failures = connect_failures_.load();
    for (std::size_t i = 0; i < kFaultKinds; ++i) s.faults_applied[i] = applied_[i].load();
    return s;
  }

  std::uint16_t port_ = 0;

 private:
  struct Conn {
    explicit Conn(tcp::socket s) : client(std::move(s)), upstream(client.get_executor()) {}
    tcp::socket client;
    tcp::socket upstream;
    bool closed = false;
    bool hanging = false;  // a hang fault holds the client: the upstream's end must not close it
    void close(bool reset) {
      if (closed) return;
      closed = true;
      boost::system::error_code ignored;
      if (reset) client.set_option(asio::socket_base::linger(true, 0), ignored);
      client.close(ignored);
      upstream.close(ignored);
    }
  };

  // Called on any thread after the fault list changed: a certain `down`
  // closes the listener (and drops connections); without one it listens.
  // Returns once the io thread has applied the change, so that a caller
  // who added `down` can count on refused connections at once.
  void listener_follows_faults() {
    if (!thread_.joinable()) return;
    std::promise<void> applied;
    auto done = applied.get_future();
    asio::post(io_, [this, &applied] {
      struct Signal {
        std::promise<void>& p;
        ~Signal() { p.set_value(); }
      } signal{applied};
      const bool down = certainly_down(*snapshot());
      if (down && acceptor_) {
        close_listener();
        drop_connections();
        applied_[static_cast<std::size_t>(FaultKind::kDown)].fetch_add(1);
      } else if (!down && !acceptor_) {
        try {
          open_listener();
        } catch (const std::exception& e) {
          spdlog::error("fault proxy: cannot listen again on port {}: {}", port_, e.what());
        }
      }
    });
    done.wait();
  }

  static bool certainly_down(const std::vector<Fault>& faults) {
    return std::any_of(faults.begin(), faults.end(),
                       [](const Fault& f) { return f.kind == FaultKind::kDown && f.probability >= 1.0; });
  }

  void open_listener() {
    tcp::endpoint ep(asio::ip::make_address(options_.listen_address == "localhost" ? "127.0.0.1" : options_.listen_address),
                     port_ ? port_ : options_.listen_port);
    auto acceptor = std::make_shared<tcp::acceptor>(io_);
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen();
    acceptor_ = acceptor;
    asio::co_spawn(io_, accept_loop(std::move(acceptor)), asio::detached);
  }

  void close_listener() {
    if (!acceptor_) return;
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();  // the accept loop holds its own reference until it ends
  }

  void drop_connections() {
    for (auto& weak : conns_)
      if (auto c = weak.lock()) c->close(true);
    conns_.clear();
  }

  bool roll(double p) { return p >= 1.0 || (p > 0.0 && std::uniform_real_distribution<double>(0, 1)(rng_) < p); }

  asio::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor->async_accept(kTuple);
      if (ec) {
        if (!acceptor->is_open() || ec == asio::error::operation_aborted) co_return;
        asio::steady_timer backoff(io_, std::chrono::milliseconds(50));
        co_await backoff.async_wait(kTuple);
        continue;
      }
      accepted_.fetch_add(1);
      auto conn = std::make_shared<Conn>(std::move(socket));
      std::erase_if(conns_, [](const auto& w) { return w.expired(); });
      if (conns_.size() >= options_.max_connections) {
        conn->close(true);
        continue;
      }
      conns_.push_back(conn);
      asio::co_spawn(io_, session(conn), asio::detached);
    }
  }

  asio::awaitable<void> session(std::shared_ptr<Conn> conn) {
    active_.fetch_add(1);
    struct Done {
      std::atomic<std::uint64_t>& active;
      ~Done() { active.fetch_sub(1); }
    } done{active_};
    for (const auto& f : *snapshot())
      if (f.kind == FaultKind::kDown && roll(f.probability)) {
        applied_[static_cast<std::size_t>(FaultKind::kDown)].fetch_add(1);
        conn->close(true);
        co_return;
      }
    if (!co_await connect_upstream(conn)) {
      connect_failures_.fetch_add(1);
      conn->close(true);  // as if the upstream had refused
      co_return;
    }
    asio::co_spawn(io_, pump_down(conn), asio::detached);
    co_await pump_up(conn);
  }

  asio::awaitable<bool> connect_upstream(std::shared_ptr<Conn> c) {
    Conn& conn = *c;
    tcp::resolver resolver(io_);
    auto [rec, results] = co_await resolver.async_resolve(options_.upstream_host,
                                                          std::to_string(options_.upstream_port), kTuple);
    if (rec || results.empty()) co_return false;
    asio::steady_timer timer(io_, options_.connect_timeout);
    timer.async_wait([c](const boost::system::error_code& ec) {
      if (!ec) {
        boost::system::error_code ignored;
        c->upstream.cancel(ignored);
      }
    });
    auto [ec] = co_await conn.upstream.async_connect(*results.begin(), kTuple);
    timer.cancel();
    if (ec || conn.closed) co_return false;
    boost::system::error_code ignored;
    conn.upstream.set_option(tcp::no_delay(true), ignored);
    conn.client.set_option(tcp::no_delay(true), ignored);
    co_return true;
  }

  // Client -> upstream, where most faults are decided.
  asio::awaitable<void> pump_up(std::shared_ptr<Conn> conn) {
    std::vector<char> buf(16 << 10);
    for (;;) {
      auto [ec, n] = co_await conn->client.async_read_some(asio::buffer(buf), kTuple);
      if (ec || conn->closed) break;
      std::chrono::milliseconds delay{0};
      const Fault* terminal = nullptr;
      const auto faults = snapshot();
      for (const auto& f : *faults) {
        if (f.kind == FaultKind::kLatency && roll(f.probability)) {
          applied_[static_cast<std::size_t>(f.kind)].fetch_add(1);
          auto d = f.latency.count();
          if (f.jitter.count() > 0)
            d += std::uniform_int_distribution<std::int64_t>(-f.jitter.count(), f.jitter.count())(rng_);
          delay += std::chrono::milliseconds(std::max<std::int64_t>(0, d));
        } else if (!terminal &&
                   (f.kind == FaultKind::kReset || f.kind == FaultKind::kHang || f.kind == FaultKind::kHttpError) &&
                   roll(f.probability)) {
          terminal = &f;
        }
      }
      if (delay.count() > 0) {
        asio::steady_timer t(io_, delay);
        co_await t.async_wait(kTuple);
        if (conn->closed) break;
      }
      if (terminal) {
        applied_[static_cast<std::size_t>(terminal->kind)].fetch_add(1);
        if (terminal->kind == FaultKind::kReset) {
          conn->close(true);
        } else if (terminal->kind == FaultKind::kHttpError) {
          co_await answer_error(*conn, *terminal);
        } else {
          co_await hang(conn, terminal->close_after);
        }
        break;
      }
      auto [wec, wn] = co_await asio::async_write(conn->upstream, asio::buffer(buf.data(), n), kTuple);
      if (wec) break;
    }
    conn->close(false);
  }

  // Upstream -> client, where bandwidth applies.
  asio::awaitable<void> pump_down(std::shared_ptr<Conn> conn) {
    std::vector<char> buf(16 << 10);
    for (;;) {
      auto [ec, n] = co_await conn->upstream.async_read_some(asio::buffer(buf), kTuple);
      if (ec || conn->closed) break;
      std::uint64_t rate = 0;
      for (const auto& f : *snapshot())
        if (f.kind == FaultKind::kBandwidth && roll(f.probability)) {
          rate = rate ? std::min(rate, f.rate_bytes_per_second) : f.rate_bytes_per_second;
        }
      boost::system::error_code wec;
      if (rate == 0) {
        std::tie(wec, std::ignore) = co_await asio::async_write(conn->client, asio::buffer(buf.data(), n), kTuple);
      } else {
        applied_[static_cast<std::size_t>(FaultKind::kBandwidth)].fetch_add(1);
        // Slices of a twentieth of a second's worth, each followed by its time.
        const std::size_t slice = std::max<std::size_t>(1, rate / 20);
        for (std::size_t off = 0; off < n && !wec && !conn->closed; off += slice) {
          const std::size_t len = std::min(slice, n - off);
          std::tie(wec, std::ignore) = co_await asio::async_write(conn->client, asio::buffer(buf.data() + off, len), kTuple);
          asio::steady_timer t(io_, std::chrono::microseconds(len * 1'000'000 / rate));
          co_await t.async_wait(kTuple);
        }
      }
      if (wec || conn->closed) break;
    }
    if (!conn->hanging) conn->close(false);
  }

  // conn and f are kept alive by the awaiting session (its shared_ptr to the
  // Conn and its copy of the fault list).
  asio::awaitable<void> answer_error(Conn& conn, const Fault& f) {
    const std::string body = fmt::format(R"({{"error":"FAULT_INJECTED","message":"fault proxy: {} '{}'"}})",
                                         to_string(f.kind), f.name);
    std::string head = fmt::format("HTTP/1.1 {} Injected Fault\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                                   f.status, body.size());
    if (f.retry_after.count() > 0) head += fmt::format("Retry-After: {}\r\n", f.retry_after.count());
    head += "Connection: close\r\n\r\n";
    head += body;
    co_await asio::async_write(conn.client, asio::buffer(head), kTuple);
    boost::system::error_code ignored;
    conn.client.shutdown(tcp::socket::shutdown_send, ignored);
    conn.close(false);
  }

  // Holds the connection without passing data until the client closes it,
  // close_after passes (if set), or the proxy stops.
  asio::awaitable<void> hang(std::shared_ptr<Conn> conn, std::chrono::milliseconds close_after) {
    conn->hanging = true;
    boost::system::error_code ignored;
    conn->upstream.close(ignored);  // nothing more reaches or leaves the upstream
    std::optional<asio::steady_timer> timer;
    if (close_after.count() > 0) {
      timer.emplace(io_, close_after);
      timer->async_wait([conn](const boost::system::error_code& ec) {
        if (!ec) conn->close(false);
      });
    }
    char sink[4096];
    for (;;) {
      auto [ec, n] = co_await conn->client.async_read_some(asio::buffer(sink), kTuple);
      if (ec || conn->closed) break;
    }
    if (timer) timer->cancel();
  }

  // Declared before io_ so that they outlive it: destroying io_ destroys
  // the sessions still suspended, and those touch the counters.
  ProxyOptions options_;
  mutable core::Mutex mu_;
  std::shared_ptr<const std::vector<Fault>> faults_ GUARDED_BY(mu_);  // replaced, never modified
  std::atomic<std::uint64_t> accepted_{0}, active_{0}, connect_failures_{0};
  std::atomic<std::uint64_t> applied_[kFaultKinds] = {};
  // On the io thread only:
  std::vector<std::weak_ptr<Conn>> conns_;
  std::mt19937_64 rng_;

  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread thread_;
  std::shared_ptr<tcp::acceptor> acceptor_;  // io thread only; null while down
};

FaultProxy::FaultProxy(ProxyOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
FaultProxy::~FaultProxy() = default;
void FaultProxy::start() { impl_->start(); }
std::uint16_t FaultProxy::port() const { return impl_->port_; }
void FaultProxy::stop() { impl_->stop(); }
Result<Fault> FaultProxy::add(Fault fault) { return impl_->add(std::move(fault)); }
bool FaultProxy::remove(const std::string& name) { return impl_->remove(name); }
void FaultProxy::clear() { impl_->clear(); }
std::vector<Fault> FaultProxy::faults() const { return *impl_->snapshot(); }
ProxyStats FaultProxy::stats() const { return impl_->stats(); }

void FaultProxy::register_control_routes(http::Router& router) {
  router.get("/faults", [this](http::Request&) -> asio::awaitable<http::Response> {
    json::array list;
    for (const auto& f : faults()) list.push_back(to_json(f));
    co_return http::Response::json(200, json::object{{"faults", std::move(list)}});
  });
  router.post("/faults", [this](http::Request& req) -> asio::awaitable<http::Response> {
    auto parsed = fault_from_json(req.json());
    if (!parsed) co_return http::Response::error(400, http::code::kInvalidInput, parsed.error().message);
    auto added = add(std::move(*parsed));
    if (!added) co_return http::Response::error(409, http::code::kConflict, added.error().message);
    co_return http::Response::json(201, to_json(*added));
  });
  router.del("/faults/{name}", [this](http::Request& req) -> asio::awaitable<http::Response> {
    if (!remove(std::string(req.param("name"))))
      co_return http::Response::error(404, http::code::kNotFound, "no fault named '" + std::string(req.param("name")) + "'");
    co_return http::Response::no_content();
  });
  router.del("/faults", [this](http::Request&) -> asio::awaitable<http::Response> {
    clear();
    co_return http::Response::no_content();
  });
  router.get("/stats", [this](http::Request&) -> asio::awaitable<http::Response> {
    co_return http::Response::json(200, to_json(stats()));
  });
}

}  // namespace scalelab::faultproxy
