#include "services/carts/downstream.h"

#include <fmt/format.h>

#include "core/json.h"

namespace scalelab::carts {

Result<std::unique_ptr<Downstream>> Downstream::open(boost::asio::any_io_executor executor, std::string_view base_url,
                                                     std::chrono::milliseconds timeout) {
  auto endpoint = http::parse_http_url(base_url);
  if (!endpoint) return endpoint.error();
  std::string base = endpoint->path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  http::ClientOptions options;
  options.host = endpoint->host;
  options.port = endpoint->port;
  options.connect_timeout = std::min(options.connect_timeout, timeout);
  return std::unique_ptr<Downstream>(new Downstream(std::move(executor), options, std::move(base), timeout));
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
