// payments (hw5): POST /payments/checkout {credit_card_number, shopping_cart_id}
// -> 200 {success: true, transaction_id}, 400 for a malformed request, 402
// when the card is declined.
//
// Test cards (deterministic, docs/shop.md): a number ending in "0002" is
// declined; every other well-formed number is accepted. Idempotent per
// shopping_cart_id: the first successful charge is stored
// ("payment/{cart}") with put_if_absent, and every retry, from any instance
// sharing the store, gets the same transaction_id (never a second charge).
// Thread-safety: handlers are stateless; the Store is thread-safe.
#pragma once

#include <string_view>

#include "http/router.h"
#include "store/store.h"

namespace scalelab::payments {

inline constexpr std::string_view kDeclinedSuffix = "0002";

bool declined(std::string_view number);

// REQUIRES: store outlives the router's use.
void register_routes(http::Router& router, store::Store& store);

}  // namespace scalelab::payments
