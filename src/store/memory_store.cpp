#include "store/memory_store.h"

#include <mutex>

namespace scalelab::store {

boost::asio::awaitable<Result<std::optional<std::string>>> MemoryStore::get(std::string_view key) {
  std::shared_lock lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) co_return std::optional<std::string>{};
  co_return std::optional<std::string>{it->second};
}

boost::asio::awaitable<Status> MemoryStore::put(std::string_view key, std::string value) {
  std::unique_lock lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) data_.emplace(std::string(key), std::move(value));
  else it->second = std::move(value);
  co_return Status{};
}

boost::asio::awaitable<Result<bool>> MemoryStore::put_if_absent(std::string_view key, std::string value) {
  std::unique_lock lock(mu_);
  auto it = data_.find(key);
  if (it != data_.end()) co_return false;
  data_.emplace(std::string(key), std::move(value));
  co_return true;
}

boost::asio::awaitable<Result<bool>> MemoryStore::erase(std::string_view key) {
  std::unique_lock lock(mu_);
  auto it = data_.find(key);
  if (it == data_.end()) co_return false;
  data_.erase(it);
  co_return true;
}

boost::asio::awaitable<Result<std::vector<KeyValue>>> MemoryStore::scan(std::string_view prefix) {
  std::vector<KeyValue> out;
  std::shared_lock lock(mu_);
  for (auto it = data_.lower_bound(prefix); it != data_.end() && it->first.starts_with(prefix); ++it)
    out.emplace_back(it->first, it->second);
  co_return out;
}

}  // namespace scalelab::store
