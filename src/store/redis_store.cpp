#include "store/redis_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <memory>

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/timeval.h"

namespace scalelab::store {

namespace asio = boost::asio;

namespace {

// Lua scripts: each runs atomically on the server.
// KEYS[1]=key ARGV[1]=delta ARGV[2]=absent_as
constexpr const char* kIncrementScript =
    "if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[2]) end "
    "return redis.call('INCRBY', KEYS[1], ARGV[1])";
// KEYS[1]=key ARGV[1]=amount ARGV[2]=absent_as -> {applied 0|1, value as text}
constexpr const char* kDecrementScript =
    "local v = redis.call('GET', KEYS[1]) "
    "if not v then v = ARGV[2] end "
    "if not string.match(v, '^%-?%d+$') then return redis.error_reply('value is not an integer') end "
    "if tonumber(v) < tonumber(ARGV[1]) then return {0, v} end "
    "if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[2]) end "
    "return {1, tostring(redis.call('DECRBY', KEYS[1], ARGV[1]))}";
// KEYS[1]=key ARGV[1]=has_expected 0|1 ARGV[2]=expected ARGV[3]=value -> 0|1
constexpr const char* kCompareAndSetScript =
    "local v = redis.call('GET', KEYS[1]) "
    "if ARGV[1] == '0' then if v then return 0 end "
    "elseif v ~= ARGV[2] then return 0 end "
    "redis.call('SET', KEYS[1], ARGV[3]) return 1";

RedisReply copy_reply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = RedisReply::Type::kString; break;
    case REDIS_REPLY_STATUS: out.type = RedisReply::Type::kStatus; break;
    case REDIS_REPLY_ERROR: out.type = RedisReply::Type::kError; break;
    case REDIS_REPLY_INTEGER: out.type = RedisReply::Type::kInteger; break;
    case REDIS_REPLY_ARRAY: out.type = RedisReply::Type::kArray; break;
    default: out.type = RedisReply::Type::kNil; break;
  }
  if (r->str != nullptr) out.str.assign(r->str, r->len);
  out.integer = r->integer;
  for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i]));
  return out;
}

// A worker that finds no primary retries after this, doubling up to the max.
constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{400};

std::optional<RedisReply> read_reply(redisContext* ctx);

Error unavailable_at(const RedisOptions& o, std::string_view what) {
  return Error{ErrorKind::kUnavailable, fmt::format("redis {}:{}: {}", o.host, o.port, what)};
}

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A glob pattern matching exactly the keys that start with prefix.
std::string glob_for_prefix(std::string_view prefix) {
  std::string out;
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out += '\\';
    out += c;
  }
  out += '*';
  return out;
}

Error unexpected(const RedisReply& r, std::string_view command) {
  return Error{ErrorKind::kProtocol, fmt::format("unexpected reply type {} to {}", static_cast<int>(r.type), command)};
}

std::optional<RedisReply> read_reply(redisContext* ctx) {
  void* raw = nullptr;
  if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) return std::nullopt;
  auto* r = static_cast<redisReply*>(raw);
  RedisReply out = copy_reply(r);
  freeReplyObject(r);
  return out;
}

}  // namespace

Result<RedisOptions> parse_redis_url(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  auto bad = [&](std::string_view why) {
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("store URL '{}': {} (expected redis://host:port[/db])", url, why)};
  };
  if (!url.starts_with(kScheme)) return bad("not a redis:// URL");
  std::string_view rest = url.substr(kScheme.size());
  RedisOptions o;
  std::string_view hostport = rest;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto n = to_int(db);
      if (!n || *n < 0 || *n > 15) return bad("db must be 0-15");
      o.db = static_cast<int>(*n);
    }
  }
  if (hostport.empty()) return bad("missing host");
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    auto port = to_int(hostport.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535) return bad("port must be 1-65535");
    o.port = static_cast<std::uint16_t>(*port);
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return bad("missing host");
  o.host = std::string(hostport);
  return o;
}

