#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "http/client.h"
#include "load/detail/worker.h"
#include "load/wire.h"

namespace scalelab::load::detail {

namespace {

constexpr auto kWatchdogTick = std::chrono::milliseconds(10);
constexpr std::size_t kReceiveChunk = 16 * 1024;  // the simple client's recv() size

}  // namespace

// The lean client: one keep-alive connection on the Worker's io_context, a
// request deadline enforced by watch_deadlines (which closes the socket).
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

  // Called by watch_deadlines on the Worker's thread.
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
  // p and wire outlive the call: see Conn::exchange, which awaits it.
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
    if (auto failed = connect_to(deadline)) return std::move(*failed);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (auto failed = send_all(wire, deadline)) return std::move(*failed);
    return receive(p, deadline);
  }

  // A new non-blocking socket connected within the deadline; an Outcome when
  // that failed.
  std::optional<Outcome> connect_to(Clock::time_point deadline) {
    close();
    const auto& ep = eps_.front();
    fd_ = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) return Outcome{0, {}, std::string("socket: ") + std::strerror(errno)};
    if (::connect(fd_, ep.data(), static_cast<socklen_t>(ep.size())) == 0) return std::nullopt;
    if (errno != EINPROGRESS) return fail(std::string("connect: ") + std::strerror(errno));
    pollfd pfd{fd_, POLLOUT, 0};
    if (::poll(&pfd, 1, remaining_ms(deadline)) <= 0) return fail("timeout");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return fail(std::string("connect: ") + std::strerror(err));
    return std::nullopt;
  }

  std::optional<Outcome> send_all(std::string_view wire, Clock::time_point deadline) {
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
    return std::nullopt;
  }

  Outcome receive(const Prepared& p, Clock::time_point deadline) {
    buf_.clear();
    char chunk[kReceiveChunk];
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
  RuntimeConn(Worker& w, const http::Endpoint& ep, std::string prefix)
      : prefix_(std::move(prefix)), client_(w.io.get_executor(), options(ep)) {}
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
  std::string literal_target(const Prepared& p) const { return prefix_ + p.spec->path.source(); }

  std::string prefix_;
  http::Client client_;
  http::ClientResponse last_;
};

std::unique_ptr<Conn> make_conn(ClientKind kind, Worker& w, const Target& target) {
  switch (kind) {
    case ClientKind::kSimple: return std::make_unique<SimpleConn>(target.addresses);
    case ClientKind::kRuntime: return std::make_unique<RuntimeConn>(w, target.endpoint, target.prefix);
    case ClientKind::kFast: break;
  }
  return std::make_unique<FastConn>(w, target.addresses);
}

asio::awaitable<void> watch_deadlines(Worker& w) {
  asio::steady_timer timer(w.io);
  do {
    timer.expires_after(kWatchdogTick);
    co_await timer.async_wait(kTuple);
    const auto now = Clock::now();
    // check() may close a connection but never removes one from the list.
    for (auto* c : w.conns) c->check(now);
  } while (w.live > 0);
}

}  // namespace scalelab::load::detail
