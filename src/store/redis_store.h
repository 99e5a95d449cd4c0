// RedisStore: the shared Store on a Redis server (hiredis 0.14), so that
// several service instances keep no state of their own.
//
// Connections: a bounded pool of blocking hiredis connections, each owned by
// one worker thread. Callers' awaitables queue a command; a worker takes every
// queued command (up to max_batch), writes them in one go and reads the replies
// in order, so a busy pool pipelines. Chosen over hiredis's async API driven by
// Asio because it was finished and tested within the time box; the
// batching recovers most of the pipelining (see bench/README.md for figures).
//
// Faults: connect and every read/write have timeouts, a command that waits in
// the queue past its deadline fails, and the queue is bounded, so a dead or
// stopped Redis gives kUnavailable within about io_timeout, never a hang. A
// broken connection is dropped and re-opened on the next command (Redis
// restarts are survived).
//
// Sentinel (redis-sentinel:// URLs): a worker opening a connection asks the
// Sentinels for the primary (PrimaryLocator) and checks its ROLE. When that
// fails (the primary is down and not yet replaced) the batch goes back to
// the queue and the worker retries with backoff, until each command's
// failover_wait passes (then kUnavailable, naming the master). A write
// refused with READONLY (the server was demoted) was not applied, so it is
// sent again to the primary found anew. A command whose connection broke
// after it was sent is not retried: it may have been applied (kUnavailable).
// The *_durable writes issue WAIT after the command on the same connection.
//
// Atomic operations (counters, compare-and-set) run as Lua scripts (EVAL).
// Thread-safety: all operations are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_annotations.h"
#include "store/redis_sentinel.h"
#include "store/store.h"

struct redisContext;

namespace scalelab::store {

struct RedisOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  int db = 0;
  unsigned connections = 4;                          // worker threads, one connection each
  std::size_t max_batch = 64;                        // commands pipelined per round trip
  std::size_t max_queued = 10'000;                   // beyond: kUnavailable at once
  std::chrono::milliseconds connect_timeout{1'000};
  std::chrono::milliseconds io_timeout{2'000};       // per read/write, and queue wait
  // Sentinel mode when not empty: the primary is looked up through these
  // (host and port above are then unused).
  std::vector<RedisEndpoint> sentinels;
  std::string master;                                 // the name the Sentinels monitor
  std::chrono::milliseconds failover_wait{5'000};     // a command waits this long for a primary
  int durable_replicas = 1;                           // *_durable: replicas that must have the write (WAIT)
  std::chrono::milliseconds durable_timeout{1'000};   // WAIT's timeout
};

// "redis://host:port[/db]" -> options (other fields default).
Result<RedisOptions> parse_redis_url(std::string_view url);
// "redis-sentinel://host:port[,host:port…]/master" -> options in Sentinel mode.
Result<RedisOptions> parse_redis_sentinel_url(std::string_view url);

// One Redis reply, copied out of hiredis's.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // string, status and error text
  long long integer = 0;
  std::vector<RedisReply> elements;
};

// A reply or the error that prevented one (default-constructible, so it can
// travel through a completion handler).
struct RedisOutcome {
  std::optional<Error> error;
  RedisReply reply;
};

class RedisStore final : public Store {
 public:
  explicit RedisStore(RedisOptions options);
  ~RedisStore() override;  // fails queued commands with kUnavailable, joins workers

  boost::asio::awaitable<Result<std::optional<std::string>>> get(std::string_view key) override;
  boost::asio::awaitable<Status> put(std::string_view key, std::string value) override;
  boost::asio::awaitable<Result<bool>> put_if_absent(std::string_view key, std::string value) override;
  boost::asio::awaitable<Result<bool>> erase(std::string_view key) override;
  boost::asio::awaitable<Result<std::vector<KeyValue>>> scan(std::string_view prefix) override;
  boost::asio::awaitable<Result<std::int64_t>> increment(std::string_view key, std::int64_t delta,
                                                         std::int64_t absent_as = 0) override;
  boost::asio::awaitable<Result<Decrement>> decrement_with_floor(std::string_view key, std::int64_t amount,
                                                                 std::int64_t absent_as = 0) override;
  boost::asio::awaitable<Result<bool>> compare_and_set(std::string_view key, std::optional<std::string> expected,
                                                       std::string value) override;
  // In Sentinel mode with WAIT; otherwise the plain calls.
  boost::asio::awaitable<Status> put_durable(std::string_view key, std::string value) override;
  boost::asio::awaitable<Result<bool>> put_if_absent_durable(std::string_view key, std::string value) override;
  boost::asio::awaitable<Result<bool>> compare_and_set_durable(std::string_view key,
                                                               std::optional<std::string> expected,
                                                               std::string value) override;
  std::string describe() const override;

  // One raw command; an error reply becomes kConflict (the server refused it),
  // a transport fault kUnavailable. wait_for_replicas: WAIT after it (Sentinel
  // mode), kUnavailable when too few replicas acknowledge.
  boost::asio::awaitable<Result<RedisReply>> command(std::vector<std::string> argv, bool wait_for_replicas = false);

 private:
  struct Job {
    std::vector<std::string> argv;
    std::chrono::steady_clock::time_point deadline;
    std::function<void(RedisOutcome)> done;  // called once, on a worker thread
    bool wait_for_replicas = false;
  };
  bool sentinel_mode() const { return locator_ != nullptr; }
  void submit(Job job);
  void requeue(std::vector<Job>& jobs);  // at the front, in order
  bool take_batch(std::vector<Job>& batch, const std::string& connect_failure);
  void worker();
  redisContext* connect(std::string& failure);
  void run_batch(redisContext*& ctx, std::vector<Job>& batch);
  std::optional<Error> check_ack(const RedisReply& ack) const;
  Error unavailable(std::string_view what) const;

  RedisOptions options_;
  std::unique_ptr<PrimaryLocator> locator_;  // Sentinel mode only
  core::Mutex mu_;
  core::CondVar cv_;
  std::deque<Job> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  // Counts connections found broken. A worker whose connection is older than
  // the last break re-opens it before sending: when the server died, every
  // pooled connection is dead, and a command written to one would fail
  // (ambiguously) although it was never sent to a live server.
  std::atomic<std::uint64_t> breaks_{0};
  std::vector<std::thread> workers_;
};

}  // namespace scalelab::store
