#include "lab/hw7/orders_host.h"

#include <chrono>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "lab/loopback.h"

namespace scalelab::lab::hw7_detail {

namespace {

namespace json = boost::json;
namespace asio = boost::asio;
using namespace std::chrono_literals;

http::ServerOptions server_options() {
  // A sync order may wait a whole (unscaled) payment queue: generous bounds.
  auto so = loopback_server_options(60s, 2s);
  so.idle_timeout = 600s;
  return so;
}

load::Template tpl(std::string_view text) { return load::Template::compile(text).value(); }

}  // namespace

OrdersHost::OrdersHost(store::Store& store, mq::Broker* broker, orders::ServiceOptions options)
    : service_(store, broker, options) {
  http::Router inner;
  service_.register_routes(inner);
  for (const auto& route : inner.routes()) {
    if (route.method == http::Method::kPost && route.pattern == "/orders/async") {
      http::Handler handler = route.handler;
      router_.add(route.method, route.pattern, [this, handler](http::Request& req) -> asio::awaitable<http::Response> {
        auto call = handler(req);
        http::Response response = co_await std::move(call);
        if (response.status == 202) record(response.body);
        co_return response;
      });
    } else {
      router_.add(route.method, route.pattern, route.handler);
    }
  }
  server_.emplace(server_options(), router_, registry_);
  server_->start();
}

void OrdersHost::stop() {
  if (server_) server_->stop();
}

std::string OrdersHost::url() const { return fmt::format("http://127.0.0.1:{}", server_->port()); }

std::vector<std::string> OrdersHost::ids() const {
  core::MutexLock lock(mu_);
  return ids_;
}

void OrdersHost::record(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  std::string id;
  if (!ec && v.is_object())
    if (auto* p = v.as_object().if_contains("order_id"); p && p->is_string()) id = p->get_string();
  core::MutexLock lock(mu_);
  ids_.push_back(std::move(id));
  accepted_.fetch_add(1);
}

load::TaskSpec order_task(const std::string& path, unsigned expect) {
  load::RequestSpec post{
      .name = "POST " + path,
      .method = http::Method::kPost,
      .path = tpl(path),
      .body = tpl(R"({"customer_id":{{randint 1 100000}},"items":[{"product_id":{{randint 1 1000}},)"
                  R"("quantity":{{randint 1 3}},"price":19.99}]})"),
      .content_type = "application/json",
      .expect = {expect}};
  return {.name = "order", .weight = 1, .requests = {post}};
}

}  // namespace scalelab::lab::hw7_detail
