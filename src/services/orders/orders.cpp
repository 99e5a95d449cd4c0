#include "services/orders/orders.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "core/run_blocking.h"
#include "services/common/validation.h"

namespace scalelab::orders {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

Error invalid(std::string message) { return Error{ErrorKind::kInvalidInput, std::move(message)}; }

std::string now_rfc3339() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

Result<std::int32_t> int_in(const json::object& o, std::string_view name, std::string_view label, std::int64_t min,
                            std::int64_t max) {
  auto it = o.find(name);
  if (it == o.end()) return invalid(fmt::format("field '{}' is required", label));
  const auto& v = it->value();
  std::int64_t n = 0;
  if (v.is_int64()) n = v.get_int64();
  else if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(max)) n = static_cast<std::int64_t>(v.get_uint64());
  else if (v.is_uint64()) n = max + 1;
  else return invalid(fmt::format("field '{}' must be an integer", label));
  if (n < min || n > max) return invalid(fmt::format("field '{}' must be in [{}, {}]", label, min, max));
  return static_cast<std::int32_t>(n);
}

Result<Order> order_fields(const json::value& body) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  const auto& o = body.get_object();
  Order order;
  auto customer = int_in(o, "customer_id", "customer_id", 1, services::kInt32Max);
  if (!customer) return customer.error();
  order.customer_id = *customer;
  auto items = o.find("items");
  if (items == o.end()) return invalid("field 'items' is required");
  if (!items->value().is_array()) return invalid("field 'items' must be an array");
  const auto& array = items->value().get_array();
  if (array.empty()) return invalid("field 'items' must not be empty");
  if (array.size() > kMaxItems) return invalid(fmt::format("field 'items' must have at most {} entries", kMaxItems));
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string at = fmt::format("items[{}]", i);
    if (!array[i].is_object()) return invalid(fmt::format("field '{}' must be an object", at));
    const auto& io = array[i].get_object();
    Item item;
    auto product = int_in(io, "product_id", at + ".product_id", 1, services::kInt32Max);
    if (!product) return product.error();
    auto quantity = int_in(io, "quantity", at + ".quantity", 1, kMaxQuantity);
    if (!quantity) return quantity.error();
    auto price = io.find("price");
    if (price == io.end()) return invalid(fmt::format("field '{}.price' is required", at));
    if (!price->value().is_number()) return invalid(fmt::format("field '{}.price' must be a number", at));
    double p = price->value().to_number<double>();
    if (!std::isfinite(p) || p < 0 || p > kMaxPrice)
      return invalid(fmt::format("field '{}.price' must be in [0, {}]", at, kMaxPrice));
    item.product_id = *product;
    item.quantity = *quantity;
    item.price = p;
    order.items.push_back(item);
  }
  return order;
}

}  // namespace

Result<Order> order_from_request(const json::value& body) { return order_fields(body); }

json::value order_to_value(const Order& order) {
  json::array items;
  for (const auto& i : order.items)
    items.push_back(json::object{{"product_id", i.product_id}, {"quantity", i.quantity}, {"price", i.price}});
  json::object o{{"order_id", order.order_id},
                 {"customer_id", order.customer_id},
                 {"status", order.status},
                 {"items", std::move(items)},
                 {"created_at", order.created_at}};
  if (!order.reason.empty()) o["reason"] = order.reason;
  return o;
}

std::string order_to_json(const Order& order) { return json::serialize(order_to_value(order)); }

Result<Order> order_from_json(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) return invalid("stored order is not JSON");
  auto order = order_fields(v);
  if (!order) return order.error();
  const auto& o = v.get_object();
  auto str = [&](std::string_view name) -> std::string {
    auto it = o.find(name);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
  };
  order->order_id = str("order_id");
  order->status = str("status");
  order->created_at = str("created_at");
  order->reason = str("reason");
  if (order->order_id.empty()) return invalid("stored order has no order_id");
  if (order->status != "pending" && order->status != "processing" && order->status != "completed" &&
      order->status != "failed" && order->status != "rejected")
    return invalid(fmt::format("stored order has an unknown status '{}'", order->status));
  return order;
}

std::string order_key(std::string_view id) { return fmt::format("order/{}", id); }
std::string charge_key(std::string_view id) { return fmt::format("order-charge/{}", id); }
std::string idempotency_key(std::string_view key) { return fmt::format("order-idem/{}", key); }

