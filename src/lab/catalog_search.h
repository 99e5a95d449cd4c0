// The hw6 workload: catalog searches (GET /products/search?q=…), each of
// which checks exactly 100 of the catalog's 100,000 products. One list of
// queries for every hw6 experiment, so their numbers compare.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "load/scenario.h"

namespace scalelab::lab {

// URL-encoded: a template word cannot hold a space.
inline constexpr std::array<const char*, 8> kCatalogQueries = {"alpha", "electronics", "books", "omega",
                                                               "product%201", "garden", "sigma", "toys"};

// The i-th search, for a client sending them in turn.
inline std::string catalog_search_target(std::uint64_t i) {
  return fmt::format("/products/search?q={}", kCatalogQueries[i % kCatalogQueries.size()]);
}

// The same queries as a load template: one chosen at random per request.
inline std::string catalog_search_template() {
  return fmt::format("/products/search?q={{{{choice {}}}}}", fmt::join(kCatalogQueries, " "));
}

// A load scenario of searches against host (http://HOST:PORT), closed model
// with `users` and no wait; callers change the model, rate or stages.
inline load::Scenario catalog_search_load(std::string name, std::string host, unsigned users,
                                          std::chrono::milliseconds duration, std::chrono::milliseconds timeout) {
  load::Scenario s;
  s.name = std::move(name);
  s.host = std::move(host);
  s.tasks = {{.name = "search",
              .requests = {{.name = "GET /products/search",
                            .path = load::Template::compile(catalog_search_template()).value(),
                            .expect = {200}}}}};
  s.users = users;
  s.duration = std::chrono::duration_cast<load::Micros>(duration);
  s.timeout = std::chrono::duration_cast<load::Micros>(timeout);
  return s;
}

}  // namespace scalelab::lab
