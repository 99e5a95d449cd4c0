// warehouse (hw5): POST /warehouse/reserve and POST /warehouse/ship with
// {product_id, quantity}, plus the scalelab extensions POST /warehouse/release
// (return a reservation to stock, for a failed checkout) and
// GET /warehouse/stock/{productId}.
//
// Stock per product is a counter in the Store ("stock/{id}", absent = the
// initial stock: the course's for products 1-5, Laptop 10, Mouse 100,
// Keyboard 50, Monitor 20, Headphones 30, from catalog::kCourseProducts;
// Options::initial_stock for the others) and reservations another
// ("reserved/{id}"). Reserve is an
// atomic decrement that never goes below zero, so concurrent reserves (from
// any number of instances sharing the store) never oversell; a reserve that
// cannot be met is 409 INSUFFICIENT_STOCK and changes nothing.
// Thread-safety: handlers are stateless; the Store is thread-safe.
#pragma once

#include <cstdint>

#include "http/router.h"
#include "store/store.h"

namespace scalelab::warehouse {

struct Options {
  std::int32_t product_count = 100'000;  // products 1..count exist (the catalog's)
  std::int64_t initial_stock = 1'000;    // units of each product but the course's five before any reserve
};

// Units of product id before any reserve: the course's stock for 1-5, else
// options.initial_stock.
std::int64_t initial_stock_of(const Options& options, std::int32_t id);

// REQUIRES: store outlives the router's use.
void register_routes(http::Router& router, store::Store& store, Options options = {});

}  // namespace scalelab::warehouse