// ---- PaymentProcessor ----

struct PaymentProcessor::Waiter {
  explicit Waiter(asio::any_io_executor ex) : channel(ex, 1) {}
  asio::experimental::concurrent_channel<void(boost::system::error_code)> channel;
  bool granted = false;  // guarded by mu_
};

PaymentProcessor::PaymentProcessor(Options options) : options_(options), free_(std::max(1, options.slots)) {
  options_.slots = free_;
}

PaymentProcessor::~PaymentProcessor() = default;

int PaymentProcessor::busy() const {
  std::lock_guard lock(mu_);
  return options_.slots - free_;
}
int PaymentProcessor::waiting() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(waiters_.size());
}
std::uint64_t PaymentProcessor::verifications() const {
  std::lock_guard lock(mu_);
  return done_;
}

void PaymentProcessor::release() {
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mu_);
    ++done_;
    if (waiters_.empty()) {
      ++free_;
      return;
    }
    next = waiters_.front();
    waiters_.pop_front();
    next->granted = true;  // the slot passes straight to it
  }
  next->channel.try_send(boost::system::error_code{});
}

asio::awaitable<Status> PaymentProcessor::verify(std::chrono::steady_clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  auto ex = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mu_);
    if (free_ > 0) {
      --free_;
    } else {
      waiter = std::make_shared<Waiter>(ex);
      waiters_.push_back(waiter);
    }
  }
  if (waiter) {
    asio::steady_timer timer(ex, deadline);
    boost::system::error_code ec1, ec2;
    co_await (waiter->channel.async_receive(asio::redirect_error(asio::use_awaitable, ec1)) ||
              timer.async_wait(asio::redirect_error(asio::use_awaitable, ec2)));
    std::lock_guard lock(mu_);
    if (!waiter->granted) {  // timed out, still queued: leave the queue
      std::erase(waiters_, waiter);
      co_return Error{ErrorKind::kTimeout, "no payment slot free before the deadline"};
    }
  }
  // Holding a slot: the verification takes exactly `delay`.
  struct Release {
    PaymentProcessor* p;
    ~Release() { p->release(); }
  } release{this};
  if (options_.delay.count() > 0) {
    asio::steady_timer hold(ex, options_.delay);
    boost::system::error_code ec;
    co_await hold.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return Status{};
}

asio::awaitable<Result<bool>> record_charge(store::Store& store, const Order& order) {
  double amount = 0;
  for (const auto& i : order.items) amount += i.price * i.quantity;
  std::string txn;
  assign_random_hex_id(txn);
  std::string record = json::serialize(json::object{{"order_id", order.order_id},
                                                    {"amount", amount},
                                                    {"transaction_id", "txn-" + txn},
                                                    {"charged_at", now_rfc3339()}});
  auto stored = co_await store.put_if_absent(charge_key(order.order_id), std::move(record));
  if (!stored) co_return stored.error();
  co_return *stored;
}

mq::Topology topology(int max_deliveries) {
  mq::Topology t;
  t.exchanges.push_back({std::string(kExchange), mq::ExchangeType::kFanout});
  t.exchanges.push_back({std::string(kDeadExchange), mq::ExchangeType::kFanout});
  t.queues.push_back({.name = std::string(kQueue),
                      .dead_letter_exchange = std::string(kDeadExchange),
                      .max_deliveries = std::max(1, max_deliveries)});
  t.queues.push_back({.name = std::string(kDeadQueue)});
  t.bindings.push_back({std::string(kQueue), std::string(kExchange), ""});
  t.bindings.push_back({std::string(kDeadQueue), std::string(kDeadExchange), ""});
  return t;
}

Status declare_topology(mq::Broker& broker, int max_deliveries) { return broker.declare(topology(max_deliveries)); }

// ---- the HTTP service ----

