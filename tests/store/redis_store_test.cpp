#include "store/redis_store.h"

#include <gtest/gtest.h>

#include "core/run_blocking.h"
#include "infra/redis.h"
#include "store/store_contract.h"
#include "support/test_server.h"

namespace scalelab::testkit {

INSTANTIATE_TEST_SUITE_P(Redis, StoreContract,
                         ::testing::Values(StoreFactory{"redis", [] {
                           auto s = store::open_store(infra_url("redis"));
                           return s ? std::move(*s) : nullptr;
                         }}),
                         [](const auto& info) { return info.param.name; });

namespace {

TEST(RedisUrl, ParsesHostPortAndDb) {
  auto o = store::parse_redis_url("redis://127.0.0.1:6390/3");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->host, "127.0.0.1");
  EXPECT_EQ(o->port, 6390);
  EXPECT_EQ(o->db, 3);
  auto d = store::parse_redis_url("redis://localhost");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 6379);
  EXPECT_EQ(d->db, 0);
}

TEST(RedisUrl, RejectsBadPortAndDb) {
  EXPECT_FALSE(store::parse_redis_url("redis://h:0").ok());
  EXPECT_FALSE(store::parse_redis_url("redis://h:70000").ok());
  EXPECT_FALSE(store::parse_redis_url("redis://h:1/16").ok());
  EXPECT_FALSE(store::parse_redis_url("redis://:1").ok());
}

TEST(RedisStore, ServerDownIsUnavailableWithinTheTimeout) {
  auto port = infra::pick_free_port();  // nothing listens there
  ASSERT_TRUE(port.ok());
  store::RedisStore s({.port = *port, .connect_timeout = std::chrono::milliseconds(200),
                       .io_timeout = std::chrono::milliseconds(500)});
  auto r = run_blocking(s.get("k"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
}

TEST(RedisStore, SurvivesARedisRestart) {
  auto dir = std::filesystem::temp_directory_path() / ("scalelab-redis-restart-" + std::to_string(::getpid()));
  auto server = infra::start_redis({.dir = dir});
  ASSERT_TRUE(server.ok()) << server.error().message;
  std::uint16_t port = server->port();
  store::RedisStore s({.port = port, .connections = 2});
  ASSERT_TRUE(run_blocking(s.put("k", "v")).ok());
  server->stop();
  auto down = run_blocking(s.get("k"));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, ErrorKind::kUnavailable);
  auto again = infra::start_redis({.dir = dir, .port = port});
  ASSERT_TRUE(again.ok()) << again.error().message;
  // No persistence: the value is gone, but the store reconnects and works.
  Result<std::optional<std::string>> got = Error{};
  for (int i = 0; i < 4 && !got.ok(); ++i) got = run_blocking(s.get("k"));  // one failure per dropped connection
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_FALSE(got->has_value());
  ASSERT_TRUE(run_blocking(s.put("k", "v2")).ok());
  EXPECT_EQ(**run_blocking(s.get("k")), "v2");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab::testkit
