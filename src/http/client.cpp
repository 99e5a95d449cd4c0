#include "http/client.h"

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "core/as_tuple.h"
#include "core/thread_annotations.h"

namespace scalelab::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using core::kTuple;

Result<Endpoint> parse_http_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return Error{ErrorKind::kInvalidInput, "not a URL: '" + std::string(url) + "'"};
  if (parsed->scheme() != "http")
    return Error{ErrorKind::kInvalidInput, "only http:// URLs are supported: '" + std::string(url) + "'"};
  Endpoint ep;
  ep.host = parsed->host_address();
  if (ep.host.empty()) return Error{ErrorKind::kInvalidInput, "URL has no host: '" + std::string(url) + "'"};
  if (parsed->has_port()) {
    const auto port = parsed->port_number();
    if (port == 0) return Error{ErrorKind::kInvalidInput, "bad port in '" + std::string(url) + "'"};
    ep.port = port;
  }
  std::string path(parsed->encoded_path());
  if (path.empty()) path = "/";
  if (parsed->has_query()) path += "?" + std::string(parsed->encoded_query());
  ep.path = path;
  return ep;
}

std::string_view ClientResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

class Client::Impl {
 public:
  Impl(asio::any_io_executor ex, ClientOptions options)
      : executor_(std::move(ex)), options_(std::move(options)) {}

  asio::awaitable<Result<ClientResponse>> send(ClientRequest request,
                                               std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const bool idempotent = request.method != Method::kPost && request.method != Method::kPatch;
    bool fresh = false;  // after a stale idle connection: the retry connects anew
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<beast::tcp_stream> stream = fresh ? nullptr : take_idle();
      const bool reused = stream != nullptr;
      if (!stream) {
        auto connected = co_await connect(deadline, timeout);
        if (!connected) co_return connected.error();
        stream = std::move(*connected);
      }
      bool received_any = false;
      bool reusable = false;
      auto result = co_await exchange(*stream, request, deadline, timeout, received_any, reusable);
      if (!result.ok() && reused && !received_any && idempotent && attempt == 0 &&
          result.error().kind == ErrorKind::kUnavailable) {
        // The server closed the idle connection. The other idle ones are
        // older (the pool is last in, first out), so as likely closed: drop
        // them, and try once more on a new connection, not on the next of
        // them (a caller quiet for longer than the server's idle timeout,
        // such as a breaker's half-open trial, would fail on every one).
        drop_idle();
        fresh = true;
        continue;
      }
      if (reusable) give_back(std::move(stream));
      co_return result;
    }
  }

  const ClientOptions& options() const { return options_; }
  const asio::any_io_executor& executor() const { return executor_; }

  // send() for co_spawn, whose result type must be default-constructible.
  asio::awaitable<std::optional<Result<ClientResponse>>> send_on_own_executor(ClientRequest request,
                                                                              std::chrono::milliseconds timeout) {
    co_return co_await send(std::move(request), timeout);
  }

 private:
  std::unique_ptr<beast::tcp_stream> take_idle() {
    core::MutexLock lock(mu_);
    if (idle_.empty()) return nullptr;
    auto s = std::move(idle_.back());
    idle_.pop_back();
    return s;
  }

  void drop_idle() {
    std::vector<std::unique_ptr<beast::tcp_stream>> stale;
    {
      core::MutexLock lock(mu_);
      stale.swap(idle_);
    }  // closed outside the lock
  }

  void give_back(std::unique_ptr<beast::tcp_stream> stream) {
    core::MutexLock lock(mu_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(stream));
  }

  Error timeout_error(std::chrono::milliseconds timeout) const {
    return Error{ErrorKind::kTimeout, fmt::format("{}:{} did not answer within {} ms", options_.host,
                                                  options_.port, timeout.count())};
  }

  asio::awaitable<Result<std::unique_ptr<beast::tcp_stream>>> connect(
      std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds timeout) {
    std::vector<tcp::endpoint> endpoints;
    {
      core::MutexLock lock(mu_);
      endpoints = resolved_;
    }
    if (endpoints.empty()) {
      tcp::resolver resolver(executor_);
      auto [ec, results] =
          co_await resolver.async_resolve(options_.host, std::to_string(options_.port), kTuple);
      if (ec)
        co_return Error{ErrorKind::kUnavailable,
                        fmt::format("cannot resolve {}: {}", options_.host, ec.message())};
      endpoints.assign(results.begin(), results.end());
      core::MutexLock lock(mu_);
      resolved_ = endpoints;
    }
    auto stream = std::make_unique<beast::tcp_stream>(executor_);
    stream->expires_at(std::min(deadline, std::chrono::steady_clock::now() + options_.connect_timeout));
    auto [ec, ep] = co_await stream->async_connect(endpoints, kTuple);
    if (ec) {
      if (ec == beast::error::timeout) co_return timeout_error(timeout);
      co_return Error{ErrorKind::kUnavailable,
                      fmt::format("cannot connect to {}:{}: {}", options_.host, options_.port, ec.message())};
    }
    beast::error_code ignored;
    stream->socket().set_option(tcp::no_delay(true), ignored);
    co_return std::move(stream);
  }

  // The references live in send()'s frame, which awaits this call.
  asio::awaitable<Result<ClientResponse>> exchange(beast::tcp_stream& stream_ref,
                                                   const ClientRequest& request,
                                                   std::chrono::steady_clock::time_point deadline,
                                                   std::chrono::milliseconds timeout,
                                                   bool& received_any, bool& reusable) {
    bhttp::request<bhttp::string_body> req;
    req.method_string(to_string(request.method));
    req.target(request.target);
    req.version(11);
    req.set(bhttp::field::host, fmt::format("{}:{}", options_.host, options_.port));
    req.set(bhttp::field::user_agent, "scalelab");
    for (const auto& [k, v] : request.headers) req.set(k, v);
    if (!request.content_type.empty()) req.set(bhttp::field::content_type, request.content_type);
    req.body() = request.body;
    req.prepare_payload();

    stream_ref.expires_at(deadline);
    auto [wec, wn] = co_await bhttp::async_write(stream_ref, req, kTuple);
    if (wec) co_return map_error(wec, timeout);

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options_.max_response_body_bytes);
    parser.skip(request.method == Method::kHead);
    auto [rec, rn] = co_await bhttp::async_read(stream_ref, buffer, parser, kTuple);
    received_any = rn > 0 || buffer.size() > 0;
    if (rec) co_return map_error(rec, timeout);

    auto& res = parser.get();
    ClientResponse out;
    out.status = res.result_int();
    for (const auto& field : res) out.headers.emplace_back(field.name_string(), field.value());
    out.body = std::move(res.body());
    reusable = res.keep_alive() && buffer.size() == 0;
    co_return out;
  }

  Error map_error(const beast::error_code& ec, std::chrono::milliseconds timeout) const {
    if (ec == beast::error::timeout) return timeout_error(timeout);
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == bhttp::error::partial_message)
      return Error{ErrorKind::kUnavailable,
                   fmt::format("{}:{} closed the connection: {}", options_.host, options_.port, ec.message())};
    return Error{ErrorKind::kProtocol,
                 fmt::format("bad response from {}:{}: {}", options_.host, options_.port, ec.message())};
  }

  asio::any_io_executor executor_;
  ClientOptions options_;
  core::Mutex mu_;
  std::vector<tcp::endpoint> resolved_ GUARDED_BY(mu_);
  std::vector<std::unique_ptr<beast::tcp_stream>> idle_ GUARDED_BY(mu_);
};

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}
Client::~Client() = default;

