#include "http/message.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/json/parse.hpp>
#include "core/json.h"

#include "http/router.h"

namespace scalelab::http {

std::string_view to_string(Method m) {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kHead: return "HEAD";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kDelete: return "DELETE";
    case Method::kPatch: return "PATCH";
    case Method::kOptions: return "OPTIONS";
    case Method::kOther: break;
  }
  return "OTHER";
}

Response Response::json(unsigned status, const boost::json::value& value) {
  return json_text(status, to_json(value));
}

Response Response::json_text(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::text(unsigned status, std::string body, std::string_view content_type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = content_type;
  return r;
}

Response Response::error(unsigned status, std::string_view code, std::string_view message) {
  boost::json::object o;
  o["error"] = code;
  o["message"] = message;
  return json(status, o);
}

Response Response::event_stream(BodyStream next) {
  Response r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.stream = std::move(next);
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  r.content_type = {};
  return r;
}

Request::Request(Method method, std::string_view method_name, std::string_view target,
                 std::string_view body, std::string_view request_id, const void* message,
                 HeaderLookup lookup)
    : method_(method),
      method_name_(method_name),
      target_(target),
      body_(body),
      request_id_(request_id),
      message_(message),
      lookup_(lookup) {
  auto q = target.find('?');
  path_ = target.substr(0, q);
  if (q != std::string_view::npos) query_ = target.substr(q + 1);
}

std::string_view Request::header(std::string_view name) const {
  return lookup_ ? lookup_(message_, name) : std::string_view{};
}

std::string Request::content_type() const {
  std::string_view ct = header("Content-Type");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t')) ct.remove_suffix(1);
  while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t')) ct.remove_prefix(1);
  std::string out(ct);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Request::param(std::string_view name) const {
  if (route_) {
    for (std::size_t i = 0; i < route_->param_names.size(); ++i)
      if (route_->param_names[i] == name) return params_[i];
  }
  throw std::logic_error("route has no path parameter '" + std::string(name) + "'");
}

std::int64_t Request::param_int(std::string_view name) const {
  std::string_view v = param(name);
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || ptr != v.data() + v.size())
    throw std::logic_error("path parameter '" + std::string(name) + "' is not declared :int");
  return out;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view q = query_;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    if (eq == std::string_view::npos) return std::string{};
    auto value = percent_decode(pair.substr(eq + 1), true);
    if (!value) throw HttpError(400, code::kInvalidInput, "malformed percent-encoding in query");
    return value;
  }
  return std::nullopt;
}

boost::json::value Request::json() const {
  const std::string ct = content_type();
  const bool is_json =
      ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"));
  if (!is_json)
    throw HttpError(415, code::kUnsupportedMediaType,
                    ct.empty() ? "Content-Type must be application/json"
                               : "Content-Type must be application/json, got " + ct);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body_, ec);
  if (ec) throw HttpError(400, code::kInvalidInput, "malformed JSON body: " + ec.message());
  return v;
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      if (i + 2 >= in.size()) return std::nullopt;
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_deadline_ms(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  long long ms = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

std::optional<std::chrono::milliseconds> deadline_ms(const Request& req) {
  return parse_deadline_ms(req.header(kDeadlineHeader));
}

}  // namespace scalelab::http