namespace {

[[noreturn]] void throw_store(const Error& e) { services::throw_store_failure("orders", e); }

std::string retry_after_seconds(const PaymentProcessor& p) {
  double per = std::chrono::duration<double>(p.options().delay).count();
  double queued = static_cast<double>(p.waiting()) / p.options().slots + 1;
  return std::to_string(std::max<long>(1, static_cast<long>(std::ceil(per * queued))));
}

http::Response unavailable(std::string_view message, std::string retry_after) {
  auto r = http::Response::error(503, http::code::kUnavailable, message);
  r.headers.emplace_back("Retry-After", std::move(retry_after));
  return r;
}

// The Idempotency-Key header: empty when absent; 400 when too long or not
// printable ASCII.
std::string request_key(const http::Request& req) {
  std::string key(req.header("Idempotency-Key"));
  if (key.size() > kMaxIdempotencyKey)
    throw http::HttpError(400, http::code::kInvalidInput,
                          fmt::format("header 'Idempotency-Key' must be at most {} characters", kMaxIdempotencyKey));
  for (char c : key)
    if (c < 0x21 || c > 0x7e)
      throw http::HttpError(400, http::code::kInvalidInput, "header 'Idempotency-Key' must be printable ASCII");
  return key;
}

Order validated(const http::Request& req) {
  auto body = req.json();  // 415 / 400 thrown
  auto order = order_from_request(body);
  if (!order) services::throw_invalid(order.error());
  assign_random_hex_id(order->order_id);
  order->created_at = now_rfc3339();
  return std::move(*order);
}

}  // namespace

OrdersService::OrdersService(store::Store& store, mq::Broker* broker, ServiceOptions options)
    : store_(store), broker_(broker), options_(options), payments_(options.payment) {}

void OrdersService::register_routes(http::Router& router) {
  router.post("/orders/sync", [this](http::Request& r) { return post_sync(r); });
  router.post("/orders/async", [this](http::Request& r) { return post_async(r); });
  router.get("/orders/{id}", [this](http::Request& r) { return get_order(r); });
}

// Claims an Idempotency-Key for order_id. nullopt: claimed (go on); else the
// answer for a retry (the original order, or 409 while it is in flight).
static asio::awaitable<std::optional<std::string>> claim_key(store::Store& store, const std::string& key,
                                                             const std::string& order_id) {
  if (key.empty()) co_return std::nullopt;
  auto won = co_await store.put_if_absent(idempotency_key(key), order_id);
  if (!won) throw_store(won.error());
  if (*won) co_return std::nullopt;
  auto original = co_await store.get(idempotency_key(key));
  if (!original) throw_store(original.error());
  if (*original) {
    auto record = co_await store.get(order_key(**original));
    if (!record) throw_store(record.error());
    if (*record) co_return std::move(**record);
  }
  throw http::HttpError(409, http::code::kConflict,
                        "a request with this Idempotency-Key is still in progress; retry later");
}

asio::awaitable<http::Response> OrdersService::post_sync(http::Request& req) {
  Order order = validated(req);
  std::string key = request_key(req);
  if (auto earlier = co_await claim_key(store_, key, order.order_id)) {
    auto original = order_from_json(*earlier);
    if (original && original->status != "completed")
      co_return http::Response::error(409, http::code::kConflict,
                                      "the original request with this Idempotency-Key has not completed");
    co_return http::Response::json_text(200, std::move(*earlier));
  }
  auto forget_key = [&]() -> asio::awaitable<void> {
    if (!key.empty()) (void)co_await store_.erase(idempotency_key(key));
  };
  auto wait = options_.sync_wait;
  if (auto header = req.header(http::kDeadlineHeader); !header.empty()) {
    long long ms = 0;
    auto [p, ec] = std::from_chars(header.data(), header.data() + header.size(), ms);
    if (ec == std::errc() && p == header.data() + header.size() && ms >= 0)
      wait = std::min(wait, std::chrono::milliseconds(ms));
  }
  auto verified = co_await payments_.verify(std::chrono::steady_clock::now() + wait);
  if (!verified) {
    co_await forget_key();
    co_return unavailable("payment processor busy: no slot free before the deadline; retry later",
                          retry_after_seconds(payments_));
  }
  auto charged = co_await record_charge(store_, order);
  if (!charged) {
    co_await forget_key();
    throw_store(charged.error());
  }
  order.status = "completed";
  std::string text = order_to_json(order);
  auto stored = co_await store_.put(order_key(order.order_id), text);
  if (!stored) throw_store(stored.error());
  co_return http::Response::json_text(200, std::move(text));
}