Result<RedisOptions> parse_redis_sentinel_url(std::string_view url) {
  auto parsed = parse_sentinel_url(url);
  if (!parsed) return parsed.error();
  RedisOptions o;
  o.sentinels = std::move(parsed->sentinels);
  o.master = std::move(parsed->master);
  return o;
}

RedisStore::RedisStore(RedisOptions options) : options_(std::move(options)) {
  if (!options_.sentinels.empty())
    locator_ = std::make_unique<PrimaryLocator>(options_.sentinels, options_.master, options_.connect_timeout);
  unsigned n = std::max(1u, options_.connections);
  for (unsigned i = 0; i < n; ++i) workers_.emplace_back([this] { worker(); });
}

RedisStore::~RedisStore() {
  {
    core::MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  std::deque<Job> left;
  {
    core::MutexLock lock(mu_);
    left.swap(queue_);
  }
  for (auto& job : left) job.done({unavailable("store closed"), {}});
}

std::string RedisStore::describe() const {
  if (sentinel_mode()) return locator_->describe();
  return fmt::format("redis://{}:{}/{}", options_.host, options_.port, options_.db);
}

Error RedisStore::unavailable(std::string_view what) const {
  if (sentinel_mode()) return Error{ErrorKind::kUnavailable, fmt::format("{}: {}", locator_->describe(), what)};
  return unavailable_at(options_, what);
}

void RedisStore::submit(Job job) {
  bool queued = false;
  {
    core::MutexLock lock(mu_);
    if (!stopping_ && queue_.size() < options_.max_queued) {
      queue_.push_back(std::move(job));
      queued = true;
    }
  }
  if (queued) {
    cv_.notify_one();
    return;
  }
  job.done({unavailable("too many queued commands"), {}});
}

void RedisStore::requeue(std::vector<Job>& jobs) {
  {
    core::MutexLock lock(mu_);
    for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) queue_.push_front(std::move(*it));
  }
  jobs.clear();
  cv_.notify_all();
}

// Waits for commands and takes up to max_batch; those past their deadline
// fail here. False when the store is stopping.
bool RedisStore::take_batch(std::vector<Job>& batch, const std::string& connect_failure) {
  batch.clear();
  {
    core::MutexLock lock(mu_);
    while (!stopping_ && queue_.empty()) cv_.wait(mu_);
    if (stopping_) return false;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  auto now = std::chrono::steady_clock::now();
  std::erase_if(batch, [&](Job& job) {
    if (job.deadline >= now) return false;
    if (!sentinel_mode()) job.done({unavailable("timed out waiting for a connection"), {}});
    else
      job.done({unavailable(fmt::format("no primary within {} ms ({})", options_.failover_wait.count(),
                                        connect_failure.empty() ? "busy" : connect_failure)),
                {}});
    return true;
  });
  return true;
}

redisContext* RedisStore::connect(std::string& failure) {
  failure.clear();
  std::string host = options_.host;
  std::uint16_t port = options_.port;
  if (sentinel_mode()) {
    auto primary = locator_->locate();
    if (!primary) {
      failure = primary.error().message;
      return nullptr;
    }
    host = primary->host;
    port = primary->port;
  }
  redisContext* ctx = redisConnectWithTimeout(host.c_str(), port, core::to_timeval(options_.connect_timeout));
  if (ctx == nullptr) failure = "cannot allocate a connection";
  else if (ctx->err != 0) failure = fmt::format("{}:{}: {}", host, port, ctx->errstr);
  else if (redisSetTimeout(ctx, core::to_timeval(options_.io_timeout)) != REDIS_OK) failure = "cannot set timeout";
  if (failure.empty() && sentinel_mode()) {
    // A Sentinel's answer may lag a failover: only a primary takes writes.
    auto* r = static_cast<redisReply*>(redisCommand(ctx, "ROLE"));
    bool primary = r != nullptr && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                   r->element[0]->type == REDIS_REPLY_STRING && std::string_view(r->element[0]->str) == "master";
    if (!primary) failure = fmt::format("{}:{} is not a primary", host, port);
    if (r != nullptr) freeReplyObject(r);
  }
  if (failure.empty() && options_.db != 0) {
    auto* r = static_cast<redisReply*>(redisCommand(ctx, "SELECT %d", options_.db));
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) failure = "SELECT failed";
    if (r != nullptr) freeReplyObject(r);
  }
  if (failure.empty()) return ctx;
  if (ctx != nullptr) redisFree(ctx);
  return nullptr;
}