asio::awaitable<Result<ClientResponse>> Client::send(ClientRequest request,
                                                     std::chrono::milliseconds timeout) {
  // The streams live on the client's executor, but their handlers (beast's
  // timeout handler among them, cancelled after every operation and run
  // later) take the awaiting coroutine's. A caller on another io_context (a
  // server's thread calling a downstream through a shared client) would get
  // those handlers after the call returned, when its server may be gone: run
  // the call on the client's executor, and only its result crosses back.
  if ((co_await asio::this_coro::executor) == impl_->executor())
    co_return co_await impl_->send(std::move(request), timeout);
  auto out = co_await asio::co_spawn(impl_->executor(), impl_->send_on_own_executor(std::move(request), timeout),
                                     asio::use_awaitable);
  co_return std::move(*out);
}

const ClientOptions& Client::options() const { return impl_->options(); }

struct BlockingClient::State {
  explicit State(ClientOptions options) : client(io.get_executor(), std::move(options)) {}
  asio::io_context io{1};
  Client client;
};

BlockingClient::BlockingClient(ClientOptions options)
    : state_(std::make_unique<State>(std::move(options))) {}
BlockingClient::~BlockingClient() = default;

Result<ClientResponse> BlockingClient::send(ClientRequest request, std::chrono::milliseconds timeout) {
  std::optional<Result<ClientResponse>> result;
  // The lambda's references are to this frame: io.run() returns only after
  // the coroutine has finished.
  asio::co_spawn(
      state_->io,
      [&]() -> asio::awaitable<void> { result.emplace(co_await state_->client.send(std::move(request), timeout)); },
      asio::detached);
  state_->io.restart();
  state_->io.run();
  if (!result) return Error{ErrorKind::kInternal, "request did not complete"};
  return std::move(*result);
}

Result<ClientResponse> BlockingClient::get(std::string target, std::chrono::milliseconds timeout) {
  ClientRequest req;
  req.target = std::move(target);
  return send(std::move(req), timeout);
}

Result<ClientResponse> BlockingClient::post_json(std::string target, std::string body,
                                                 std::chrono::milliseconds timeout) {
  ClientRequest req;
  req.method = Method::kPost;
  req.target = std::move(target);
  req.body = std::move(body);
  req.content_type = "application/json";
  return send(std::move(req), timeout);
}

}  // namespace scalelab::http
