#include <gtest/gtest.h>

#include "store/redis_sentinel.h"
#include "store/redis_store.h"
#include "store/store.h"

namespace scalelab::store {
namespace {

TEST(SentinelUrl, ParsesEverySentinelAndTheMaster) {
  auto u = parse_sentinel_url("redis-sentinel://127.0.0.1:26379,10.0.0.2:26380,sentinel-c:26381/mymaster");
  ASSERT_TRUE(u.ok()) << u.error().message;
  ASSERT_EQ(u->sentinels.size(), 3u);
  EXPECT_EQ(u->sentinels[0], (RedisEndpoint{"127.0.0.1", 26379}));
  EXPECT_EQ(u->sentinels[1], (RedisEndpoint{"10.0.0.2", 26380}));
  EXPECT_EQ(u->sentinels[2], (RedisEndpoint{"sentinel-c", 26381}));
  EXPECT_EQ(u->master, "mymaster");
}

TEST(SentinelUrl, OneSentinelIsEnough) {
  auto u = parse_sentinel_url("redis-sentinel://h:1/m");
  ASSERT_TRUE(u.ok()) << u.error().message;
  ASSERT_EQ(u->sentinels.size(), 1u);
  EXPECT_EQ(u->master, "m");
}

TEST(SentinelUrl, RejectsMissingMasterPortsAndHosts) {
  for (const char* bad : {"redis-sentinel://h:1", "redis-sentinel://h:1/", "redis-sentinel://h/m",
                          "redis-sentinel://h:0/m", "redis-sentinel://h:70000/m", "redis-sentinel://:1/m",
                          "redis-sentinel://h:1,/m", "redis-sentinel://h:1/a/b", "redis://h:1/m"}) {
    auto u = parse_sentinel_url(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().kind, ErrorKind::kInvalidInput) << bad;
  }
}

TEST(SentinelUrl, OpensARedisStoreInSentinelMode) {
  auto s = open_store("redis-sentinel://127.0.0.1:1,127.0.0.1:2/mymaster");
  ASSERT_TRUE(s.ok()) << s.error().message;  // lazily: nothing listens there
  EXPECT_EQ((*s)->describe(), "redis-sentinel://127.0.0.1:1,127.0.0.1:2/mymaster");
  EXPECT_FALSE(open_store("redis-sentinel://127.0.0.1:1").ok());
}

}  // namespace
}  // namespace scalelab::store