void RedisStore::worker() {
  redisContext* ctx = nullptr;
  std::uint64_t opened_after = 0;  // breaks_ when ctx was opened
  std::vector<Job> batch;
  std::string failure;  // why the last connect failed, for commands that time out waiting
  auto backoff = kFirstBackoff;
  while (take_batch(batch, failure)) {
    if (batch.empty()) continue;
    if (ctx != nullptr && opened_after != breaks_.load()) {  // another connection broke: this one may be dead too
      redisFree(ctx);
      ctx = nullptr;
    }
    if (ctx == nullptr) {
      opened_after = breaks_.load();
      ctx = connect(failure);
    }
    if (ctx == nullptr && !sentinel_mode()) {
      for (auto& job : batch) job.done({unavailable(failure), {}});
      continue;
    }
    if (ctx == nullptr) {  // no primary yet (a failover is under way): later, until the deadlines pass
      requeue(batch);
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    backoff = kFirstBackoff;
    run_batch(ctx, batch);
  }
  if (ctx != nullptr) redisFree(ctx);
}

std::optional<Error> RedisStore::check_ack(const RedisReply& ack) const {
  if (ack.type == RedisReply::Type::kInteger && ack.integer >= options_.durable_replicas) return std::nullopt;
  auto acked = ack.type == RedisReply::Type::kInteger ? std::to_string(ack.integer) : "WAIT failed: " + ack.str;
  return unavailable(fmt::format("write not on {} replica(s) within {} ms (acknowledged: {}); it may be on the "
                                 "primary only",
                                 options_.durable_replicas, options_.durable_timeout.count(), acked));
}

// Writes every command of the batch (and a WAIT after each durable one) and
// reads the replies in order.
void RedisStore::run_batch(redisContext*& ctx, std::vector<Job>& batch) {
  const std::string wait_replicas = std::to_string(options_.durable_replicas);
  const std::string wait_ms = std::to_string(options_.durable_timeout.count());
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (auto& job : batch) {
    argv.clear();
    lens.clear();
    for (const auto& a : job.argv) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), argv.data(), lens.data());
    if (job.wait_for_replicas) redisAppendCommand(ctx, "WAIT %s %s", wait_replicas.c_str(), wait_ms.c_str());
  }
  std::vector<Job> refused;  // READONLY: not applied (a demoted server); sent again to the primary
  std::size_t done = 0;
  for (; done < batch.size(); ++done) {
    auto reply = read_reply(ctx);
    if (!reply) break;
    std::optional<RedisReply> ack;
    if (batch[done].wait_for_replicas && !(ack = read_reply(ctx))) break;
    if (sentinel_mode() && reply->type == RedisReply::Type::kError && reply->str.starts_with("READONLY")) {
      refused.push_back(std::move(batch[done]));
      continue;
    }
    RedisOutcome out{std::nullopt, std::move(*reply)};
    if (ack && out.reply.type != RedisReply::Type::kError) out.error = check_ack(*ack);
    batch[done].done(std::move(out));
  }
  if (done < batch.size() || !refused.empty()) {
    std::string why = ctx->errstr[0] != '\0' ? ctx->errstr : "connection lost";
    redisFree(ctx);  // replies of a broken pipeline cannot be matched any more; a replica takes no writes
    ctx = nullptr;
    ++breaks_;
    for (; done < batch.size(); ++done) batch[done].done({unavailable(why), {}});
  }
  if (!refused.empty()) requeue(refused);
}

