// warehouse (hw5): POST /warehouse/reserve and POST /warehouse/ship with
// {product_id, quantity}, plus the scalelab extensions POST /warehouse/release
// (return a reservation to stock, for a failed checkout) and
// GET /warehouse/stock/{productId}.
//
// Stock per product is a counter in the Store ("stock/{id}", absent = the
// product's initial stock as its ProductDirectory says) and reservations
// another ("reserved/{id}"). Which products exist and their initial stock
// come through the ProductDirectory interface: the warehouse does not know
// the catalog (the shop host wires the catalog's products in). Reserve is an
// atomic decrement that never goes below zero, so concurrent reserves (from
// any number of instances sharing the store) never oversell; a reserve that
// cannot be met is 409 INSUFFICIENT_STOCK and changes nothing.
// Thread-safety: handlers are stateless; the Store is thread-safe.
#pragma once

#include <cstdint>

#include "http/router.h"
#include "store/store.h"

namespace scalelab::warehouse {

// The products the warehouse stocks. Implementations must be safe to call
// from any thread (the shop's is immutable).
class ProductDirectory {
 public:
  virtual ~ProductDirectory() = default;
  virtual bool exists(std::int32_t product_id) const = 0;
  // Units of the product before any reserve. REQUIRES: exists(product_id)
  virtual std::int64_t initial_stock(std::int32_t product_id) const = 0;
};

// REQUIRES: store and products outlive the router's use.
void register_routes(http::Router& router, store::Store& store, const ProductDirectory& products);

}  // namespace scalelab::warehouse
