#include "services/warehouse/warehouse.h"

#include <fmt/format.h>

#include "core/json_writer.h"

#include "services/common/validation.h"

namespace scalelab::warehouse {

namespace {

struct InventoryRequest {
  std::int32_t product_id = 0;
  std::int32_t quantity = 0;
};

InventoryRequest parse(const http::Request& req) {
  auto body = services::json_object_body(req);
  auto id = services::int32_field(body, "product_id", 1);
  if (!id) services::throw_invalid(id.error());
  auto quantity = services::int32_field(body, "quantity", 1);
  if (!quantity) services::throw_invalid(quantity.error());
  return {*id, *quantity};
}

std::string stock_key(std::int32_t id) { return fmt::format("stock/{}", id); }
std::string reserved_key(std::int32_t id) { return fmt::format("reserved/{}", id); }

http::Response not_found(std::int32_t id) {
  return http::Response::error(404, http::code::kNotFound, fmt::format("product {} not found", id));
}

}  // namespace

void register_routes(http::Router& router, store::Store& store, const ProductDirectory& products) {
  router.post("/warehouse/reserve", [&store, &products](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto r = parse(req);
    if (!products.exists(r.product_id)) co_return not_found(r.product_id);
    const std::int64_t initial = products.initial_stock(r.product_id);
    auto taken = co_await store.decrement_with_floor(stock_key(r.product_id), r.quantity, initial);
    if (!taken) services::throw_store_failure("warehouse", taken.error());
    if (!taken->applied)
      co_return http::Response::error(409, services::code::kInsufficientStock,
                                      fmt::format("product {}: {} requested, {} available", r.product_id,
                                                  r.quantity, taken->value));
    auto reserved = co_await store.increment(reserved_key(r.product_id), r.quantity);
    if (!reserved) {
      // Put the units back so a store fault loses no stock; best effort.
      (void)co_await store.increment(stock_key(r.product_id), r.quantity, initial);
      services::throw_store_failure("warehouse", reserved.error());
    }
    co_return http::Response::no_content();
  });

  router.post("/warehouse/ship", [&store, &products](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto r = parse(req);
    if (!products.exists(r.product_id)) co_return not_found(r.product_id);
    auto shipped = co_await store.decrement_with_floor(reserved_key(r.product_id), r.quantity);
    if (!shipped) services::throw_store_failure("warehouse", shipped.error());
    if (!shipped->applied)
      co_return http::Response::error(409, services::code::kNotReserved,
                                      fmt::format("product {}: {} to ship, {} reserved", r.product_id, r.quantity,
                                                  shipped->value));
    co_return http::Response::no_content();
  });

  router.post("/warehouse/release", [&store, &products](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto r = parse(req);
    if (!products.exists(r.product_id)) co_return not_found(r.product_id);
    auto released = co_await store.decrement_with_floor(reserved_key(r.product_id), r.quantity);
    if (!released) services::throw_store_failure("warehouse", released.error());
    if (!released->applied)
      co_return http::Response::error(409, services::code::kNotReserved,
                                      fmt::format("product {}: {} to release, {} reserved", r.product_id,
                                                  r.quantity, released->value));
    const std::int64_t initial = products.initial_stock(r.product_id);
    auto back = co_await store.increment(stock_key(r.product_id), r.quantity, initial);
    if (!back) services::throw_store_failure("warehouse", back.error());
    co_return http::Response::no_content();
  });

  router.get("/warehouse/stock/{productId}", [&store, &products](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto id = services::path_id(req.param("productId"), "productId");
    if (!id) services::throw_invalid(id.error());
    if (!products.exists(*id)) co_return not_found(*id);
    // Read-only: increment by 0 reads a counter with its default applied.
    const std::int64_t initial = products.initial_stock(*id);
    auto available = co_await store.increment(stock_key(*id), 0, initial);
    if (!available) services::throw_store_failure("warehouse", available.error());
    auto reserved = co_await store.increment(reserved_key(*id), 0);
    if (!reserved) services::throw_store_failure("warehouse", reserved.error());
    std::string out;
    JsonWriter(out)
        .begin_object()
        .field("product_id", *id)
        .field("available", *available)
        .field("reserved", *reserved)
        .end_object();
    co_return http::Response::json_text(200, std::move(out));
  });
}

}  // namespace scalelab::warehouse