asio::awaitable<http::Response> OrdersService::post_async(http::Request& req) {
  Order order = validated(req);
  std::string key = request_key(req);
  if (auto earlier = co_await claim_key(store_, key, order.order_id)) {
    auto original = order_from_json(*earlier);
    if (!original) throw http::HttpError(500, http::code::kInternal, original.error().message);
    if (original->status == "rejected")  // refused a moment ago; its key is being released
      co_return unavailable("the original request with this Idempotency-Key was refused; retry", "1");
    co_return http::Response::json(
        202, json::object{{"order_id", original->order_id}, {"status", original->status}});
  }
  auto undo = [&]() -> asio::awaitable<void> {
    (void)co_await store_.erase(order_key(order.order_id));
    if (!key.empty()) (void)co_await store_.erase(idempotency_key(key));
  };
  if (!broker_) {
    co_await undo();
    co_return unavailable("no message broker configured", "1");
  }
  order.status = "pending";
  const std::string pending = order_to_json(order);
  auto stored = co_await store_.put(order_key(order.order_id), pending);
  if (!stored) {
    co_await undo();
    throw_store(stored.error());
  }
  mq::Message message{.routing_key = "order",
                      .body = json::serialize(json::object{{"order_id", order.order_id}}),
                      .headers = {{"order_id", order.order_id}},
                      .persistent = true};
  auto confirmed = co_await mq::publish(*broker_, std::string(kExchange), std::move(message));
  if (!confirmed) {
    spdlog::warn("orders: publish of {} not confirmed: {}", order.order_id, confirmed.error().message);
    auto taken = co_await refuse(order, pending, key);
    if (taken)  // the message did reach the queue and a worker has the order
      co_return http::Response::json(202, json::object{{"order_id", order.order_id}, {"status", *taken}});
    co_return unavailable("the order could not be queued (not confirmed by the broker); retry", "1");
  }
  co_return http::Response::json(202, json::object{{"order_id", order.order_id}, {"status", "pending"}});
}

// A publish without a confirm may still have reached the queue (the confirm
// was lost with the connection). Marking the order rejected, compared
// against exactly the pending record this request wrote, settles which side
// won: a worker that gets the message later finds `rejected` and acks it
// without a charge; if a worker had already moved the order on (processing,
// completed, failed), the message did arrive and the order is accepted
// after all (its status is returned). Only a refused order's idempotency key
// is released.
asio::awaitable<std::optional<std::string>> OrdersService::refuse(Order order, std::string pending, std::string key) {
  const std::string record_key = order_key(order.order_id);
  order.status = "rejected";
  order.reason = "the broker did not confirm the publish; the client was answered 503";
  std::string rejected = order_to_json(order);
  auto marked = co_await store_.compare_and_set(record_key, pending, std::move(rejected));
  if (marked && !*marked) {
    auto now = co_await store_.get(record_key);
    if (now && *now) {
      auto current = order_from_json(**now);
      if (current && current->status != "pending" && current->status != "rejected") co_return current->status;
    }
  } else if (!marked) {
    // The store is failing too: erase what we can (a worker that then finds
    // no order requeues the message until it is dead-lettered).
    spdlog::error("orders: could not mark {} rejected: {}", order.order_id, marked.error().message);
    (void)co_await store_.erase(record_key);
  }
  if (!key.empty()) {
    const std::string idem = idempotency_key(key);
    (void)co_await store_.erase(idem);
  }
  co_return std::nullopt;
}

asio::awaitable<http::Response> OrdersService::get_order(http::Request& req) {
  std::string_view id = req.param("id");
  if (id.empty() || id.size() > 64)
    co_return http::Response::error(400, http::code::kInvalidInput, "order id must be 1-64 characters");
  auto record = co_await store_.get(order_key(id));
  if (!record) throw_store(record.error());
  if (!*record) co_return http::Response::error(404, http::code::kNotFound, "order not found");
  // A refused order (503) is kept only as a marker for its late message.
  if (auto order = order_from_json(**record); order && order->status == "rejected")
    co_return http::Response::error(404, http::code::kNotFound, "order not found");
  co_return http::Response::json_text(200, std::move(**record));
}

// ---- the worker ----

OrderWorker::OrderWorker(store::Store& store, WorkerOptions options)
    : store_(store),
      options_(options),
      payments_({.slots = options.payment.slots > 0 ? options.payment.slots : std::max(1, options.workers),
                 .delay = options.payment.delay}) {}

