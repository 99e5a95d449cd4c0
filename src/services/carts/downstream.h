// carts' downstream services, one small client class each, so that
// resilience policies (issue 6) can wrap each call in one place. Every call
// has its own deadline; a transport fault or deadline comes back as an Error
// (kUnavailable / kTimeout), an HTTP answer as its status and body.
// Thread-safety: calls may be made concurrently from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "http/client.h"

namespace scalelab::carts {

// An HTTP status and body from a downstream.
struct Answer {
  unsigned status = 0;
  std::string body;
};

// The parts the three clients share: a base URL, a pooled client, a deadline.
class Downstream {
 public:
  // Fails with kInvalidInput on a malformed base URL.
  static Result<std::unique_ptr<Downstream>> open(boost::asio::any_io_executor executor, std::string_view base_url,
                                                  std::chrono::milliseconds timeout);
  boost::asio::awaitable<Result<Answer>> call(http::Method method, std::string path, std::string json_body = {});
  const std::string& base() const { return base_; }

 private:
  Downstream(boost::asio::any_io_executor executor, http::ClientOptions options, std::string base,
             std::chrono::milliseconds timeout);
  http::Client client_;
  std::string base_;  // path prefix from the URL, without a trailing '/'
  std::chrono::milliseconds timeout_;
};

class CatalogClient {
 public:
  explicit CatalogClient(std::unique_ptr<Downstream> d) : d_(std::move(d)) {}
  // GET /products/{id}: 200 with the Product JSON, 404, or another status.
  boost::asio::awaitable<Result<Answer>> get_product(std::int32_t product_id);

 private:
  std::unique_ptr<Downstream> d_;
};

class WarehouseClient {
 public:
  explicit WarehouseClient(std::unique_ptr<Downstream> d) : d_(std::move(d)) {}
  boost::asio::awaitable<Result<Answer>> reserve(std::int32_t product_id, std::int32_t quantity);
  boost::asio::awaitable<Result<Answer>> ship(std::int32_t product_id, std::int32_t quantity);
  boost::asio::awaitable<Result<Answer>> release(std::int32_t product_id, std::int32_t quantity);

 private:
  std::unique_ptr<Downstream> d_;
};

class PaymentsClient {
 public:
  explicit PaymentsClient(std::unique_ptr<Downstream> d) : d_(std::move(d)) {}
  boost::asio::awaitable<Result<Answer>> charge(const std::string& card_number, std::int32_t shopping_cart_id);

 private:
  std::unique_ptr<Downstream> d_;
};

}  // namespace scalelab::carts
