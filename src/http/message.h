// The request/response API that service code sees. No Beast here: handlers
// read a Request view and return a Response value.
// Thread-safety: a Request is used by one handler at a time; Response is a value.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <functional>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

namespace scalelab::http {

enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };

std::string_view to_string(Method m);

// Error codes used in every JSON error body {"error": CODE, "message": text}.
namespace code {
inline constexpr std::string_view kInvalidInput = "INVALID_INPUT";
inline constexpr std::string_view kNotFound = "NOT_FOUND";
inline constexpr std::string_view kMethodNotAllowed = "METHOD_NOT_ALLOWED";
inline constexpr std::string_view kConflict = "CONFLICT";
inline constexpr std::string_view kUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
inline constexpr std::string_view kPayloadTooLarge = "PAYLOAD_TOO_LARGE";
inline constexpr std::string_view kHeadersTooLarge = "HEADERS_TOO_LARGE";
inline constexpr std::string_view kTooManyConnections = "TOO_MANY_CONNECTIONS";
inline constexpr std::string_view kInternal = "INTERNAL";
inline constexpr std::string_view kUnavailable = "UNAVAILABLE";
inline constexpr std::string_view kDeadlineExceeded = "DEADLINE_EXCEEDED";
}  // namespace code

// The caller's remaining time budget in whole milliseconds (see
// resilience/deadline.h). The server answers a request whose value is 0 or
// less with 504 DEADLINE_EXCEEDED without running its handler, and a
// malformed value with 400.
inline constexpr std::string_view kDeadlineHeader = "X-Deadline-Ms";

// Thrown by handlers (or helpers like Request::json) to answer with a JSON
// error; the dispatcher turns it into the response. Anything else thrown from a
// handler becomes a 500 INTERNAL and is logged.
class HttpError : public std::runtime_error {
 public:
  HttpError(unsigned status, std::string_view code, std::string message)
      : std::runtime_error(std::move(message)), status_(status), code_(code) {}
  unsigned status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  unsigned status_;
  std::string code_;
};

// A response body sent piece by piece while it is produced (Server-Sent
// Events). The server sends the head (no Content-Length, Connection: close),
// then awaits next() and writes each piece until next() returns nullopt, a
// write fails (the client went away) or the server drains. An empty piece
// writes nothing: it lets the server check for shutdown, so next() should
// return at least every second or so. next() runs on the connection's thread
// and should hold no unbounded per-client state.
using BodyStream = std::function<boost::asio::awaitable<std::optional<std::string>>()>;

struct Response {
  unsigned status = 200;
  std::string body;
  // A media type with static storage duration (a literal): responses are
  // built on every request and this keeps them free of an allocation.
  std::string_view content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  BodyStream stream;  // when set, the body is streamed from it (body is sent first)

  static Response json(unsigned status, const boost::json::value& value);
  // For a body that is already serialized JSON.
  static Response json_text(unsigned status, std::string body);
  // REQUIRES: content_type has static storage duration (a literal).
  static Response text(unsigned status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");
  static Response error(unsigned status, std::string_view code, std::string_view message);
  static Response no_content();
  // 200 text/event-stream, not cached, the body produced by `next`.
  static Response event_stream(BodyStream next);
};

class Router;
struct Route;

// A view of one request, valid only while its handler runs.
class Request {
 public:
  static constexpr std::size_t kMaxParams = 8;

  Method method() const { return method_; }
  std::string_view method_name() const { return method_name_; }
  std::string_view target() const { return target_; }
  std::string_view path() const { return path_; }
  std::string_view query() const { return query_; }  // without '?'
  std::string_view body() const { return body_; }
  std::string_view request_id() const { return request_id_; }
  // Empty when absent; case-insensitive name.
  std::string_view header(std::string_view name) const;
  // Media type of Content-Type without parameters, lowercased ("application/json").
  std::string content_type() const;

  // A path parameter of the matched route template, percent-decoded.
  // REQUIRES: the route declares {name}.
  std::string_view param(std::string_view name) const;
  // A path parameter declared {name:int}. REQUIRES: the route declares it so.
  std::int64_t param_int(std::string_view name) const;

  // A query parameter, percent-decoded ('+' as space); nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;

  // The body parsed as JSON. Throws HttpError 415 when Content-Type is not
  // application/json (or +json), 400 when the body is not valid JSON.
  boost::json::value json() const;

  // Set by the dispatcher. HeaderLookup finds a header in the transport's
  // message without exposing it.
  using HeaderLookup = std::string_view (*)(const void* message, std::string_view name);
  Request(Method method, std::string_view method_name, std::string_view target,
          std::string_view body, std::string_view request_id, const void* message,
          HeaderLookup lookup);

 private:
  friend class Router;
  Method method_;
  std::string_view method_name_;
  std::string_view target_;
  std::string_view path_;
  std::string_view query_;
  std::string_view body_;
  std::string_view request_id_;
  const void* message_;
  HeaderLookup lookup_;
  const Route* route_ = nullptr;
  std::array<std::string_view, kMaxParams> params_{};
  std::vector<std::string> decoded_;  // storage for percent-decoded params
};

// Percent-decodes a URL component; '+' becomes a space when plus_is_space.
// Returns nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

// The one parser of the X-Deadline-Ms value: a base-10 integer of
// milliseconds (0 or negative: out of time), blanks around it allowed.
// nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_deadline_ms(std::string_view value);
// The request's X-Deadline-Ms: nullopt when absent or malformed (the server
// answers a malformed one with 400 before a handler sees it).
std::optional<std::chrono::milliseconds> deadline_ms(const Request& req);

}  // namespace scalelab::http
