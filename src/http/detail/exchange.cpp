#include "http/detail/exchange.h"

#include <charconv>
#include <chrono>
#include <ctime>
#include <optional>

#include <boost/beast/http/status.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.h"

namespace scalelab::http::detail {

namespace beast_http = boost::beast::http;
using namespace std::string_view_literals;

namespace {

std::string_view lookup_header(const void* message, std::string_view name) {
  const auto& req = *static_cast<const BeastRequest*>(message);
  auto it = req.find(name);
  if (it == req.end()) return {};
  return std::string_view(it->value());
}

// The Date header, formatted once per second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_second = 0;
  thread_local char buf[40];
  thread_local std::size_t len = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    len = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return {buf, len};
}

Method method_of(boost::beast::http::verb v) {
  using boost::beast::http::verb;
  switch (v) {
    case verb::get: return Method::kGet;
    case verb::head: return Method::kHead;
    case verb::post: return Method::kPost;
    case verb::put: return Method::kPut;
    case verb::delete_: return Method::kDelete;
    case verb::patch: return Method::kPatch;
    case verb::options: return Method::kOptions;
    default: return Method::kOther;
  }
}

// Appends a non-negative integer without a format string.
void append_uint(std::string& out, std::size_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e) return false;  // visible ASCII only: safe to echo
  return true;
}

// The response for a request whose X-Deadline-Ms says it is already out of
// time (or is malformed); nullopt when it may run.
std::optional<Response> check_deadline(const BeastRequest& req) {
  auto it = req.find(kDeadlineHeader);
  if (it == req.end()) return std::nullopt;
  const auto ms = parse_deadline_ms(it->value());
  if (!ms)
    return Response::error(400, code::kInvalidInput,
                           fmt::format("{} must be an integer number of milliseconds", kDeadlineHeader));
  if (ms->count() <= 0)
    return Response::error(504, code::kDeadlineExceeded, "the request arrived after its deadline");
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<Response> exchange(const ExchangeContext& ctx, const BeastRequest& req,
                                          std::string& request_id) {
  const auto start = std::chrono::steady_clock::now();
  auto sent_id = req.find("X-Request-Id");
  if (sent_id != req.end() && valid_request_id(sent_id->value())) request_id.assign(sent_id->value());
  else assign_random_hex_id(request_id);

  std::string_view method_name = req.method_string();
  Request request(method_of(req.method()), method_name, req.target(), req.body(),
                  request_id, &req, &lookup_header);

  Response response;
  std::size_t route_index = HttpMetrics::kUnmatched;
  Match match = ctx.router.match(request);
  std::optional<Response> rejected;
  if (match.route && (rejected = check_deadline(req))) {
    route_index = match.route->index;
    response = std::move(*rejected);
  } else if (match.route) {
    route_index = match.route->index;
    if (ctx.metrics) ctx.metrics->in_flight.add(1);
    try {
      response = co_await match.route->handler(request);
    } catch (const HttpError& e) {
      response = Response::error(e.status(), e.code(), e.what());
    } catch (const std::exception& e) {
      spdlog::error("handler {} {} failed: {} (request id {})", method_name, match.route->pattern,
                    e.what(), request_id);
      response = Response::error(500, code::kInternal, "internal error");
    }
    if (ctx.metrics) ctx.metrics->in_flight.add(-1);
  } else if (!match.allow.empty()) {
    response = Response::error(405, code::kMethodNotAllowed,
                               fmt::format("method {} not allowed; allowed: {}", method_name, match.allow));
    response.headers.emplace_back("Allow", std::move(match.allow));
  } else {
    response = Response::error(404, code::kNotFound, "no route for " + std::string(request.path()));
  }

  const auto elapsed = std::chrono::steady_clock::now() - start;
  if (ctx.metrics) ctx.metrics->record(route_index, response.status, elapsed);
  if (ctx.access_log) {
    spdlog::info("{} \"{} {} HTTP/{}.{}\" {} {}B {:.3f}ms rid={}", ctx.remote, method_name,
                 req.target(), req.version() / 10, req.version() % 10, response.status,
                 response.body.size(),
                 std::chrono::duration<double, std::milli>(elapsed).count(), request_id);
  }
  co_return response;
}

void serialize_response(std::string& out, const Response& res, unsigned version, bool keep_alive,
                        bool head, std::string_view request_id) {
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_uint(out, res.status);
  out += ' ';
  out += beast_http::obsolete_reason(static_cast<beast_http::status>(res.status));
  out += "\r\nServer: scalelab\r\nDate: "sv;
  out += http_date();
  if (!res.content_type.empty()) {
    out += "\r\nContent-Type: "sv;
    out += res.content_type;
  }
  // 1xx and 204 carry no body and no Content-Length.
  // A streamed body ends when the connection closes: no length.
  if (res.status >= 200 && res.status != 204 && res.status != 304 && !res.stream) {
    out += "\r\nContent-Length: "sv;
    append_uint(out, res.body.size());
  }
  if (!request_id.empty()) {
    out += "\r\nX-Request-Id: "sv;
    out += request_id;
  }
  for (const auto& [name, value] : res.headers) {
    // Never let a value split the head (response splitting).
    if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos)
      continue;
    out += "\r\n"sv;
    out += name;
    out += ": "sv;
    out += value;
  }
  if (!keep_alive || res.stream) out += "\r\nConnection: close"sv;
  else if (version == 10) out += "\r\nConnection: keep-alive"sv;
  out += "\r\n\r\n"sv;
  if (!head && res.status != 204 && res.status != 304) out += res.body;
}

}  // namespace scalelab::http::detail
