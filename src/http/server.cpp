#include "http/server.h"

#include <algorithm>
#include <tuple>
#include <atomic>
#include <csignal>
#include <list>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <spdlog/spdlog.h>

#include "core/as_tuple.h"
#include "core/thread_annotations.h"
#include "http/detail/exchange.h"
#include "http/metrics.h"

namespace scalelab::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using core::kTuple;

namespace {

using SteadyNs = std::int64_t;
constexpr SteadyNs kNoDeadline = INT64_MAX;
SteadyNs now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One client connection. The socket and the flags live on `executor` (one
// thread, or a strand in the shared model). Timeouts are coarse deadlines: the
// session stores one per I/O step (a relaxed atomic store, no timer), and the
// server's sweeper cancels the socket of a connection whose deadline passed.
struct Connection {
  Connection(tcp::socket s, asio::any_io_executor ex) : socket(std::move(s)), executor(std::move(ex)) {}
  // Deadlines start from the sweeper's clock, read without a system call; it
  // is at most one tick old, as coarse as the sweeper itself.
  static inline std::atomic<SteadyNs> coarse_now{now_ns()};
  void expires_after(std::chrono::milliseconds d) {
    deadline.store(coarse_now.load(std::memory_order_relaxed) +
                       std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(),
                   std::memory_order_relaxed);
  }
  void expires_never() { deadline.store(kNoDeadline, std::memory_order_relaxed); }
  bool expired() const { return deadline.load(std::memory_order_relaxed) <= now_ns(); }

  tcp::socket socket;
  asio::any_io_executor executor;
  std::atomic<SteadyNs> deadline{kNoDeadline};
  bool idle = true;        // waiting for a request's first byte
  bool timed_out = false;  // the sweeper cancelled an I/O step
};

// Which response, if any, a failed read deserves before the connection closes.
struct ReadFailure {
  unsigned status = 0;  // 0: close silently
  std::string_view code;
  const char* message = "";
};

ReadFailure classify(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit)
    return {431, code::kHeadersTooLarge, "request header fields too large"};
  if (ec == bhttp::error::body_limit) return {413, code::kPayloadTooLarge, "request body too large"};
  // End of stream or a reset leaves no one to answer: close silently.
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return {};
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
    return {400, code::kInvalidInput, "malformed HTTP request"};
  return {};
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, Router& router, obs::Registry& registry)
      : options_(std::move(options)), router_(router), registry_(registry) {
    if (options_.threads == 0) options_.threads = std::max(1u, std::thread::hardware_concurrency());
    if (!router_.has(Method::kGet, "/health"))
      router_.get("/health", [](Request&) -> asio::awaitable<Response> {
        co_return Response::json_text(200, R"({"status":"ok"})");
      });
    if (!router_.has(Method::kGet, "/metrics"))
      // Captures the caller's registry, not this server: the route stays
      // valid in the router after the server is gone.
      router_.get("/metrics", [&registry = registry_](Request&) -> asio::awaitable<Response> {
        std::string text = registry.render();
        obs::append_process_metrics(text);
        co_return Response::text(200, std::move(text), "text/plain; version=0.0.4; charset=utf-8");
      });
    metrics_ = std::make_unique<HttpMetrics>(registry_, router_);
  }

  ~Impl() {
    stop();
    wait();
  }

