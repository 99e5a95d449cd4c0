#include "services/shop/shop_fixture.h"

#include <stdexcept>

#include <fmt/format.h>

namespace scalelab::testkit {

using namespace std::chrono_literals;

RunningShop::RunningShop(const std::string& store_url, std::int32_t products, std::int64_t stock) {
  shop::ShopOptions o;
  o.store_url = store_url;
  o.products = products;
  o.initial_stock = stock;
  auto backend = shop::ShopHost::create(shop::kCatalog | shop::kWarehouse | shop::kPayments, o);
  if (!backend) throw std::runtime_error(backend.error().message);
  backend_host_ = std::move(*backend);
  backend_ = std::make_unique<TestServer>([this](http::Router& r) { backend_host_->register_routes(r); });
  std::string url = fmt::format("http://127.0.0.1:{}", backend_->port());
  o.catalog_url = o.warehouse_url = o.payments_url = url;
  auto front = shop::ShopHost::create(shop::kCarts, o);
  if (!front) throw std::runtime_error(front.error().message);
  front_host_ = std::move(*front);
  front_ = std::make_unique<TestServer>([this](http::Router& r) { front_host_->register_routes(r); });
}

ShopClient::ShopClient(std::uint16_t port) {
  http::ClientOptions o;
  o.port = port;
  client_ = std::make_unique<http::BlockingClient>(o);
}

ShopReply ShopClient::get(const std::string& target) {
  auto r = client_->get(target, 10s);
  if (!r) return {0, r.error().message, {}};
  return {r->status, r->body, r->headers};
}

ShopReply ShopClient::post(const std::string& target, const std::string& body, const std::string& content_type) {
  http::ClientRequest req;
  req.method = http::Method::kPost;
  req.target = target;
  req.body = body;
  req.content_type = content_type;
  auto r = client_->send(std::move(req), 10s);
  if (!r) return {0, r.error().message, {}};
  return {r->status, r->body, r->headers};
}

}  // namespace scalelab::testkit
