#include "store/store_contract.h"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "core/run_blocking.h"

namespace scalelab::testkit {

void StoreContract::SetUp() {
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr);
  std::random_device rd;
  prefix_ = std::string("t") + std::to_string(rd()) + "/" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + "/";
}

namespace {

TEST_P(StoreContract, GetOfMissingKeyIsEmpty) {
  auto v = run_blocking(store_->get(key("nope")));
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_FALSE(v->has_value());
}

TEST_P(StoreContract, PutThenGetReturnsLatestValue) {
  ASSERT_TRUE(run_blocking(store_->put(key("k"), "v1")).ok());
  ASSERT_TRUE(run_blocking(store_->put(key("k"), "v2")).ok());
  EXPECT_EQ(**run_blocking(store_->get(key("k"))), "v2");
}

TEST_P(StoreContract, ValuesAreBinarySafe) {
  std::string value("a\0b\r\n\"{}", 9);
  ASSERT_TRUE(run_blocking(store_->put(key("bin"), value)).ok());
  EXPECT_EQ(**run_blocking(store_->get(key("bin"))), value);
}

TEST_P(StoreContract, PutIfAbsentStoresOnlyOnce) {
  EXPECT_TRUE(*run_blocking(store_->put_if_absent(key("k"), "first")));
  EXPECT_FALSE(*run_blocking(store_->put_if_absent(key("k"), "second")));
  EXPECT_EQ(**run_blocking(store_->get(key("k"))), "first");
}

TEST_P(StoreContract, EraseReportsWhetherKeyExisted) {
  ASSERT_TRUE(run_blocking(store_->put(key("k"), "v")).ok());
  EXPECT_TRUE(*run_blocking(store_->erase(key("k"))));
  EXPECT_FALSE(*run_blocking(store_->erase(key("k"))));
}

TEST_P(StoreContract, ScanReturnsOnlyThePrefixInKeyOrder) {
  for (const char* k : {"album/2", "album/1", "albumx", "other/1", "album/10", "album/*"})
    ASSERT_TRUE(run_blocking(store_->put(key(k), k)).ok());
  auto all = run_blocking(store_->scan(key("album/")));
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].first, key("album/*"));
  EXPECT_EQ((*all)[1].first, key("album/1"));
  EXPECT_EQ((*all)[2].first, key("album/10"));
  EXPECT_EQ((*all)[3].first, key("album/2"));
  EXPECT_EQ((*all)[3].second, "album/2");
  // A glob character in the prefix is literal.
  auto star = run_blocking(store_->scan(key("album/*")));
  ASSERT_TRUE(star.ok());
  EXPECT_EQ(star->size(), 1u);
}

TEST_P(StoreContract, IncrementCreatesFromAbsentValue) {
  EXPECT_EQ(*run_blocking(store_->increment(key("c"), 5)), 5);
  EXPECT_EQ(*run_blocking(store_->increment(key("c"), -2)), 3);
  EXPECT_EQ(*run_blocking(store_->increment(key("d"), 1, 100)), 101);
  EXPECT_EQ(*run_blocking(store_->increment(key("d"), 1, 100)), 102);
}

TEST_P(StoreContract, IncrementOfNonIntegerFailsAsConflict) {
  ASSERT_TRUE(run_blocking(store_->put(key("c"), "abc")).ok());
  auto r = run_blocking(store_->increment(key("c"), 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
}

TEST_P(StoreContract, DecrementWithFloorNeverGoesBelowZero) {
  auto a = run_blocking(store_->decrement_with_floor(key("s"), 3, 5));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->applied);
  EXPECT_EQ(a->value, 2);
  auto b = run_blocking(store_->decrement_with_floor(key("s"), 3, 5));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->applied);
  EXPECT_EQ(b->value, 2);
  auto c = run_blocking(store_->decrement_with_floor(key("s"), 2, 5));
  EXPECT_TRUE(c->applied);
  EXPECT_EQ(c->value, 0);
  auto d = run_blocking(store_->decrement_with_floor(key("s"), 0, 5));
  EXPECT_TRUE(d->applied);
  EXPECT_EQ(d->value, 0);
  EXPECT_EQ(**run_blocking(store_->get(key("s"))), "0");
}

TEST_P(StoreContract, DecrementOfAbsentKeyWithZeroDefaultIsRefused) {
  auto r = run_blocking(store_->decrement_with_floor(key("none"), 1));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->applied);
  EXPECT_EQ(r->value, 0);
}

TEST_P(StoreContract, CompareAndSetOnlyReplacesTheExpectedValue) {
  EXPECT_TRUE(*run_blocking(store_->compare_and_set(key("k"), std::nullopt, "v1")));
  EXPECT_FALSE(*run_blocking(store_->compare_and_set(key("k"), std::nullopt, "v2")));
  EXPECT_FALSE(*run_blocking(store_->compare_and_set(key("k"), std::string("other"), "v3")));
  EXPECT_TRUE(*run_blocking(store_->compare_and_set(key("k"), std::string("v1"), "v4")));
  EXPECT_EQ(**run_blocking(store_->get(key("k"))), "v4");
}

TEST_P(StoreContract, ConcurrentDecrementsOfTheLastUnitsNeverOversell) {
  constexpr int kStock = 50, kThreads = 8, kPerThread = 40;  // 320 attempts for 50 units
  ASSERT_TRUE(run_blocking(store_->put(key("stock"), std::to_string(kStock))).ok());
  std::atomic<int> sold{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      boost::asio::io_context io;
      for (int i = 0; i < kPerThread; ++i)
        boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
          auto r = co_await store_->decrement_with_floor(key("stock"), 1);
          if (!r) ++failed;
          else if (r->applied) ++sold;
          else ++refused;
        }, boost::asio::detached);
      io.run();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(sold.load(), kStock);
  EXPECT_EQ(refused.load(), kThreads * kPerThread - kStock);
  EXPECT_EQ(**run_blocking(store_->get(key("stock"))), "0");
}

TEST_P(StoreContract, ConcurrentCompareAndSetLosesNoIncrement) {
  constexpr int kThreads = 4, kPerThread = 50;
  ASSERT_TRUE(run_blocking(store_->put(key("n"), "0")).ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        for (int attempt = 0; attempt < 10'000; ++attempt) {
          auto cur = run_blocking(store_->get(key("n")));
          ASSERT_TRUE(cur.ok() && cur->has_value());
          auto next = std::to_string(std::stoi(**cur) + 1);
          if (*run_blocking(store_->compare_and_set(key("n"), **cur, next))) break;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(**run_blocking(store_->get(key("n"))), std::to_string(kThreads * kPerThread));
}

}  // namespace
}  // namespace scalelab::testkit