  void start() {
    const unsigned n_contexts = options_.io_model == IoModel::kShared ? 1 : options_.threads;
    for (unsigned i = 0; i < n_contexts; ++i) {
      contexts_.push_back(std::make_unique<asio::io_context>(
          options_.io_model == IoModel::kShared ? static_cast<int>(options_.threads) : 1));
      guards_.emplace_back(contexts_.back()->get_executor());
    }
    acceptor_.emplace(*contexts_[0]);
    beast::error_code ec;
    const auto address = asio::ip::make_address(options_.address, ec);
    if (ec)
      throw std::system_error(ec.value(), std::generic_category(),
                              "'" + options_.address + "' is not an IP address");
    tcp::endpoint endpoint(address, options_.port);
    acceptor_->open(endpoint.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_->bind(endpoint, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::system_error(ec.value(), std::generic_category(),
                              "cannot listen on " + options_.address + ":" + std::to_string(options_.port));
    port_ = acceptor_->local_endpoint().port();
    Connection::coarse_now.store(now_ns(), std::memory_order_relaxed);
    asio::co_spawn(*contexts_[0], accept_loop(), asio::detached);
    asio::co_spawn(*contexts_[0], sweep(), asio::detached);
    for (unsigned i = 0; i < options_.threads; ++i) {
      auto& ctx = *contexts_[i % contexts_.size()];
      threads_.emplace_back([&ctx] { ctx.run(); });
    }
    spdlog::info("listening on {}:{} ({} threads, {})", options_.address, port_, options_.threads,
                 options_.io_model == IoModel::kShared ? "shared io_context"
                                                       : "io_context per thread");
  }

  void stop() {
    if (contexts_.empty() || stopping_.exchange(true)) return;
    draining_.store(true);
    asio::post(*contexts_[0], [this] {
      beast::error_code ignored;
      acceptor_->close(ignored);
    });
    {
      core::MutexLock lock(connections_mu_);
      for (auto& entry : connections_) {
        if (auto conn = entry.weak.lock()) {
          asio::post(conn->executor, [conn] {
            beast::error_code ignored;
            if (conn->idle) conn->socket.cancel(ignored);
          });
        }
      }
    }
    asio::co_spawn(*contexts_[0], drain_then_stop(), asio::detached);
  }

  void join() {
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    threads_.clear();
  }

  void wait() {
    join();
    if (stopping_.load()) {
      // Destroying the contexts destroys the sessions still suspended after
      // the grace period, which closes their sockets.
      acceptor_.reset();
      guards_.clear();
      contexts_.clear();
    }
  }

  asio::awaitable<void> drain_then_stop() {
    const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (active_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      timer.expires_after(std::chrono::milliseconds(5));
      co_await timer.async_wait(kTuple);
    }
    if (active_.load() > 0)
      spdlog::warn("shutdown grace over; cancelling {} connections", active_.load());
    for (auto& g : guards_) g.reset();
    for (auto& ctx : contexts_) ctx->stop();
  }

  asio::awaitable<void> accept_loop() {
    std::size_t next = 0;
    for (;;) {
      auto& ctx = *contexts_[next++ % contexts_.size()];
      auto [ec, socket] = co_await acceptor_->async_accept(ctx, kTuple);
      if (ec) {
        if (!acceptor_->is_open() || ec == asio::error::operation_aborted) co_return;
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer backoff(*contexts_[0], std::chrono::milliseconds(50));
        co_await backoff.async_wait(kTuple);  // e.g. out of file descriptors
        continue;
      }
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      asio::any_io_executor ex = options_.io_model == IoModel::kShared
                                     ? asio::any_io_executor(asio::make_strand(ctx))
                                     : asio::any_io_executor(ctx.get_executor());
      const bool reject = active_.load() >= options_.max_connections;
      if (reject) {
        metrics_->connections_rejected.inc();
      } else {
        active_.fetch_add(1);
        metrics_->connections_accepted.inc();
      }
      asio::co_spawn(ex, session(std::make_shared<Connection>(std::move(socket), ex), reject),
                     asio::detached);
    }
  }

  // Every tick, cancels the pending I/O of connections past their deadline.
  // The tick is a fraction of the shortest timeout, so a timeout fires within
  // about 20% of its value.
  asio::awaitable<void> sweep() {
    const auto shortest = std::min({options_.read_timeout, options_.idle_timeout, options_.write_timeout});
    const auto tick = std::clamp(shortest / 5, std::chrono::milliseconds(5), std::chrono::milliseconds(250));
    asio::steady_timer timer(*contexts_[0]);
    for (;;) {
      timer.expires_after(tick);
      auto [ec] = co_await timer.async_wait(kTuple);
      if (ec) co_return;
      Connection::coarse_now.store(now_ns(), std::memory_order_relaxed);
      core::MutexLock lock(connections_mu_);
      for (auto& entry : connections_) {
        if (!entry.raw->expired()) continue;
        if (auto conn = entry.weak.lock()) {
          asio::post(conn->executor, [conn] {
            if (!conn->expired()) return;  // the session moved on meanwhile
            conn->timed_out = true;
            beast::error_code ignored;
            conn->socket.cancel(ignored);
          });
        }
      }
    }
  }

  // The coroutines below take references (the Connection, its buffer and
  // parser, a Response, the bytes to write): each is awaited directly by
  // session(), which holds the Connection's shared_ptr and the rest in its own
  // frame, so they outlive every suspension.

  // Writes all of `bytes`: first straight away (the socket is non-blocking,
  // and a small response almost always fits the send buffer), then
  // asynchronously for whatever is left.
  asio::awaitable<beast::error_code> write_all(Connection& conn, std::string_view bytes) {
    beast::error_code ec;
    const std::size_t n = conn.socket.write_some(asio::buffer(bytes), ec);
    if (!ec && n == bytes.size()) co_return ec;
    if (ec && ec != asio::error::would_block) co_return ec;
    if (!ec) bytes.remove_prefix(n);
    conn.expires_after(options_.write_timeout);
    std::tie(ec, std::ignore) = co_await asio::async_write(conn.socket, asio::buffer(bytes), kTuple);
    co_return ec;
  }

  // Reads one request into `parser`, feeding it from `buffer` and the socket.
  asio::awaitable<beast::error_code> read_request(Connection& conn, beast::flat_buffer& buffer,
                                                  bhttp::request_parser<bhttp::string_body>& parser) {
    bool continue_sent = false;
    for (;;) {
      beast::error_code ec;
      if (buffer.size() > 0) {
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec && ec != bhttp::error::need_more) co_return ec;
        if (parser.is_done()) co_return beast::error_code{};
        if (used > 0 && buffer.size() > 0 && !ec) continue;  // parse what is left
      }
      if (parser.is_header_done() && !continue_sent &&
          beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
        continue_sent = true;
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        if (auto wec = co_await write_all(conn, kContinue)) co_return wec;
        conn.expires_after(options_.read_timeout);
      }
      std::size_t n = 0;
      std::tie(ec, n) = co_await conn.socket.async_read_some(buffer.prepare(kReadChunk), kTuple);
      if (ec == asio::error::eof) {
        if (!parser.got_some()) co_return bhttp::error::end_of_stream;
        parser.put_eof(ec);
        co_return ec ? ec : beast::error_code(bhttp::error::partial_message);
      }
      if (ec) co_return ec;
      buffer.commit(n);
    }
  }

  // Sends a JSON error and closes, draining what the client still sends so the
  // close does not turn into a reset that loses the response.
  asio::awaitable<void> close_with(Connection& conn, const Response& res) {
    std::string out;
    detail::serialize_response(out, res, 11, false, false, {});
    conn.timed_out = false;
    conn.expires_after(options_.write_timeout);
    if (co_await write_all(conn, out)) co_return;
    beast::error_code ec;
    conn.socket.shutdown(tcp::socket::shutdown_send, ec);
    conn.expires_after(std::chrono::seconds(2));
    char sink[4096];
    std::size_t drained = 0;
    while (!ec && drained < (1u << 20)) {
      std::size_t n;
      std::tie(ec, n) = co_await conn.socket.async_read_some(asio::buffer(sink), kTuple);
      drained += n;
    }
  }

  // Writes the pieces of a streamed body until it ends, the client goes away
  // (a write fails or times out) or the server drains. While the producer
  // waits no deadline runs: it bounds its own time.
  asio::awaitable<void> stream_body(Connection& conn, const BodyStream& next) {
    while (!draining_.load()) {
      conn.expires_never();
      std::optional<std::string> piece = co_await next();
      if (!piece) break;
      if (piece->empty()) continue;
      conn.expires_after(options_.write_timeout);
      if (co_await write_all(conn, *piece)) break;
    }
  }

  // A connection's life: registered for the sweeper and for shutdown while it
  // runs. Beyond max_connections it only gets a 503.
  asio::awaitable<void> session(std::shared_ptr<Connection> conn, bool reject) {
    std::list<ConnectionEntry>::iterator registered;
    {
      core::MutexLock lock(connections_mu_);
      registered = connections_.insert(connections_.end(), ConnectionEntry{conn.get(), conn});
    }
    if (reject) {
      auto res = Response::error(503, code::kTooManyConnections, "server connection limit reached");
      res.headers.emplace_back("Retry-After", "1");
      co_await close_with(*conn, res);
    } else {
      metrics_->connections_active.add(1);
      co_await serve(*conn);
      metrics_->connections_active.add(-1);
    }
    beast::error_code ignored;
    conn->socket.close(ignored);
    {
      core::MutexLock lock(connections_mu_);
      connections_.erase(registered);
    }
    if (!reject) active_.fetch_sub(1);
  }

  asio::awaitable<void> serve(Connection& conn) {
    std::string remote;
    if (options_.access_log) {
      beast::error_code ec;
      auto ep = conn.socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    {
      beast::error_code ec;
      conn.socket.non_blocking(true, ec);
    }
    detail::ExchangeContext ctx{router_, metrics_.get(), options_.access_log, remote};
    beast::flat_buffer buffer;
    std::string out;
    std::string request_id;
    for (;;) {
      if (draining_.load()) break;
      if (buffer.size() == 0) {
        // Between requests: the keep-alive idle timeout applies.
        conn.idle = true;
        conn.expires_after(options_.idle_timeout);
        auto [ec, n] = co_await conn.socket.async_read_some(buffer.prepare(kReadChunk), kTuple);
        conn.idle = false;
        if (ec) break;
        buffer.commit(n);
      }
      // From a request's first byte: the read timeout covers the whole request.
      conn.expires_after(options_.read_timeout);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.header_limit_bytes));
      parser.body_limit(options_.body_limit_bytes);
      parser.eager(true);
      if (auto ec = co_await read_request(conn, buffer, parser)) {
        if (conn.timed_out) {
          metrics_->read_timeouts.inc();
          metrics_->record(HttpMetrics::kUnmatched, 408, {});
          co_await close_with(conn, Response::error(408, "REQUEST_TIMEOUT", "request not received in time"));
          co_return;
        }
        ReadFailure failure = classify(ec);
        if (failure.status) {
          metrics_->record(HttpMetrics::kUnmatched, failure.status, {});
          co_await close_with(conn, Response::error(failure.status, failure.code, failure.message));
        }
        co_return;
      }
      conn.expires_never();  // handlers bound their own time

      const detail::BeastRequest& req = parser.get();
      Response res = co_await detail::exchange(ctx, req, request_id);
      const bool keep_alive = req.keep_alive() && !draining_.load();
      out.clear();
      detail::serialize_response(out, res, req.version(), keep_alive,
                                 req.method() == bhttp::verb::head, request_id);
      conn.expires_after(options_.write_timeout);
      if (co_await write_all(conn, out)) co_return;
      if (res.stream && req.method() != bhttp::verb::head) co_await stream_body(conn, res.stream);
      if (!keep_alive || res.stream) break;
    }
    beast::error_code ignored;
    conn.socket.shutdown(tcp::socket::shutdown_send, ignored);
  }