asio::awaitable<Result<RedisReply>> RedisStore::command(std::vector<std::string> argv, bool wait_for_replicas) {
  auto wait = sentinel_mode() ? std::max(options_.failover_wait, options_.io_timeout) : options_.io_timeout;
  auto deadline = std::chrono::steady_clock::now() + wait;
  RedisOutcome out = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(RedisOutcome)>(
      [this, &argv, deadline, wait_for_replicas](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        auto ex = asio::get_associated_executor(*h);
        auto work = std::make_shared<asio::executor_work_guard<decltype(ex)>>(ex);
        submit(Job{std::move(argv), deadline,
                   // Everything that touches the caller's io_context happens on it: once the
                   // completion is posted the worker keeps no reference (resetting the guard
                   // here, after the post, raced with a server that stops and destroys its
                   // contexts as soon as the request it completes has finished).
                   [h, ex, work](RedisOutcome o) mutable {
                     asio::post(ex, [h = std::move(h), work = std::move(work), o = std::move(o)]() mutable {
                       work->reset();
                       (*h)(std::move(o));
                     });
                   },
                   wait_for_replicas && sentinel_mode()});
      },
      asio::use_awaitable);
  if (out.error) co_return *out.error;
  if (out.reply.type == RedisReply::Type::kError)
    co_return Error{ErrorKind::kConflict, "redis refused the command: " + out.reply.str};
  co_return std::move(out.reply);
}

asio::awaitable<Result<std::optional<std::string>>> RedisStore::get(std::string_view key) {
  std::vector<std::string> cmd{"GET", std::string(key)};
  auto r = co_await command(std::move(cmd));
  if (!r) co_return r.error();
  if (r->type == RedisReply::Type::kNil) co_return std::optional<std::string>{};
  if (r->type != RedisReply::Type::kString) co_return unexpected(*r, "GET");
  co_return std::optional<std::string>{std::move(r->str)};
}

asio::awaitable<Status> RedisStore::put(std::string_view key, std::string value) {
  std::vector<std::string> cmd{"SET", std::string(key), std::move(value)};
  auto r = co_await command(std::move(cmd));
  if (!r) co_return r.error();
  co_return Status{};
}

asio::awaitable<Status> RedisStore::put_durable(std::string_view key, std::string value) {
  std::vector<std::string> cmd{"SET", std::string(key), std::move(value)};
  auto r = co_await command(std::move(cmd), /*wait_for_replicas=*/true);
  if (!r) co_return r.error();
  co_return Status{};
}

asio::awaitable<Result<bool>> RedisStore::put_if_absent(std::string_view key, std::string value) {
  std::vector<std::string> cmd{"SET", std::string(key), std::move(value), "NX"};
  auto r = co_await command(std::move(cmd));
  if (!r) co_return r.error();
  co_return r->type == RedisReply::Type::kStatus;  // OK when set, nil when present
}

asio::awaitable<Result<bool>> RedisStore::put_if_absent_durable(std::string_view key, std::string value) {
  std::vector<std::string> cmd{"SET", std::string(key), std::move(value), "NX"};
  auto r = co_await command(std::move(cmd), /*wait_for_replicas=*/true);
  if (!r) co_return r.error();
  co_return r->type == RedisReply::Type::kStatus;
}

asio::awaitable<Result<bool>> RedisStore::erase(std::string_view key) {
  std::vector<std::string> cmd{"DEL", std::string(key)};
  auto r = co_await command(std::move(cmd));
  if (!r) co_return r.error();
  if (r->type != RedisReply::Type::kInteger) co_return unexpected(*r, "DEL");
  co_return r->integer > 0;
}

