#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "mq/amqp_broker.h"

namespace scalelab::mq {

std::string AmqpAddress::display() const { return fmt::format("amqp://{}:{}/{}", host, port, vhost == "/" ? "" : vhost); }

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return Error{ErrorKind::kInvalidInput, "bad % escape"};
      int a = hex(s[i + 1]), b = hex(s[i + 2]);
      if (a < 0 || b < 0) return Error{ErrorKind::kInvalidInput, "bad % escape"};
      out.push_back(static_cast<char>(a * 16 + b));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The query of an amqp:// URL: `heartbeat=N` (seconds), the one parameter
// this client honours; any other is refused rather than silently ignored.
Status parse_query(std::string_view query, AmqpAddress& a) {
  constexpr int kMaxHeartbeatSeconds = 3'600;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = param.find('=');
    std::string_view name = param.substr(0, eq);
    std::string value(eq == std::string_view::npos ? std::string_view{} : param.substr(eq + 1));
    if (name != "heartbeat") return Error{ErrorKind::kInvalidInput, fmt::format("unknown parameter '{}'", name)};
    char* end = nullptr;
    long s = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || s < 0 || s > kMaxHeartbeatSeconds) {
      return Error{ErrorKind::kInvalidInput, fmt::format("heartbeat must be 0-{} seconds", kMaxHeartbeatSeconds)};
    }
    a.heartbeat = static_cast<int>(s);
  }
  return {};
}

}  // namespace

Result<AmqpAddress> parse_amqp_url(const std::string& url) {
  constexpr std::string_view scheme = "amqp://";
  if (url.rfind(scheme, 0) != 0) return Error{ErrorKind::kInvalidInput, fmt::format("not an amqp:// URL: '{}'", url)};
  std::string_view rest = std::string_view(url).substr(scheme.size());
  AmqpAddress a;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    if (auto s = parse_query(rest.substr(q + 1), a); !s) {
      return Error{ErrorKind::kInvalidInput, fmt::format("{} in '{}'", s.error().message, url)};
    }
    rest = rest.substr(0, q);
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    auto vhost = percent_decode(rest.substr(slash + 1));
    if (!vhost) return Error{ErrorKind::kInvalidInput, fmt::format("bad vhost in '{}'", url)};
    a.vhost = *vhost;
  }
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return Error{ErrorKind::kInvalidInput, fmt::format("bad user in '{}'", url)};
    a.user = *user;
    if (colon != std::string_view::npos) {
      auto pass = percent_decode(userinfo.substr(colon + 1));
      if (!pass) return Error{ErrorKind::kInvalidInput, fmt::format("bad password in '{}'", url)};
      a.password = *pass;
    }
  }
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    std::string port(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p < 1 || p > 65535) {
      return Error{ErrorKind::kInvalidInput, fmt::format("bad port in '{}'", url)};
    }
    a.port = static_cast<int>(p);
  }
  if (!authority.empty()) a.host = std::string(authority);
  return a;
}

Result<std::vector<AmqpAddress>> parse_amqp_urls(const std::string& urls) {
  std::vector<AmqpAddress> out;
  std::string_view rest = urls;
  for (;;) {
    auto comma = rest.find(',');
    auto one = parse_amqp_url(std::string(rest.substr(0, comma)));
    if (!one) return one.error();
    out.push_back(std::move(*one));
    if (comma == std::string_view::npos) return out;
    rest = rest.substr(comma + 1);
  }
}

}  // namespace scalelab::mq
