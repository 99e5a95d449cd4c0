#include "store/memory_store.h"

#include <cassert>
#include <charconv>
#include <mutex>

namespace scalelab::store {

boost::asio::awaitable<Result<std::optional<std::string>>> MemoryStore::get(std::string_view key) {
  Result<std::optional<std::string>> found{std::optional<std::string>{}};
  {
    core::ReaderLock lock(mu_);
    if (auto it = data_.find(key); it != data_.end()) found = std::optional<std::string>{it->second};
  }
  co_return found;
}

boost::asio::awaitable<Status> MemoryStore::put(std::string_view key, std::string value) {
  core::WriterLock lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) data_.emplace(std::string(key), std::move(value));
  else it->second = std::move(value);
  co_return Status{};
}

boost::asio::awaitable<Result<bool>> MemoryStore::put_if_absent(std::string_view key, std::string value) {
  core::WriterLock lock(mu_);
  auto it = data_.find(key);
  if (it != data_.end()) co_return false;
  data_.emplace(std::string(key), std::move(value));
  co_return true;
}

boost::asio::awaitable<Result<bool>> MemoryStore::erase(std::string_view key) {
  core::WriterLock lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) co_return false;
  data_.erase(it);
  co_return true;
}

boost::asio::awaitable<Result<std::vector<KeyValue>>> MemoryStore::scan(std::string_view prefix) {
  std::vector<KeyValue> out;
  core::ReaderLock lock(mu_);
  for (auto it = data_.lower_bound(prefix); it != data_.end() && it->first.starts_with(prefix); ++it)
    out.emplace_back(it->first, it->second);
  co_return out;
}

}  // namespace scalelab::store

namespace scalelab::store {

namespace {

// The counter stored at it (absent_as when missing); nullopt when not an integer.
std::optional<std::int64_t> counter_value(const std::string* text, std::int64_t absent_as) {
  if (text == nullptr) return absent_as;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return v;
}

}  // namespace

boost::asio::awaitable<Result<std::int64_t>> MemoryStore::increment(std::string_view key, std::int64_t delta,
                                                                    std::int64_t absent_as) {
  core::WriterLock lock(mu_);
  auto it = data_.find(key);
  auto v = counter_value(it == data_.end() ? nullptr : &it->second, absent_as);
  if (!v) co_return Error{ErrorKind::kConflict, "value at '" + std::string(key) + "' is not an integer"};
  std::int64_t sum = 0;
  if (__builtin_add_overflow(*v, delta, &sum))
    co_return Error{ErrorKind::kConflict, "counter '" + std::string(key) + "' would overflow"};
  if (it == data_.end()) data_.emplace(std::string(key), std::to_string(sum));
  else it->second = std::to_string(sum);
  co_return sum;
}

boost::asio::awaitable<Result<Decrement>> MemoryStore::decrement_with_floor(std::string_view key,
                                                                            std::int64_t amount,
                                                                            std::int64_t absent_as) {
  assert(amount >= 0);
  core::WriterLock lock(mu_);
  auto it = data_.find(key);
  auto v = counter_value(it == data_.end() ? nullptr : &it->second, absent_as);
  if (!v) co_return Error{ErrorKind::kConflict, "value at '" + std::string(key) + "' is not an integer"};
  if (*v < amount) co_return Decrement{false, *v};
  std::int64_t left = *v - amount;
  if (it == data_.end()) data_.emplace(std::string(key), std::to_string(left));
  else it->second = std::to_string(left);
  co_return Decrement{true, left};
}

boost::asio::awaitable<Result<bool>> MemoryStore::compare_and_set(std::string_view key,
                                                                  std::optional<std::string> expected,
                                                                  std::string value) {
  core::WriterLock lock(mu_);
  auto it = data_.find(key);
  if (!expected) {
    if (it != data_.end()) co_return false;
    data_.emplace(std::string(key), std::move(value));
    co_return true;
  }
  if (it == data_.end() || it->second != *expected) co_return false;
  it->second = std::move(value);
  co_return true;
}

}  // namespace scalelab::store
