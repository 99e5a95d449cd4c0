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
#include "services/orders/orders.h"

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

// Polls the counting check until no accepted order is unfinished (bounded).
inline Audit wait_for_all_finished(store::Store& store, const std::vector<std::string>& ids,
                                   std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Audit a;
  while (true) {
    auto r = run_blocking(audit(store, ids));
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return a;
    }
    a = *r;
    if (a.unfinished == 0 || std::chrono::steady_clock::now() > deadline) return a;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace scalelab::orders::testing