asio::awaitable<Result<std::vector<KeyValue>>> RedisStore::scan(std::string_view prefix) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  std::string pattern = glob_for_prefix(prefix);
  do {
    std::vector<std::string> cmd{"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
  auto r = co_await command(std::move(cmd));
    if (!r) co_return r.error();
    if (r->type != RedisReply::Type::kArray || r->elements.size() != 2) co_return unexpected(*r, "SCAN");
    cursor = r->elements[0].str;
    for (auto& k : r->elements[1].elements) keys.push_back(std::move(k.str));
  } while (cursor != "0");
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // SCAN may repeat keys
  std::vector<KeyValue> out;
  constexpr std::size_t kChunk = 500;
  for (std::size_t i = 0; i < keys.size(); i += kChunk) {
    std::vector<std::string> argv{"MGET"};
    for (std::size_t j = i; j < std::min(keys.size(), i + kChunk); ++j) argv.push_back(keys[j]);
    auto r = co_await command(std::move(argv));
    if (!r) co_return r.error();
    if (r->type != RedisReply::Type::kArray) co_return unexpected(*r, "MGET");
    for (std::size_t j = 0; j < r->elements.size(); ++j) {
      // A key erased between SCAN and MGET comes back nil: skip it.
      if (r->elements[j].type == RedisReply::Type::kString)
        out.emplace_back(keys[i + j], std::move(r->elements[j].str));
    }
  }
  co_return out;
}

asio::awaitable<Result<std::int64_t>> RedisStore::increment(std::string_view key, std::int64_t delta,
                                                            std::int64_t absent_as) {
  std::vector<std::string> argv;
  if (absent_as == 0) argv = {"INCRBY", std::string(key), std::to_string(delta)};
  else argv = {"EVAL", kIncrementScript, "1", std::string(key), std::to_string(delta), std::to_string(absent_as)};
  auto r = co_await command(std::move(argv));
  if (!r) co_return r.error();
  if (r->type != RedisReply::Type::kInteger) co_return unexpected(*r, "INCRBY");
  co_return static_cast<std::int64_t>(r->integer);
}

asio::awaitable<Result<Decrement>> RedisStore::decrement_with_floor(std::string_view key, std::int64_t amount,
                                                                    std::int64_t absent_as) {
  std::vector<std::string> cmd{"EVAL", kDecrementScript, "1", std::string(key), std::to_string(amount),
                             std::to_string(absent_as)};
  auto r = co_await command(std::move(cmd));
  if (!r) co_return r.error();
  if (r->type != RedisReply::Type::kArray || r->elements.size() != 2) co_return unexpected(*r, "decrement");
  auto value = to_int(r->elements[1].str);
  if (!value) co_return unexpected(*r, "decrement");
  co_return Decrement{r->elements[0].integer == 1, *value};
}

asio::awaitable<Result<bool>> RedisStore::compare_and_set(std::string_view key, std::optional<std::string> expected,
                                                          std::string value) {
  std::vector<std::string> cmd{"EVAL", kCompareAndSetScript, "1", std::string(key), expected ? "1" : "0",
                             expected ? std::move(*expected) : std::string(), std::move(value)};
  auto r = co_await command(std::move(cmd));
  if (!r) co_return r.error();
  if (r->type != RedisReply::Type::kInteger) co_return unexpected(*r, "compare_and_set");
  co_return r->integer == 1;
}

asio::awaitable<Result<bool>> RedisStore::compare_and_set_durable(std::string_view key,
                                                                  std::optional<std::string> expected,
                                                                  std::string value) {
  std::vector<std::string> cmd{"EVAL", kCompareAndSetScript, "1", std::string(key), expected ? "1" : "0",
                             expected ? std::move(*expected) : std::string(), std::move(value)};
  auto r = co_await command(std::move(cmd), /*wait_for_replicas=*/true);
  if (!r) co_return r.error();
  if (r->type != RedisReply::Type::kInteger) co_return unexpected(*r, "compare_and_set");
  co_return r->integer == 1;
}

}  // namespace scalelab::store
