// Client: a small HTTP/1.1 client with keep-alive connection reuse and a
// per-request deadline, for service-to-service calls, experiments and tests.
// BlockingClient wraps it with its own io_context for sequential callers.
// Thread-safety: Client::send may be called concurrently (the idle-connection
// pool is locked); BlockingClient is for one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "http/message.h"

namespace scalelab::http {

// An http:// URL split into what a Client needs.
struct Endpoint {
  std::string host;
  std::uint16_t port = 80;
  std::string path = "/";  // path and query, "/" when empty
};
Result<Endpoint> parse_http_url(std::string_view url);

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 80;
  std::chrono::milliseconds connect_timeout{2'000};  // within the request's own deadline
  std::size_t max_idle_connections = 64;             // kept open for reuse
  std::size_t max_response_body_bytes = 64 << 20;
};

struct ClientRequest {
  Method method = Method::kGet;
  std::string target = "/";
  std::string body;
  std::string content_type;  // sent when non-empty
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ClientResponse {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Empty when absent; case-insensitive.
  std::string_view header(std::string_view name) const;
};

class Client {
 public:
  Client(boost::asio::any_io_executor executor, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request and reads its response within `timeout`, reusing an idle
  // connection when one is open. A stale reused connection (closed by the
  // server while idle) is retried once on a new connection for idempotent
  // methods, and the other idle connections, older still, are dropped.
  // Errors: kTimeout, kUnavailable (refused, reset), kProtocol.
  boost::asio::awaitable<Result<ClientResponse>> send(ClientRequest request,
                                                      std::chrono::milliseconds timeout);

  const ClientOptions& options() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

class BlockingClient {
 public:
  explicit BlockingClient(ClientOptions options);
  ~BlockingClient();

  Result<ClientResponse> send(ClientRequest request, std::chrono::milliseconds timeout);
  Result<ClientResponse> get(std::string target, std::chrono::milliseconds timeout);
  Result<ClientResponse> post_json(std::string target, std::string body,
                                   std::chrono::milliseconds timeout);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace scalelab::http
