// Store: the key/value interface services keep their state behind, so that a
// service is stateless when the store is shared (Redis) and self-contained
// when it is not (memory). Values are opaque strings (services store JSON).
// Operations are awaitable because real backends do I/O.
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"

namespace scalelab::store {

using KeyValue = std::pair<std::string, std::string>;

class Store {
 public:
  virtual ~Store() = default;

  // nullopt when the key is absent.
  virtual boost::asio::awaitable<Result<std::optional<std::string>>> get(std::string_view key) = 0;
  virtual boost::asio::awaitable<Status> put(std::string_view key, std::string value) = 0;
  // Stores only when the key is absent; true when stored (atomic).
  virtual boost::asio::awaitable<Result<bool>> put_if_absent(std::string_view key, std::string value) = 0;
  // true when the key existed.
  virtual boost::asio::awaitable<Result<bool>> erase(std::string_view key) = 0;
  // Every key starting with prefix, in ascending key order.
  virtual boost::asio::awaitable<Result<std::vector<KeyValue>>> scan(std::string_view prefix) = 0;

  // A short description for logs and /health, e.g. "memory".
  virtual std::string describe() const = 0;
};

// Opens a store from a URL: "memory://" (the embedded default). Fails with
// kInvalidInput for an unknown or unsupported scheme.
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace scalelab::store
