#include "http/router.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

namespace scalelab::http {

namespace {

constexpr std::size_t kMaxSegments = 32;

// Splits "/a/b/c" into {"a","b","c"}; returns false when the path has more
// segments than kMaxSegments or does not start with '/'.
bool split_path(std::string_view path, std::array<std::string_view, kMaxSegments>& out,
                std::size_t& n) {
  n = 0;
  if (path.empty() || path.front() != '/') return false;
  path.remove_prefix(1);
  while (true) {
    if (n == kMaxSegments) return false;
    auto slash = path.find('/');
    out[n++] = path.substr(0, slash);
    if (slash == std::string_view::npos) return true;
    path.remove_prefix(slash + 1);
  }
}

bool is_int(std::string_view s) {
  std::int64_t v;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc{} && ptr == s.data() + s.size();
}

}  // namespace

void Router::add(Method method, std::string_view pattern, Handler handler) {
  if (method == Method::kHead || method == Method::kOther)
    throw std::invalid_argument("route method must be GET/POST/PUT/DELETE/PATCH/OPTIONS");
  Route route;
  route.method = method;
  route.pattern = std::string(pattern);
  route.handler = std::move(handler);
  std::array<std::string_view, kMaxSegments> parts;
  std::size_t n = 0;
  if (!split_path(pattern, parts, n))
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  for (std::size_t i = 0; i < n; ++i) {
    std::string_view part = parts[i];
    Route::Segment seg;
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      std::string_view inner = part.substr(1, part.size() - 2);
      auto colon = inner.find(':');
      seg.is_param = true;
      seg.text = std::string(inner.substr(0, colon));
      if (colon != std::string_view::npos) {
        if (inner.substr(colon + 1) != "int")
          throw std::invalid_argument("unknown parameter type in " + std::string(pattern));
        seg.is_int = true;
      }
      if (seg.text.empty()) throw std::invalid_argument("empty parameter name in " + route.pattern);
      if (route.param_names.size() == Request::kMaxParams)
        throw std::invalid_argument("too many parameters in " + route.pattern);
      route.param_names.push_back(seg.text);
    } else {
      if (part.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("malformed segment in " + route.pattern);
      seg.text = std::string(part);
    }
    route.segments.push_back(std::move(seg));
  }
  if (has(method, pattern))
    throw std::invalid_argument("duplicate route " + std::string(to_string(method)) + " " +
                                route.pattern);
  route.index = routes_.size();
  routes_.push_back(std::move(route));
}

bool Router::has(Method method, std::string_view pattern) const {
  return std::any_of(routes_.begin(), routes_.end(), [&](const Route& r) {
    return r.method == method && r.pattern == pattern;
  });
}

Match Router::match(Request& request) const {
  Match result;
  std::array<std::string_view, kMaxSegments> parts;
  std::size_t n = 0;
  if (!split_path(request.path(), parts, n)) return result;

  const Method wanted = request.method() == Method::kHead ? Method::kGet : request.method();
  unsigned allowed_mask = 0;
  for (const Route& route : routes_) {
    if (route.segments.size() != n) continue;
    bool ok = true;
    for (std::size_t i = 0; i < n && ok; ++i) {
      const auto& seg = route.segments[i];
      if (!seg.is_param) ok = seg.text == parts[i];
      else ok = !parts[i].empty() && (!seg.is_int || is_int(parts[i]));
    }
    if (!ok) continue;
    if (route.method != wanted) {
      allowed_mask |= 1u << static_cast<unsigned>(route.method);
      continue;
    }
    // Bind parameters, percent-decoding only when needed.
    request.decoded_.clear();
    std::size_t p = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!route.segments[i].is_param) continue;
      std::string_view raw = parts[i];
      if (raw.find('%') != std::string_view::npos) {
        auto decoded = percent_decode(raw, false);
        if (!decoded) return Match{};
        request.decoded_.reserve(Request::kMaxParams);  // keep views stable
        request.decoded_.push_back(std::move(*decoded));
        raw = request.decoded_.back();
      }
      request.params_[p++] = raw;
    }
    request.route_ = &route;
    result.route = &route;
    return result;
  }
  if (allowed_mask) {
    if (allowed_mask & (1u << static_cast<unsigned>(Method::kGet))) allowed_mask |= 1u << static_cast<unsigned>(Method::kHead);
    for (unsigned m = 0; m <= static_cast<unsigned>(Method::kOptions); ++m) {
      if (!(allowed_mask & (1u << m))) continue;
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += to_string(static_cast<Method>(m));
    }
  }
  return result;
}

}  // namespace scalelab::http
