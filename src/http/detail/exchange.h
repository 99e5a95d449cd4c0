// One request/response exchange, independent of the socket: routing, handler
// invocation, error mapping, metrics and access log, and response
// serialization. Used by the server and by the fuzz target.
// Thread-safety: free functions; the context's members are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/message.h"
#include "http/metrics.h"
#include "http/router.h"

namespace scalelab::http::detail {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct ExchangeContext {
  const Router& router;
  HttpMetrics* metrics = nullptr;  // optional
  bool access_log = false;
  std::string_view remote{};  // peer address for the access log
};

// Routes and runs the handler. Never throws: handler errors become JSON errors.
// request_id receives the X-Request-Id echoed back (kept if sent, else new).
boost::asio::awaitable<Response> exchange(const ExchangeContext& ctx, const BeastRequest& req,
                                          std::string& request_id);

// Appends the wire form of `res` to `out`. For HEAD, Content-Length is the
// body's but no body is written.
void serialize_response(std::string& out, const Response& res, unsigned version, bool keep_alive,
                        bool head, std::string_view request_id);

}  // namespace scalelab::http::detail
