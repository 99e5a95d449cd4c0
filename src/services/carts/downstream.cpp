#include "services/carts/downstream.h"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "core/json_writer.h"

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

std::optional<resilience::BreakerState> Downstream::breaker_state() const {
  if (!policy_ || !policy_->breaker()) return std::nullopt;
  return policy_->breaker()->state();
}

void ProductCache::put(std::int32_t product_id, std::string json) {
  core::MutexLock lock(mu_);
  if (map_.size() >= capacity_ && !map_.contains(product_id)) {
    std::uint64_t cut = next_ - map_.size() / 2;  // forget the older half
    std::erase_if(map_, [cut](const auto& kv) { return kv.second.first < cut; });
  }
  map_[product_id] = {next_++, std::move(json)};
}

std::optional<std::string> ProductCache::get(std::int32_t product_id) const {
  core::MutexLock lock(mu_);
  auto it = map_.find(product_id);
  if (it == map_.end()) return std::nullopt;
  return it->second.second;
}

std::size_t ProductCache::size() const {
  core::MutexLock lock(mu_);
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

namespace {

StepOutcome fault(Error e) { return StepOutcome{StepKind::kFault, {}, std::move(e), {}}; }

StepOutcome rejected(Answer a) {
  // The downstream's own Error body is passed on; an empty one as {}.
  return StepOutcome{StepKind::kRejected, Rejection{a.status, a.body.empty() ? std::string("{}") : std::move(a.body)},
                     {}, {}};
}

StepOutcome unexpected(std::string_view who, unsigned status) {
  return fault(Error{ErrorKind::kUnavailable, fmt::format("{} answered {}", who, status)});
}

}  // namespace

boost::asio::awaitable<StepOutcome> WarehouseClient::post(std::string path, std::int32_t product_id,
                                                          std::int32_t quantity) {
  std::string body;
  JsonWriter(body).begin_object().field("product_id", product_id).field("quantity", quantity).end_object();
  auto r = co_await d_->call(http::Method::kPost, std::move(path), std::move(body));
  if (!r) co_return fault(r.error());
  if (r->status == 204) co_return StepOutcome{};
  if (r->status == 409 || r->status == 404) co_return rejected(std::move(*r));
  co_return unexpected("warehouse", r->status);
}

boost::asio::awaitable<StepOutcome> WarehouseClient::reserve(std::int32_t product_id, std::int32_t quantity) {
  co_return co_await post("/warehouse/reserve", product_id, quantity);
}

boost::asio::awaitable<StepOutcome> WarehouseClient::ship(std::int32_t product_id, std::int32_t quantity) {
  co_return co_await post("/warehouse/ship", product_id, quantity);
}

boost::asio::awaitable<StepOutcome> WarehouseClient::release(std::int32_t product_id, std::int32_t quantity) {
  co_return co_await post("/warehouse/release", product_id, quantity);
}

boost::asio::awaitable<StepOutcome> PaymentsClient::charge(std::string card_number, std::int32_t shopping_cart_id) {
  std::string body;
  JsonWriter(body)
      .begin_object()
      .field("credit_card_number", card_number)
      .field("shopping_cart_id", shopping_cart_id)
      .end_object();
  auto paid = co_await d_->call(http::Method::kPost, "/payments/checkout", std::move(body));
  if (!paid) co_return fault(paid.error());
  if (paid->status == 402 || paid->status == 400) co_return rejected(std::move(*paid));
  if (paid->status != 200) co_return unexpected("payments", paid->status);
  boost::system::error_code ec;
  auto v = boost::json::parse(paid->body, ec);
  const boost::json::value* id = !ec && v.is_object() ? v.get_object().if_contains("transaction_id") : nullptr;
  if (!id || !id->is_string())
    co_return fault(Error{ErrorKind::kProtocol, "payments answered 200 without a transaction_id"});
  co_return StepOutcome{StepKind::kDone, {}, {}, std::string(id->get_string())};
}

}  // namespace scalelab::carts
