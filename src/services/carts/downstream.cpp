#include "services/carts/downstream.h"

#include <fmt/format.h>

#include "core/json.h"

namespace scalelab::carts {

resilience::PolicyOptions policy_options(std::string name, const ResilienceOptions& r,
                                         std::chrono::milliseconds timeout, std::size_t attempts) {
  resilience::PolicyOptions o;
  o.name = std::move(name);
  o.timeout = timeout;
  if (attempts > 1) o.per_try_timeout = r.per_try_timeout;
  o.retry.max_attempts = std::max<std::size_t>(attempts, 1);
  o.retry.base_delay = std::chrono::milliseconds(10);
  o.retry.max_delay = std::chrono::milliseconds(50);
  o.breaker = resilience::CircuitBreakerOptions{};
  o.breaker->name = o.name;
  o.breaker->consecutive_failures = r.breaker_failures;
  o.breaker->wait_in_open = r.breaker_wait;
  o.breaker->half_open_permits = r.breaker_successes;
  o.breaker->half_open_max_duration = std::max(timeout * 4, std::chrono::milliseconds(1'000));
  o.bulkhead.reset();  // carts' own concurrency is bounded by the server
  return o;
}

Result<std::unique_ptr<Downstream>> Downstream::open(boost::asio::any_io_executor executor, std::string_view base_url,
                                                     std::chrono::milliseconds timeout,
                                                     std::optional<resilience::PolicyOptions> policy,
                                                     obs::Registry* metrics) {
  auto endpoint = http::parse_http_url(base_url);
  if (!endpoint) return endpoint.error();
  std::string base = endpoint->path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  http::ClientOptions options;
  options.host = endpoint->host;
  options.port = endpoint->port;
  options.connect_timeout = std::min(options.connect_timeout, policy ? policy->timeout : timeout);
  std::unique_ptr<Downstream> d(new Downstream(std::move(executor), options, std::move(base), timeout));
  if (policy) d->policy_ = std::make_unique<resilience::Policy>(std::move(*policy), metrics);
  return d;
}

std::string Downstream::breaker_state() const {
  if (!policy_ || !policy_->breaker()) return "none";
  return resilience::to_string(policy_->breaker()->state());
}

void ProductCache::put(std::int32_t product_id, std::string json) {
  std::lock_guard lock(mu_);
  if (map_.size() >= capacity_ && !map_.contains(product_id)) {
    std::uint64_t cut = next_ - map_.size() / 2;  // forget the older half
    std::erase_if(map_, [cut](const auto& kv) { return kv.second.first < cut; });
  }
  map_[product_id] = {next_++, std::move(json)};
}

std::optional<std::string> ProductCache::get(std::int32_t product_id) const {
  std::lock_guard lock(mu_);
  auto it = map_.find(product_id);
  if (it == map_.end()) return std::nullopt;
  return it->second.second;
}

std::size_t ProductCache::size() const {
  std::lock_guard lock(mu_);
  return map_.size();
}

Downstream::Downstream(boost::asio::any_io_executor executor, http::ClientOptions options, std::string base,
                       std::chrono::milliseconds timeout)
    : client_(std::move(executor), std::move(options)), base_(std::move(base)), timeout_(timeout) {}

boost::asio::awaitable<Result<Answer>> Downstream::call(http::Method method, std::string path, std::string json_body) {
  http::ClientRequest req;
  req.method = method;
  req.target = base_ + path;
  if (!json_body.empty()) {
    req.body = std::move(json_body);
    req.content_type = "application/json";
  }
  if (policy_) {
    auto r = co_await policy_->send(client_, std::move(req));
    if (!r.result) co_return r.result.error();
    co_return Answer{r.result->status, std::move(r.result->body)};
  }
  auto res = co_await client_.send(std::move(req), timeout_);
  if (!res) co_return res.error();
  co_return Answer{res->status, std::move(res->body)};
}

boost::asio::awaitable<Result<Answer>> CatalogClient::get_product(std::int32_t product_id) {
  co_return co_await d_->call(http::Method::kGet, fmt::format("/products/{}", product_id));
}

boost::asio::awaitable<Result<Answer>> WarehouseClient::reserve(std::int32_t product_id, std::int32_t quantity) {
  co_return co_await d_->call(http::Method::kPost, "/warehouse/reserve",
                              fmt::format("{{\"product_id\":{},\"quantity\":{}}}", product_id, quantity));
}

boost::asio::awaitable<Result<Answer>> WarehouseClient::ship(std::int32_t product_id, std::int32_t quantity) {
  co_return co_await d_->call(http::Method::kPost, "/warehouse/ship",
                              fmt::format("{{\"product_id\":{},\"quantity\":{}}}", product_id, quantity));
}

boost::asio::awaitable<Result<Answer>> WarehouseClient::release(std::int32_t product_id, std::int32_t quantity) {
  co_return co_await d_->call(http::Method::kPost, "/warehouse/release",
                              fmt::format("{{\"product_id\":{},\"quantity\":{}}}", product_id, quantity));
}

boost::asio::awaitable<Result<Answer>> PaymentsClient::charge(const std::string& card_number,
                                                              std::int32_t shopping_cart_id) {
  std::string body = "{\"credit_card_number\":";
  append_json_string(body, card_number);
  body += fmt::format(",\"shopping_cart_id\":{}}}", shopping_cart_id);
  co_return co_await d_->call(http::Method::kPost, "/payments/checkout", std::move(body));
}

}  // namespace scalelab::carts
