#include "store/memory_store.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/run_blocking.h"

using scalelab::run_blocking;
using scalelab::store::MemoryStore;

TEST(MemoryStore, GetOfMissingKeyIsEmpty) {
  MemoryStore s;
  auto v = run_blocking(s.get("nope"));
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
}

TEST(MemoryStore, PutThenGet) {
  MemoryStore s;
  ASSERT_TRUE(run_blocking(s.put("k", "v1")).ok());
  ASSERT_TRUE(run_blocking(s.put("k", "v2")).ok());
  EXPECT_EQ(**run_blocking(s.get("k")), "v2");
}

TEST(MemoryStore, PutIfAbsentStoresOnlyOnce) {
  MemoryStore s;
  EXPECT_TRUE(*run_blocking(s.put_if_absent("k", "first")));
  EXPECT_FALSE(*run_blocking(s.put_if_absent("k", "second")));
  EXPECT_EQ(**run_blocking(s.get("k")), "first");
}

TEST(MemoryStore, EraseReportsWhetherKeyExisted) {
  MemoryStore s;
  ASSERT_TRUE(run_blocking(s.put("k", "v")).ok());
  EXPECT_TRUE(*run_blocking(s.erase("k")));
  EXPECT_FALSE(*run_blocking(s.erase("k")));
}

TEST(MemoryStore, ScanReturnsPrefixInKeyOrder) {
  MemoryStore s;
  for (const char* k : {"album/2", "album/1", "albumx", "other/1", "album/10"})
    ASSERT_TRUE(run_blocking(s.put(k, k)).ok());
  auto all = run_blocking(s.scan("album/"));
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].first, "album/1");
  EXPECT_EQ((*all)[1].first, "album/10");
  EXPECT_EQ((*all)[2].first, "album/2");
}

TEST(MemoryStore, ConcurrentPutIfAbsentHasOneWinner) {
  MemoryStore s;
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (*run_blocking(s.put_if_absent("key" + std::to_string(i), "v"))) ++winners;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(winners.load(), 500);
}
