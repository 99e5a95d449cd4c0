#include "services/common/validation.h"

#include <charconv>

#include <fmt/format.h>

namespace scalelab::services {

boost::json::object json_object_body(const http::Request& req) {
  boost::json::value v = req.json();
  if (!v.is_object()) throw http::HttpError(400, http::code::kInvalidInput, "body must be a JSON object");
  return std::move(v.get_object());
}

Result<std::int32_t> int32_field(const boost::json::object& o, std::string_view name, std::int64_t min,
                                 std::int64_t max) {
  auto it = o.find(name);
  if (it == o.end()) return Error{ErrorKind::kInvalidInput, fmt::format("field '{}' is required", name)};
  const auto& v = it->value();
  std::int64_t n = 0;
  if (v.is_int64()) {
    n = v.get_int64();
  } else if (v.is_uint64()) {
    n = std::numeric_limits<std::int64_t>::max();  // beyond any int32 bound
  } else {
    return Error{ErrorKind::kInvalidInput, fmt::format("field '{}' must be an integer", name)};
  }
  if (n < min || n > max)
    return Error{ErrorKind::kInvalidInput, fmt::format("field '{}' must be an integer in [{}, {}]", name, min, max)};
  return static_cast<std::int32_t>(n);
}

Result<std::string> string_field(const boost::json::object& o, std::string_view name, std::size_t min_len,
                                 std::size_t max_len) {
  auto it = o.find(name);
  if (it == o.end()) return Error{ErrorKind::kInvalidInput, fmt::format("field '{}' is required", name)};
  if (!it->value().is_string())
    return Error{ErrorKind::kInvalidInput, fmt::format("field '{}' must be a string", name)};
  const auto& s = it->value().get_string();
  if (s.size() < min_len || s.size() > max_len)
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("field '{}' must be {}-{} characters long", name, min_len, max_len)};
  return std::string(s);
}

Result<std::int32_t> path_id(std::string_view text, std::string_view name) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || n < 1 || n > kInt32Max)
    return Error{ErrorKind::kInvalidInput, fmt::format("{} must be an integer in [1, {}]", name, kInt32Max)};
  return static_cast<std::int32_t>(n);
}

bool valid_card_number(std::string_view number) {
  constexpr std::size_t kMinDigits = 13, kMaxDigits = 19;
  if (number.size() < kMinDigits || number.size() > kMaxDigits) return false;
  for (char c : number)
    if (c < '0' || c > '9') return false;
  return true;
}

void throw_invalid(const Error& e) { throw http::HttpError(400, http::code::kInvalidInput, e.message); }

void throw_store_failure(std::string_view service, const Error& e) {
  throw http::HttpError(503, http::code::kUnavailable, fmt::format("{} store unavailable: {}", service, e.message));
}

void throw_downstream(std::string_view who, const Error& e) {
  throw http::HttpError(503, code::kDownstream, fmt::format("{} unavailable: {}", who, e.message));
}

void throw_downstream_status(std::string_view who, unsigned status, std::string_view body) {
  constexpr std::size_t kBodyQuoted = 200;  // enough to see the downstream's error, bounded
  throw http::HttpError(503, code::kDownstream,
                        fmt::format("{} answered {}: {}", who, status, body.substr(0, kBodyQuoted)));
}

}  // namespace scalelab::services
