// Internal to lab/hw7: a Store that forwards every call to another and notes
// when each order first became completed (a successful compare-and-set of
// order/ID to a record whose status is "completed"), so the kill-node run
// can say when consumers resumed after the kill.
// Thread-safety: thread-safe, as the Store it wraps.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "core/thread_annotations.h"
#include "store/store.h"

namespace scalelab::lab::hw7_detail {

class CompletionClock final : public store::Store {
 public:
  using Clock = std::chrono::steady_clock;
  explicit CompletionClock(store::Store& inner) : inner_(inner) {}

  // When order `id` was first completed, if it was.
  std::optional<Clock::time_point> completed_at(const std::string& id) const;
  // Every completion time, by order id.
  std::map<std::string, Clock::time_point> completions() const;

  boost::asio::awaitable<Result<std::optional<std::string>>> get(std::string_view key) override;
  boost::asio::awaitable<Status> put(std::string_view key, std::string value) override;
  boost::asio::awaitable<Result<bool>> put_if_absent(std::string_view key, std::string value) override;
  boost::asio::awaitable<Result<bool>> erase(std::string_view key) override;
  boost::asio::awaitable<Result<std::vector<store::KeyValue>>> scan(std::string_view prefix) override;
  boost::asio::awaitable<Result<std::int64_t>> increment(std::string_view key, std::int64_t delta,
                                                         std::int64_t absent_as = 0) override;
  boost::asio::awaitable<Result<store::Decrement>> decrement_with_floor(std::string_view key, std::int64_t amount,
                                                                        std::int64_t absent_as = 0) override;
  boost::asio::awaitable<Result<bool>> compare_and_set(std::string_view key, std::optional<std::string> expected,
                                                       std::string value) override;
  std::string describe() const override { return inner_.describe(); }

 private:
  void note(std::string_view key, const std::string& value);

  store::Store& inner_;
  mutable core::Mutex mu_;
  std::map<std::string, Clock::time_point> completed_ GUARDED_BY(mu_);
};

}  // namespace scalelab::lab::hw7_detail
