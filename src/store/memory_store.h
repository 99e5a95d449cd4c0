// MemoryStore: the in-process Store, an ordered map behind a reader-writer
// lock. State lives and dies with the process.
// Thread-safety: all operations are safe from any thread.
#pragma once

#include <map>

#include "core/thread_annotations.h"
#include "store/store.h"

namespace scalelab::store {

class MemoryStore final : public Store {
 public:
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
  std::string describe() const override { return "memory"; }

 private:
  mutable core::SharedMutex mu_;
  std::map<std::string, std::string, std::less<>> data_ GUARDED_BY(mu_);
};

}  // namespace scalelab::store
