// Redis Sentinel for RedisStore: the redis-sentinel:// URL and the lookup of
// the current primary (Sentinel's client protocol: ask a Sentinel for the
// master's address, then check that the server named really is a primary).
// Thread-safety: PrimaryLocator is safe from any thread; parsing is pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/thread_annotations.h"

namespace scalelab::store {

struct RedisEndpoint {
  std::string host;
  std::uint16_t port = 0;
  friend bool operator==(const RedisEndpoint&, const RedisEndpoint&) = default;
};

// "redis-sentinel://host:port[,host:port…]/master" -> the Sentinels and the
// master's name. Fails with kInvalidInput, naming what is wrong.
struct SentinelUrl {
  std::vector<RedisEndpoint> sentinels;
  std::string master;
};
Result<SentinelUrl> parse_sentinel_url(std::string_view url);

class PrimaryLocator {
 public:
  // REQUIRES: sentinels not empty.
  PrimaryLocator(std::vector<RedisEndpoint> sentinels, std::string master, std::chrono::milliseconds timeout);

  // The primary's address: asks the Sentinels in turn (each within timeout)
  // and takes the first that names one; that Sentinel is asked first next
  // time. Callers within kReuse of an answer share it, so workers that lose
  // their connections together ask once. kUnavailable when none answers.
  Result<RedisEndpoint> locate();

  const std::string& master() const { return master_; }
  std::string describe() const;  // "redis-sentinel://h:p,h:p/master"

 private:
  static constexpr std::chrono::milliseconds kReuse{100};

  const std::string master_;
  const std::chrono::milliseconds timeout_;
  const std::vector<RedisEndpoint> configured_;
  // Held across the Sentinel round trips: concurrent callers wait for one answer.
  core::Mutex mu_;
  std::vector<RedisEndpoint> order_ GUARDED_BY(mu_);
  std::optional<RedisEndpoint> last_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point asked_at_ GUARDED_BY(mu_);
};

}  // namespace scalelab::store
