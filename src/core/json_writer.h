// JsonWriter: the one way services write JSON. A small streaming writer that
// appends to a caller's std::string: objects, arrays, keys, strings escaped
// per RFC 8259 (UTF-8 passes through untouched), integers, doubles in their
// shortest round-trip form (or with fixed decimals), booleans, null, and
// pre-rendered JSON (raw). It places commas and colons itself, so a writer
// reads like the document it produces:
//
//   std::string out;
//   JsonWriter w(out);
//   w.begin_object().field("id", 7).field("name", "Mouse").end_object();
//
// The writer does not check nesting (a key outside an object is the caller's
// bug), which keeps it as cheap as hand-written `out +=` code.
// Thread-safety: a JsonWriter and its string belong to one thread.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace scalelab {

// An object key written in the source (a string literal), checked at compile
// time to need no escaping, so writing it is a single append. Keys that come
// from data go through JsonWriter::dynamic_key, which escapes them.
class JsonKey {
 public:
  template <std::size_t N>
  consteval JsonKey(const char (&name)[N]) : name_(name, N - 1) {  // implicit: keys read as literals
    for (char c : name_)
      if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\')
        throw "a JsonKey literal must not need escaping";  // a compile error in consteval
  }
  std::string_view view() const { return name_; }

 private:
  std::string_view name_;
};

class JsonWriter {
 public:
  // Appends to out (which may already hold text). out must outlive the writer.
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  // "name": — the next call writes the key's value.
  JsonWriter& key(JsonKey name) {
    // One resize and a copy: keys are on every hot body, several per record.
    std::string_view n = name.view();
    std::size_t at = out_.size();
    out_.resize(at + n.size() + (need_comma_ ? 4 : 3));
    char* p = out_.data() + at;
    if (need_comma_) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, n.data(), n.size());
    p += n.size();
    *p++ = '"';
    *p = ':';
    need_comma_ = false;  // the value follows the colon
    return *this;
  }
  // As key(), for a name that comes from data: escaped.
  JsonWriter& dynamic_key(std::string_view name);

  JsonWriter& string(std::string_view s);
  JsonWriter& int64(std::int64_t v);
  JsonWriter& uint64(std::uint64_t v);
  // Shortest round-trip form ("56.99", "3"); NaN and infinities become null
  // (JSON has no such numbers).
  JsonWriter& number(double v);
  // Exactly `decimals` digits after the point ("29.99" for 2), for prices and
  // durations whose wire form fixes them. Non-finite values become null.
  JsonWriter& fixed(double v, int decimals);
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  // A value that is already JSON (e.g. a stored record). REQUIRES: valid JSON.
  JsonWriter& raw(std::string_view json);

  // value(x): the writer for x's type, so field() can take any of them.
  JsonWriter& value(std::string_view s) { return string(s); }
  JsonWriter& value(const char* s) { return string(s); }
  JsonWriter& value(const std::string& s) { return string(s); }
  JsonWriter& value(bool v) { return boolean(v); }
  JsonWriter& value(double v) { return number(v); }
  JsonWriter& value(std::nullptr_t) { return null(); }
  template <std::signed_integral T>
  JsonWriter& value(T v) { return int64(v); }
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  JsonWriter& value(T v) { return uint64(v); }

  // key(name) then value(v).
  template <typename T>
  JsonWriter& field(JsonKey name, const T& v) {
    key(name);
    return value(v);
  }

 private:
  // A comma goes before every value or key except the first in its container.
  void separate() {
    if (need_comma_) out_ += ',';
    need_comma_ = true;
  }
  JsonWriter& open(char c) {
    separate();
    out_ += c;
    need_comma_ = false;
    return *this;
  }
  JsonWriter& close(char c) {
    out_ += c;
    need_comma_ = true;
    return *this;
  }

  std::string& out_;
  bool need_comma_ = false;
};

// Appends s as a JSON string literal (quotes included) to out.
void append_escaped_json_string(std::string& out, std::string_view s);

}  // namespace scalelab