Result<std::unique_ptr<OrderWorker>> OrderWorker::start(mq::Broker& broker, store::Store& store,
                                                        WorkerOptions options) {
  options.workers = std::max(1, options.workers);
  if (auto s = declare_topology(broker, options.max_deliveries); !s) return s.error();
  std::unique_ptr<OrderWorker> w(new OrderWorker(store, options));
  mq::SubscribeOptions so;
  so.concurrency = options.workers;
  so.prefetch = static_cast<std::uint16_t>(
      std::max<int>(options.workers, options.prefetch > 0 ? options.prefetch : options.workers));
  auto* self = w.get();
  auto sub = broker.subscribe(std::string(kQueue), so, [self](const mq::Delivery& d) { return self->handle(d); });
  if (!sub) return sub.error();
  w->subscription_ = std::move(*sub);
  return w;
}

OrderWorker::~OrderWorker() { close(); }

void OrderWorker::close() {
  if (subscription_) subscription_->close();
}
void OrderWorker::abandon() {
  if (subscription_) subscription_->abandon();
}

WorkerStats OrderWorker::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::optional<std::string> order_id_of_message(const mq::Delivery& delivery, std::string_view who) {
  boost::system::error_code ec;
  auto v = json::parse(delivery.body, ec);
  const json::value* id = !ec && v.is_object() ? v.get_object().if_contains("order_id") : nullptr;
  if (!id || !id->is_string()) {
    spdlog::error("{}: dead-lettering a malformed message ({} bytes)", who, delivery.body.size());
    return std::nullopt;
  }
  return std::string(id->get_string());
}

mq::Outcome OrderWorker::handle(const mq::Delivery& delivery) {
  auto id = order_id_of_message(delivery, "order-worker");
  if (!id) {
    std::lock_guard lock(mu_);
    ++stats_.dead;
    return mq::Outcome::kReject;
  }
  auto done = process_order_blocking(store_, payments_, *id);
  if (done) {
    std::lock_guard lock(mu_);
    count_processed(stats_, *done);
    return mq::Outcome::kAck;
  }
  bool last = options_.max_deliveries > 0 &&
              delivery.delivery_count >= static_cast<std::uint32_t>(options_.max_deliveries);
  spdlog::warn("order-worker: order {} failed (delivery {}): {}", *id, delivery.delivery_count, done.error().message);
  if (!last) {
    std::lock_guard lock(mu_);
    ++stats_.requeued;
    return mq::Outcome::kRequeue;
  }
  mark_order_failed_blocking(store_, *id,
                             fmt::format("{} (after {} deliveries)", done.error().message, delivery.delivery_count),
                             "order-worker");
  std::lock_guard lock(mu_);
  ++stats_.dead;
  return mq::Outcome::kReject;
}

asio::awaitable<bool> mark_order_failed(store::Store& store, std::string id, std::string reason) {
  auto record = co_await store.get(order_key(id));
  if (!record || !*record) co_return false;
  boost::system::error_code ec;
  auto v = json::parse(**record, ec);
  if (ec || !v.is_object()) {
    v = json::object{{"order_id", id}, {"raw", **record}};
  }
  auto& o = v.as_object();
  if (o.contains("status") && (o["status"] == "completed" || o["status"] == "rejected")) co_return false;
  o["status"] = "failed";
  o["reason"] = reason;
  auto put = co_await store.put(order_key(id), json::serialize(v));
  co_return static_cast<bool>(put);
}

Result<Processed> process_order_blocking(store::Store& store, PaymentProcessor& payments, const std::string& id) {
  try {
    return run_blocking(process_order(store, payments, id));
  } catch (const std::exception& e) {
    return Error{ErrorKind::kInternal, e.what()};
  }
}

void mark_order_failed_blocking(store::Store& store, const std::string& id, const std::string& reason,
                                std::string_view who) {
  bool marked = false;
  try {
    marked = run_blocking(mark_order_failed(store, id, reason));
  } catch (const std::exception& e) {
    spdlog::error("{}: could not record the failure of {}: {}", who, id, e.what());
    return;
  }
  if (!marked) spdlog::warn("{}: the failure of {} was not recorded (order missing, completed, or store down)", who, id);
}

