#include "core/json.h"

#include "core/json_writer.h"

namespace scalelab {

namespace {

void write(JsonWriter& w, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: w.null(); break;
    case boost::json::kind::bool_: w.boolean(v.get_bool()); break;
    case boost::json::kind::int64: w.int64(v.get_int64()); break;
    case boost::json::kind::uint64: w.uint64(v.get_uint64()); break;
    case boost::json::kind::double_: w.number(v.get_double()); break;
    case boost::json::kind::string: w.string(v.get_string()); break;
    case boost::json::kind::array:
      w.begin_array();
      for (const auto& e : v.get_array()) write(w, e);
      w.end_array();
      break;
    case boost::json::kind::object:
      w.begin_object();
      for (const auto& kv : v.get_object()) {
        w.dynamic_key(kv.key());
        write(w, kv.value());
      }
      w.end_object();
      break;
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) { append_escaped_json_string(out, s); }

void append_json_number(std::string& out, double v) { JsonWriter(out).number(v); }

void append_json(std::string& out, const boost::json::value& v) {
  JsonWriter w(out);
  write(w, v);
}

std::string to_json(const boost::json::value& v) {
  std::string out;
  append_json(out, v);
  return out;
}

}  // namespace scalelab