  static constexpr std::size_t kReadChunk = 16 << 10;
  struct ConnectionEntry {
    Connection* raw;  // valid while listed: the session unlists before it ends
    std::weak_ptr<Connection> weak;
  };

  ServerOptions options_;
  Router& router_;
  obs::Registry& registry_;
  std::unique_ptr<HttpMetrics> metrics_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> draining_{false};
  std::atomic<std::size_t> active_{0};  // open sessions
  core::Mutex connections_mu_;
  std::list<ConnectionEntry> connections_ GUARDED_BY(connections_mu_);
  std::vector<std::thread> threads_;
  // Declared last: destroyed first, so pending sessions unwind while the
  // members above still exist.
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::optional<tcp::acceptor> acceptor_;
};

Server::Server(ServerOptions options, Router& router, obs::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), router, registry)) {}
Server::~Server() = default;
void Server::start() { impl_->start(); }
std::uint16_t Server::port() const { return impl_->port_; }
void Server::stop() { impl_->stop(); }
void Server::wait() { impl_->wait(); }
const ServerOptions& Server::options() const { return impl_->options_; }

void Server::run_until_signal() {
  impl_->start();
  {
    asio::signal_set signals(*impl_->contexts_[0], SIGINT, SIGTERM);
    signals.async_wait([this](const beast::error_code& ec, int sig) {
      if (ec) return;
      spdlog::info("signal {}: shutting down (grace {} ms)", sig, impl_->options_.shutdown_grace.count());
      impl_->stop();
    });
    impl_->join();
  }  // the signal set goes before the contexts it was made from
  impl_->wait();
}

}  // namespace scalelab::http
