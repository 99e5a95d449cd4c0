// carts' downstream services, one small client class each, so that
// resilience policies can wrap each call in one place. Every call has its own
// deadline; a transport fault or deadline comes back as an Error
// (kUnavailable / kTimeout), an HTTP answer as its status and body. The
// warehouse and payments clients implement checkout's Inventory and
// PaymentGateway, reading the contract's statuses into step outcomes.
// Thread-safety: calls may be made concurrently from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "core/thread_annotations.h"
#include "http/client.h"
#include "resilience/policy.h"
#include "services/carts/checkout.h"

namespace scalelab::carts {

// An HTTP status and body from a downstream.
struct Answer {
  unsigned status = 0;
  std::string body;
};

// How carts protects itself from its downstreams (the midterm).
// enabled = false is the course's vulnerable version: no deliberate timeout
// (a long client deadline, off_timeout), no retry, no breaker, no fallback.
// enabled = true: per downstream a resilience::Policy (deadline + retry with a
// budget + circuit breaker) and, for catalog, a cache of recently seen products.
struct ResilienceOptions {
  bool enabled = true;
  std::chrono::milliseconds catalog_timeout{200};   // on: end to end per catalog call, retries included
  std::chrono::milliseconds per_try_timeout{100};   // on: each catalog attempt
  std::size_t max_attempts = 2;                     // on: catalog attempts (GET is safe to retry)
  std::size_t breaker_failures = 3;                 // on: consecutive failures that open a breaker
  std::chrono::milliseconds breaker_wait{30'000};   // on: open -> half-open (the midterm: 30 s)
  std::size_t breaker_successes = 2;                // on: half-open trials that must succeed to close
  std::chrono::milliseconds off_timeout{30'000};    // off: catalog client deadline ("no timeout")
};

// The policy carts puts around one downstream when resilience is on.
resilience::PolicyOptions policy_options(std::string name, const ResilienceOptions& r,
                                         std::chrono::milliseconds timeout, std::size_t attempts);

// The parts the three clients share: a base URL, a pooled client, a deadline,
// and (resilience on) a Policy.
class Downstream {
 public:
  // Fails with kInvalidInput on a malformed base URL. With a policy, the
  // policy's timeout bounds each call; without, `timeout` does.
  static Result<std::unique_ptr<Downstream>> open(boost::asio::any_io_executor executor, std::string_view base_url,
                                                  std::chrono::milliseconds timeout,
                                                  std::optional<resilience::PolicyOptions> policy = std::nullopt,
                                                  obs::Registry* metrics = nullptr);
  // An answer (any status), or an Error: transport fault, timeout, or a call
  // the policy did not make (circuit open: kUnavailable).
  boost::asio::awaitable<Result<Answer>> call(http::Method method, std::string path, std::string json_body = {});
  const std::string& base() const { return base_; }
  // The breaker's state; nullopt without a policy/breaker (resilience off).
  std::optional<resilience::BreakerState> breaker_state() const;
  resilience::Policy* policy() { return policy_.get(); }

 private:
  Downstream(boost::asio::any_io_executor executor, http::ClientOptions options, std::string base,
             std::chrono::milliseconds timeout);
  http::Client client_;
  std::string base_;  // path prefix from the URL, without a trailing '/'
  std::chrono::milliseconds timeout_;
  std::unique_ptr<resilience::Policy> policy_;
};

// Recently seen products (catalog's JSON by id), the fallback when catalog
// cannot answer. Bounded: when full, the oldest half is forgotten.
// Thread-safe.
class ProductCache {
 public:
  explicit ProductCache(std::size_t capacity = 10'000) : capacity_(capacity) {}
  void put(std::int32_t product_id, std::string json);
  std::optional<std::string> get(std::int32_t product_id) const;
  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable core::Mutex mu_;
  std::uint64_t next_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::int32_t, std::pair<std::uint64_t, std::string>> map_ GUARDED_BY(mu_);  // id -> (age, json)
};

class CatalogClient {
 public:
  explicit CatalogClient(std::unique_ptr<Downstream> d) : d_(std::move(d)) {}
  // GET /products/{id}: 200 with the Product JSON, 404, or another status.
  boost::asio::awaitable<Result<Answer>> get_product(std::int32_t product_id);
  Downstream& downstream() { return *d_; }
  ProductCache& cache() { return cache_; }

 private:
  std::unique_ptr<Downstream> d_;
  ProductCache cache_;
};

// POST /warehouse/{reserve,ship,release}: 204 is done, 409 (not enough
// stock, nothing reserved) and 404 (unknown product) are refusals, anything
// else a fault.
class WarehouseClient final : public Inventory {
 public:
  explicit WarehouseClient(std::unique_ptr<Downstream> d) : d_(std::move(d)) {}
  boost::asio::awaitable<StepOutcome> reserve(std::int32_t product_id, std::int32_t quantity) override;
  boost::asio::awaitable<StepOutcome> ship(std::int32_t product_id, std::int32_t quantity) override;
  boost::asio::awaitable<StepOutcome> release(std::int32_t product_id, std::int32_t quantity) override;

 private:
  boost::asio::awaitable<StepOutcome> post(std::string path, std::int32_t product_id, std::int32_t quantity);
  std::unique_ptr<Downstream> d_;
};

// POST /payments/checkout: 200 with a transaction_id is done, 402 (declined)
// and 400 (malformed card) are refusals, anything else a fault.
class PaymentsClient final : public PaymentGateway {
 public:
  explicit PaymentsClient(std::unique_ptr<Downstream> d) : d_(std::move(d)) {}
  boost::asio::awaitable<StepOutcome> charge(std::string card_number, std::int32_t shopping_cart_id) override;

 private:
  std::unique_ptr<Downstream> d_;
};

}  // namespace scalelab::carts