asio::awaitable<Result<Processed>> process_order(store::Store& store, PaymentProcessor& payments, std::string id) {
  Processed result;
  auto record = co_await store.get(order_key(id));
  if (!record) co_return record.error();
  if (!*record) co_return Error{ErrorKind::kNotFound, fmt::format("order {} is not in the store", id)};
  auto order = order_from_json(**record);
  if (!order) co_return Error{ErrorKind::kInvalidInput, "invalid order: " + order.error().message};
  if (order->status == "completed" || order->status == "failed") {  // a redelivery of a finished order
    result.duplicate = true;
    co_return result;
  }
  if (order->status == "rejected") {  // its publish was not confirmed, the client got 503: never charge it
    result.refused = true;
    co_return result;
  }
  if (order->status == "pending") {
    order->status = "processing";
    std::string processing = order_to_json(*order);
    auto moved = co_await store.compare_and_set(order_key(id), **record, processing);
    if (!moved) co_return moved.error();
    if (!*moved) co_return Error{ErrorKind::kConflict, "the order changed while being processed"};
    *record = std::move(processing);
  }
  auto charge = co_await store.get(charge_key(id));
  if (!charge) co_return charge.error();
  if (!*charge) {  // not charged yet: verify, then charge once
    auto verified = co_await payments.verify(std::chrono::steady_clock::now() + std::chrono::hours(1));
    if (!verified) co_return verified.error();
    auto charged = co_await record_charge(store, *order);
    if (!charged) co_return charged.error();
    result.charged = *charged;
  }
  order->status = "completed";
  std::string completed = order_to_json(*order);
  auto done = co_await store.compare_and_set(order_key(id), **record, completed);
  if (!done) co_return done.error();
  if (!*done) co_return Error{ErrorKind::kConflict, "the order changed while being processed"};
  co_return result;
}

// ---- the counting check ----

bool Audit::ok() const {
  return accepted == completed + failed && failed_without_reason == 0 && unfinished == 0 && rejected == 0 &&
         charges == completed && charged_not_completed == 0 && duplicates == 0 && refused_in_system == 0;
}

std::string Audit::describe() const {
  return fmt::format(
      "accepted {} = completed {} + failed {} (without reason {}, unfinished {}, marked rejected {}); charges {} (on "
      "orders not completed {}); duplicate ids {}; refused {} (still in the system {}) -> {}",
      accepted, completed, failed, failed_without_reason, unfinished, rejected, charges, charged_not_completed,
      duplicates, refused, refused_in_system, ok() ? "OK" : "MISMATCH");
}

namespace {

std::string stored_status(const std::string& record, std::string* reason = nullptr) {
  boost::system::error_code ec;
  auto v = json::parse(record, ec);
  std::string status;
  if (!ec && v.is_object()) {
    if (auto* s = v.as_object().if_contains("status"); s && s->is_string()) status = s->get_string();
    if (auto* r = v.as_object().if_contains("reason"); reason && r && r->is_string()) *reason = r->get_string();
  }
  return status;
}

}  // namespace

asio::awaitable<Result<Audit>> audit(store::Store& store, std::vector<std::string> accepted_ids) {
  std::vector<std::string> none;
  co_return co_await audit(store, std::move(accepted_ids), std::move(none));
}

asio::awaitable<Result<Audit>> audit(store::Store& store, std::vector<std::string> accepted_ids,
                                     std::vector<std::string> refused_ids) {
  Audit a;
  std::set<std::string> seen;
  for (const auto& id : accepted_ids) {
    ++a.accepted;
    if (!seen.insert(id).second) {
      ++a.duplicates;
      continue;
    }
    auto record = co_await store.get(order_key(id));
    if (!record) co_return record.error();
    auto charge = co_await store.get(charge_key(id));
    if (!charge) co_return charge.error();
    bool completed = false;
    if (!*record) {
      ++a.unfinished;
    } else {
      std::string reason;
      std::string status = stored_status(**record, &reason);
      if (status == "completed") {
        ++a.completed;
        completed = true;
      } else if (status == "failed") {
        reason.empty() ? ++a.failed_without_reason : ++a.failed;
      } else if (status == "rejected") {
        ++a.rejected;
      } else {
        ++a.unfinished;
      }
    }
    if (*charge) {
      ++a.charges;
      if (!completed) ++a.charged_not_completed;
    }
  }
  for (const auto& id : refused_ids) {
    ++a.refused;
    auto record = co_await store.get(order_key(id));
    if (!record) co_return record.error();
    auto charge = co_await store.get(charge_key(id));
    if (!charge) co_return charge.error();
    if ((*record && stored_status(**record) != "rejected") || *charge) ++a.refused_in_system;
  }
  co_return a;
}

}  // namespace scalelab::orders
