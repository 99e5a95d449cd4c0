// A running shop for tests: catalog + warehouse + payments on one TestServer
// ("backend") and carts on another ("front") calling the backend over HTTP,
// all over one store (memory or a private Redis).
#pragma once

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "http/client.h"
#include "services/shop/shop.h"
#include "support/test_server.h"

// One shop suite, both store backends: a test source built into shop_test
// runs on the memory store; built (also) into shop_redis_test, which defines
// SHOP_TEST_REDIS and requires the redis fixture, it runs on a private
// Redis. Name the suite SHOP_BACKEND_SUITE(Name) (NameInMemory / NameOnRedis,
// so ctest tells them apart) and open stores at SHOP_TEST_STORE_URL().
// Tests on Redis share one server: pick ids that other tests do not use.
#ifdef SHOP_TEST_REDIS
#define SHOP_BACKEND_SUITE(name) name##OnRedis
#define SHOP_TEST_STORE_URL() ::scalelab::testkit::infra_url("redis")
#else
#define SHOP_BACKEND_SUITE(name) name##InMemory
#define SHOP_TEST_STORE_URL() std::string("memory://")
#endif

namespace scalelab::testkit {

struct ShopReply {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Empty when absent; case-insensitive.
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        return v;
    return "";
  }
  boost::json::value json() const { return boost::json::parse(body); }
  std::string error_code() const {
    auto v = json();
    return v.is_object() && v.as_object().contains("error") ? std::string(v.at("error").as_string()) : "";
  }
};

class RunningShop {
 public:
  explicit RunningShop(const std::string& store_url, std::int32_t products = 1'000, std::int64_t stock = 10);
  std::uint16_t backend_port() const { return backend_->port(); }
  std::uint16_t front_port() const { return front_->port(); }
  store::Store& store() { return backend_host_->store(); }

 private:
  std::unique_ptr<shop::ShopHost> backend_host_, front_host_;
  std::unique_ptr<TestServer> backend_, front_;
};

// One blocking client for one port.
class ShopClient {
 public:
  explicit ShopClient(std::uint16_t port);
  ShopReply get(const std::string& target);
  ShopReply post(const std::string& target, const std::string& body,
                 const std::string& content_type = "application/json");

 private:
  std::unique_ptr<http::BlockingClient> client_;
};

}  // namespace scalelab::testkit
