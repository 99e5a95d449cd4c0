#include "infra/redis.h"

#include <hiredis/hiredis.h>

#include <thread>

#include <fmt/format.h>

namespace scalelab::infra {

namespace {

bool answers_ping(std::uint16_t port) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{0, 500'000});
  if (c == nullptr) return false;
  bool ok = false;
  if (c->err == 0) {
    redisSetTimeout(c, timeval{0, 500'000});
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r != nullptr && r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "PONG";
    if (r != nullptr) freeReplyObject(r);
  }
  redisFree(c);
  return ok;
}

}  // namespace

Result<Server> start_redis(const Options& options) {
  if (auto s = prepare_dir(options.dir); !s) return s.error();
  std::uint16_t port = options.port;
  if (port == 0) {
    auto picked = pick_free_port();
    if (!picked) return picked.error();
    port = *picked;
  }
  auto dir = std::filesystem::absolute(options.dir);
  auto log = dir / "redis.log";
  // Everything on the command line: no config file to go stale.
  auto process = Process::spawn({
      .argv = {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--dir", dir.string(),
               "--save", "", "--appendonly", "no", "--logfile", log.string(), "--daemonize", "no",
               "--protected-mode", "yes", "--databases", "16"},
      .log_file = dir / "redis.stdout.log",
      .die_with_parent = !options.detached,
  });
  if (!process) return process.error();
  auto deadline = std::chrono::steady_clock::now() + options.start_timeout;
  while (!answers_ping(port)) {
    if (!process->running() || std::chrono::steady_clock::now() > deadline) {
      process->stop();
      return Error{ErrorKind::kUnavailable,
                   fmt::format("redis-server did not answer PING on 127.0.0.1:{}; {}:\n{}", port, log.string(),
                               tail_of(log))};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Server("redis", fmt::format("redis://127.0.0.1:{}", port), port, dir, std::move(*process));
}

}  // namespace scalelab::infra
