#include "store/redis_sentinel.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/timeval.h"

namespace scalelab::store {

namespace {

constexpr std::string_view kScheme = "redis-sentinel://";

std::optional<std::uint16_t> to_port(std::string_view s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < 1 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

// One Sentinel's answer to get-master-addr-by-name; an empty host when it
// has none (unreachable, or it does not know the master).
RedisEndpoint ask(const RedisEndpoint& sentinel, const std::string& master, std::chrono::milliseconds timeout,
                  std::string& failure) {
  RedisEndpoint out;
  redisContext* c = redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, core::to_timeval(timeout));
  if (c == nullptr || c->err != 0) {
    failure = fmt::format("sentinel {}:{}: {}", sentinel.host, sentinel.port, c ? c->errstr : "no memory");
    if (c != nullptr) redisFree(c);
    return out;
  }
  redisSetTimeout(c, core::to_timeval(timeout));
  auto* r = static_cast<redisReply*>(redisCommand(c, "SENTINEL get-master-addr-by-name %s", master.c_str()));
  if (r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
    auto port = to_port(std::string_view(r->element[1]->str, r->element[1]->len));
    if (port) out = RedisEndpoint{std::string(r->element[0]->str, r->element[0]->len), *port};
  }
  if (out.host.empty())
    failure = fmt::format("sentinel {}:{} names no primary for '{}'{}", sentinel.host, sentinel.port, master,
                          r == nullptr ? fmt::format(" ({})", c->errstr) : "");
  if (r != nullptr) freeReplyObject(r);
  redisFree(c);
  return out;
}

}  // namespace

Result<SentinelUrl> parse_sentinel_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("store URL '{}': {} (expected redis-sentinel://host:port[,host:port…]/master)", url,
                             why)};
  };
  if (!url.starts_with(kScheme)) return bad("not a redis-sentinel:// URL");
  std::string_view rest = url.substr(kScheme.size());
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) return bad("missing the master's name");
  SentinelUrl out;
  out.master = std::string(rest.substr(slash + 1));
  if (out.master.find_first_of("/, ") != std::string::npos) return bad("the master's name has '/', ',' or ' '");
  std::string_view hosts = rest.substr(0, slash);
  while (true) {
    auto comma = hosts.find(',');
    std::string_view one = hosts.substr(0, comma);
    auto colon = one.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return bad(fmt::format("'{}' is not host:port", one));
    auto port = to_port(one.substr(colon + 1));
    if (!port) return bad(fmt::format("'{}': port must be 1-65535", one));
    out.sentinels.push_back({std::string(one.substr(0, colon)), *port});
    if (comma == std::string_view::npos) break;
    hosts = hosts.substr(comma + 1);
  }
  return out;
}

PrimaryLocator::PrimaryLocator(std::vector<RedisEndpoint> sentinels, std::string master,
                               std::chrono::milliseconds timeout)
    : master_(std::move(master)), timeout_(timeout), configured_(sentinels), order_(std::move(sentinels)) {}

std::string PrimaryLocator::describe() const {
  std::string hosts;
  for (const auto& s : configured_) hosts += fmt::format("{}{}:{}", hosts.empty() ? "" : ",", s.host, s.port);
  return fmt::format("redis-sentinel://{}/{}", hosts, master_);
}

Result<RedisEndpoint> PrimaryLocator::locate() {
  core::MutexLock lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (last_ && now - asked_at_ < kReuse) return *last_;
  std::string failure;
  for (auto it = order_.begin(); it != order_.end(); ++it) {
    RedisEndpoint primary = ask(*it, master_, timeout_, failure);
    if (primary.host.empty()) continue;
    std::rotate(order_.begin(), it, it + 1);  // the Sentinel that answered goes first
    last_ = primary;
    asked_at_ = std::chrono::steady_clock::now();
    return primary;
  }
  last_.reset();
  return Error{ErrorKind::kUnavailable, fmt::format("no Sentinel names a primary for '{}' (last: {})", master_,
                                                     failure)};
}

}  // namespace scalelab::store
