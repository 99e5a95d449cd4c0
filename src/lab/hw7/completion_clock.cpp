#include "lab/hw7/completion_clock.h"

namespace scalelab::lab::hw7_detail {

namespace {

namespace asio = boost::asio;

// orders::order_key() and the record's encoding (record.cpp).
constexpr std::string_view kOrderPrefix = "order/";
constexpr std::string_view kCompleted = R"("status":"completed")";

}  // namespace

std::optional<CompletionClock::Clock::time_point> CompletionClock::completed_at(const std::string& id) const {
  core::MutexLock lock(mu_);
  auto it = completed_.find(id);
  if (it == completed_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, CompletionClock::Clock::time_point> CompletionClock::completions() const {
  core::MutexLock lock(mu_);
  return completed_;
}

void CompletionClock::note(std::string_view key, const std::string& value) {
  if (!key.starts_with(kOrderPrefix) || value.find(kCompleted) == std::string::npos) return;
  const auto now = Clock::now();
  core::MutexLock lock(mu_);
  completed_.emplace(std::string(key.substr(kOrderPrefix.size())), now);  // the first time only
}

asio::awaitable<Result<std::optional<std::string>>> CompletionClock::get(std::string_view key) {
  co_return co_await inner_.get(key);
}

asio::awaitable<Status> CompletionClock::put(std::string_view key, std::string value) {
  std::string copy = value;
  auto s = co_await inner_.put(key, std::move(value));
  if (s) note(key, copy);
  co_return s;
}

asio::awaitable<Result<bool>> CompletionClock::put_if_absent(std::string_view key, std::string value) {
  co_return co_await inner_.put_if_absent(key, std::move(value));
}

asio::awaitable<Result<bool>> CompletionClock::erase(std::string_view key) { co_return co_await inner_.erase(key); }

asio::awaitable<Result<std::vector<store::KeyValue>>> CompletionClock::scan(std::string_view prefix) {
  co_return co_await inner_.scan(prefix);
}

asio::awaitable<Result<std::int64_t>> CompletionClock::increment(std::string_view key, std::int64_t delta,
                                                                 std::int64_t absent_as) {
  co_return co_await inner_.increment(key, delta, absent_as);
}

asio::awaitable<Result<store::Decrement>> CompletionClock::decrement_with_floor(std::string_view key,
                                                                                std::int64_t amount,
                                                                                std::int64_t absent_as) {
  co_return co_await inner_.decrement_with_floor(key, amount, absent_as);
}

asio::awaitable<Result<bool>> CompletionClock::compare_and_set(std::string_view key,
                                                               std::optional<std::string> expected,
                                                               std::string value) {
  std::string copy = value;
  auto stored = co_await inner_.compare_and_set(key, std::move(expected), std::move(value));
  if (stored && *stored) note(key, copy);
  co_return stored;
}

}  // namespace scalelab::lab::hw7_detail
