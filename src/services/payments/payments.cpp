#include "services/payments/payments.h"

#include <fmt/format.h>

#include "core/ids.h"
#include "core/json_writer.h"
#include "services/common/validation.h"

namespace scalelab::payments {

bool declined(std::string_view number) { return number.ends_with(kDeclinedSuffix); }

void register_routes(http::Router& router, store::Store& store) {
  router.post("/payments/checkout", [&store](http::Request& req) -> boost::asio::awaitable<http::Response> {
    auto body = services::json_object_body(req);
    auto card = services::string_field(body, "credit_card_number", 13, 19);
    if (!card) services::throw_invalid(card.error());
    if (!services::valid_card_number(*card))
      co_return http::Response::error(400, http::code::kInvalidInput,
                                      "field 'credit_card_number' must match ^[0-9]{13,19}$");
    auto cart = services::int32_field(body, "shopping_cart_id", 1);
    if (!cart) services::throw_invalid(cart.error());

    std::string key = fmt::format("payment/{}", *cart);
    auto earlier = co_await store.get(key);
    if (!earlier) services::throw_store_failure("payments", earlier.error());
    if (*earlier) co_return http::Response::json_text(200, std::move(**earlier));  // a retry: same transaction
    if (declined(*card))
      co_return http::Response::error(402, services::code::kPaymentDeclined, "card declined");

    std::string id;
    assign_random_hex_id(id);
    std::string result;
    JsonWriter(result).begin_object().field("success", true).field("transaction_id", "txn-" + id).end_object();
    auto stored = co_await store.put_if_absent_durable(key, result);  // a charge: survives a failover
    if (!stored) services::throw_store_failure("payments", stored.error());
    if (!*stored) {  // a concurrent retry won: answer with its transaction
      auto winner = co_await store.get(key);
      if (!winner || !*winner) services::throw_store_failure("payments", winner ? Error{ErrorKind::kInternal, "payment vanished"} : winner.error());
      co_return http::Response::json_text(200, std::move(**winner));
    }
    co_return http::Response::json_text(200, std::move(result));
  });
}

}  // namespace scalelab::payments
