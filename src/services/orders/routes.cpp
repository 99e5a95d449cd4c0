#include "services/orders/routes.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/ids.h"
#include "core/json_writer.h"
#include "services/common/validation.h"
#include "services/orders/record.h"

namespace scalelab::orders {

namespace asio = boost::asio;

namespace {

// Order ids are random hex; anything longer than this is not one of ours.
constexpr std::size_t kMaxOrderIdLength = 64;

[[noreturn]] void throw_store(const Error& e) {
  if (e.kind == ErrorKind::kInternal || e.kind == ErrorKind::kInvalidInput)
    throw http::HttpError(500, http::code::kInternal, e.message);
  services::throw_store_failure("orders", e);
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

// The posted order, validated (400 naming the field) and stamped with a new
// id and the time.
Order validated(const http::Request& req) {
  auto body = req.json();  // 415 / 400 thrown
  auto order = order_from_request(body);
  if (!order) services::throw_invalid(order.error());
  assign_random_hex_id(order->order_id);
  order->created_at = now_rfc3339();
  return std::move(*order);
}

// {"order_id": ..., "status": ...}: the answer to an accepted POST /orders/async.
http::Response status_of(unsigned code, const Accepted& a) {
  std::string body;
  JsonWriter(body).begin_object().field("order_id", a.order_id).field("status", to_string(a.status)).end_object();
  return http::Response::json_text(code, std::move(body));
}

// The refusals both POSTs share.
http::Response refused(const Accepted& a) {
  switch (a.kind) {
    case Accepted::Kind::kNotCompleted:
    case Accepted::Kind::kKeyInProgress: return http::Response::error(409, http::code::kConflict, a.message);
    default: return unavailable(a.message, a.retry_after);
  }
}

}  // namespace

OrdersService::OrdersService(store::Store& store, mq::Broker* broker, ServiceOptions options)
    : store_(store), options_(options), payments_(options.payment), intake_(store, broker, payments_) {}

void OrdersService::register_routes(http::Router& router) {
  router.post("/orders/sync", [this](http::Request& r) { return post_sync(r); });
  router.post("/orders/async", [this](http::Request& r) { return post_async(r); });
  router.get("/orders/{id}", [this](http::Request& r) { return get_order(r); });
}

asio::awaitable<http::Response> OrdersService::post_sync(http::Request& req) {
  Order order = validated(req);
  std::string key = request_key(req);
  auto wait = options_.sync_wait;
  if (auto sent = http::deadline_ms(req); sent && sent->count() >= 0) wait = std::min(wait, *sent);
  auto a = co_await intake_.accept_sync(std::move(order), std::move(key), wait);
  if (!a) throw_store(a.error());
  switch (a->kind) {
    case Accepted::Kind::kCompleted:
    case Accepted::Kind::kReplayed: co_return http::Response::json_text(200, std::move(a->record));
    default: co_return refused(*a);
  }
}

asio::awaitable<http::Response> OrdersService::post_async(http::Request& req) {
  Order order = validated(req);
  std::string key = request_key(req);
  auto a = co_await intake_.accept_async(std::move(order), std::move(key));
  if (!a) throw_store(a.error());
  switch (a->kind) {
    case Accepted::Kind::kQueued:
    case Accepted::Kind::kReplayed: co_return status_of(202, *a);
    default: co_return refused(*a);
  }
}

asio::awaitable<http::Response> OrdersService::get_order(http::Request& req) {
  std::string_view id = req.param("id");
  if (id.empty() || id.size() > kMaxOrderIdLength)
    co_return http::Response::error(400, http::code::kInvalidInput, "order id must be 1-64 characters");
  auto record = co_await store_.get(order_key(id));
  if (!record) services::throw_store_failure("orders", record.error());
  if (!*record) co_return http::Response::error(404, http::code::kNotFound, "order not found");
  // A refused order (503) is kept only as a marker for its late message.
  if (auto order = decode_order(**record); order && order->status == OrderStatus::kRejected)
    co_return http::Response::error(404, http::code::kNotFound, "order not found");
  co_return http::Response::json_text(200, std::move(**record));
}

}  // namespace scalelab::orders
