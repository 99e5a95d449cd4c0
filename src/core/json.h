// JSON output that reads well: numbers in their shortest round-trip form
// ("56.99", not Boost.JSON's "5.699E1"), strings escaped per RFC 8259.
// Boost.JSON values are written through JsonWriter (core/json_writer.h), the
// one JSON writer; code that builds a body field by field uses it directly.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace scalelab {

void append_json_string(std::string& out, std::string_view s);
void append_json_number(std::string& out, double v);
void append_json(std::string& out, const boost::json::value& v);
std::string to_json(const boost::json::value& v);

}  // namespace scalelab
