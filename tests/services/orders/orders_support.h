// Helpers for the orders tests: HTTP calls to a TestServer and bounded waits.
#pragma once

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "core/run_blocking.h"
#include "http/client.h"
#include "mq/broker.h"
#include "services/orders/orders.h"
#include "store/store.h"
#include "support/eventually.h"
#include "support/test_server.h"

namespace scalelab::orders::testing {

inline const std::string kGoodOrder =
    R"({"customer_id":42,"items":[{"product_id":1,"quantity":2,"price":9.99},{"product_id":7,"quantity":1,"price":100}]})";

// An order as the store holds it (status and items as given).
inline std::string stored_order(const std::string& id, const std::string& status, const std::string& items) {
  return R"({"order_id":")" + id + R"(","customer_id":1,"status":")" + status + R"(","items":)" + items +
         R"(,"created_at":"2026-01-01T00:00:00Z"})";
}
// The message the service publishes for an order.
inline std::string order_message(const std::string& id) { return R"({"order_id":")" + id + R"("})"; }

inline Result<http::ClientResponse> post(http::BlockingClient& client, const std::string& target, const std::string& body,
                                         const std::string& key = "",
                                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  http::ClientRequest r;
  r.method = http::Method::kPost;
  r.target = target;
  r.body = body;
  r.content_type = "application/json";
  if (!key.empty()) r.headers.emplace_back("Idempotency-Key", key);
  return client.send(std::move(r), timeout);
}

inline std::string field(const std::string& body, const char* name) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  auto* f = v.as_object().if_contains(name);
  return f && f->is_string() ? std::string(f->get_string()) : "";
}

// The ids among ids whose stored order has this status.
inline std::vector<std::string> with_status(store::Store& store, const std::vector<std::string>& ids,
                                            const std::string& status) {
  std::vector<std::string> out;
  for (const auto& id : ids) {
    auto record = run_blocking(store.get(order_key(id)));
    if (!record) {
      ADD_FAILURE() << record.error().message;
      return out;
    }
    if (!*record) continue;
    auto order = decode_order(**record);
    if (order && to_string(order->status) == status) out.push_back(id);
  }
  return out;
}

using namespace std::chrono_literals;

// A service over the in-process store and broker (the topology declared with
// 3 deliveries), on a TestServer, with a client.
struct Fixture {
  explicit Fixture(ServiceOptions options = {.payment = {.slots = 1, .delay = 5ms}, .sync_wait = 5s},
                   mq::Broker* broker_override = nullptr) {
    auto s = store::open_store("memory://");
    store = std::move(*s);
    auto b = mq::open_broker("memory://");
    broker = std::move(*b);
    EXPECT_TRUE(declare_topology(*broker, 3));
    service = std::make_unique<OrdersService>(*store, broker_override ? broker_override : broker.get(), options);
    server = std::make_unique<testkit::TestServer>([this](http::Router& r) { service->register_routes(r); });
    client = std::make_unique<http::BlockingClient>(http::ClientOptions{.port = server->port()});
  }
  std::unique_ptr<store::Store> store;
  std::unique_ptr<mq::Broker> broker;
  std::unique_ptr<OrdersService> service;
  std::unique_ptr<testkit::TestServer> server;
  std::unique_ptr<http::BlockingClient> client;
};

// Stores an order record as given (status and items).
inline Status store_order(store::Store& store, const std::string& id, const std::string& status,
                          const std::string& items) {
  return run_blocking(store.put(order_key(id), stored_order(id, status, items)));
}

// Polls the counting check until no accepted order is unfinished (bounded).
inline Audit wait_for_all_finished(store::Store& store, const std::vector<std::string>& ids,
                                   std::chrono::milliseconds timeout) {
  Audit a;
  (void)testkit::eventually([&] {
    auto r = run_blocking(audit(store, ids));
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return true;
    }
    a = *r;
    return a.unfinished == 0;
  }, timeout);
  return a;
}

}  // namespace scalelab::orders::testing
