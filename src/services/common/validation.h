// What every service shares at the wire: JSON body and field validation
// (the hw5 OpenAPI contract's rules, used by the shop and orders alike) and
// the mapping of validation and store failures to HTTP errors.
//
// Validation choices (docs/shop.md): a field must have exactly the JSON type
// the contract gives (1.0 is not an int32, "1" is not a number, true is not
// an int), required fields must be present, unknown fields are ignored, and
// path ids that are not int32 >= 1 are 400 (not 404).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.h"
#include "http/message.h"

namespace scalelab::services {

inline constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

// Error codes beyond http::code, used in the contract's Error bodies.
namespace code {
inline constexpr std::string_view kInsufficientStock = "INSUFFICIENT_STOCK";
inline constexpr std::string_view kNotReserved = "NOT_RESERVED";
inline constexpr std::string_view kPaymentDeclined = "PAYMENT_DECLINED";
inline constexpr std::string_view kDownstream = "DOWNSTREAM_UNAVAILABLE";
}  // namespace code

// The body as a JSON object (415 on a wrong Content-Type, 400 on malformed
// JSON or a non-object), thrown as http::HttpError.
boost::json::object json_object_body(const http::Request& req);

// A required integer field in [min, max]. Errors are kInvalidInput naming the field.
Result<std::int32_t> int32_field(const boost::json::object& o, std::string_view name, std::int64_t min,
                                 std::int64_t max = kInt32Max);
// A required string field whose length (bytes) is in [min_len, max_len].
Result<std::string> string_field(const boost::json::object& o, std::string_view name, std::size_t min_len,
                                 std::size_t max_len);
// A path id: a base-10 int32 >= 1, else kInvalidInput.
Result<std::int32_t> path_id(std::string_view text, std::string_view name);

// A card number as the contract allows it: ^[0-9]{13,19}$.
bool valid_card_number(std::string_view number);

// Throws the 400 INVALID_INPUT HttpError for a validation failure.
[[noreturn]] void throw_invalid(const Error& e);
// Throws 503 UNAVAILABLE for a store fault (the service cannot answer now).
[[noreturn]] void throw_store_failure(std::string_view service, const Error& e);
// Throws 503 DOWNSTREAM_UNAVAILABLE: a service this one calls could not be
// reached or timed out ("{who} unavailable: …"), or answered with a status
// the contract does not allow ("{who} answered {status}: {body's start}").
[[noreturn]] void throw_downstream(std::string_view who, const Error& e);
[[noreturn]] void throw_downstream_status(std::string_view who, unsigned status, std::string_view body);

}  // namespace scalelab::services
