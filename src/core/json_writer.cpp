#include "core/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

namespace scalelab {

namespace {

// The escape for a byte that needs one, or nullptr. Control characters
// without a short form are written as \u00XX by the caller.
const char* short_escape(unsigned char c) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: return nullptr;
  }
}

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Whether any of the 8 bytes in w needs an escape, without a branch per byte
// (the "has zero byte" / "has less than" tricks from Bit Twiddling Hacks):
// most strings need none, and then they are copied in one piece.
bool any_needs_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHighs = 0x8080808080808080ull;
  auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
  return (below_space | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'))) != 0;
}

// The index of the first byte of s that needs an escape, or s.size().
std::size_t first_to_escape(std::string_view s) {
  std::size_t i = 0;
  for (; i + sizeof(std::uint64_t) <= s.size(); i += sizeof(std::uint64_t)) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, sizeof w);
    if (any_needs_escape(w)) break;
  }
  while (i < s.size() && !needs_escape(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

template <typename Int>
void append_integer(std::string& out, Int v) {
  char buf[24];  // 20 digits of uint64 or a sign and 19 digits of int64
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace

void append_escaped_json_string(std::string& out, std::string_view s) {
  std::size_t clean = first_to_escape(s);
  bool all_clean = clean == s.size();
  std::size_t at = out.size();
  out.resize(at + clean + (all_clean ? 2 : 1));
  out[at] = '"';
  std::memcpy(out.data() + at + 1, s.data(), clean);
  if (all_clean) {
    out.back() = '"';
    return;
  }
  // The rest, byte by byte from the first that needs an escape; runs that
  // need none (UTF-8 included: bytes >= 0x80 pass through) are copied whole.
  std::size_t run = clean;
  for (std::size_t i = clean; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (const char* e = short_escape(c)) out += e;
    else fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
  }
  if (run < s.size()) out.append(s.data() + run, s.size() - run);
  out += '"';
}

JsonWriter& JsonWriter::dynamic_key(std::string_view name) {
  separate();
  append_escaped_json_string(out_, name);
  out_ += ':';
  need_comma_ = false;  // the value follows the colon
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view s) {
  separate();
  append_escaped_json_string(out_, s);
  return *this;
}

JsonWriter& JsonWriter::int64(std::int64_t v) {
  separate();
  append_integer(out_, v);
  return *this;
}

JsonWriter& JsonWriter::uint64(std::uint64_t v) {
  separate();
  append_integer(out_, v);
  return *this;
}

JsonWriter& JsonWriter::number(double v) {
  if (!std::isfinite(v)) return null();
  separate();
  fmt::format_to(std::back_inserter(out_), "{}", v);
  return *this;
}

JsonWriter& JsonWriter::fixed(double v, int decimals) {
  if (!std::isfinite(v)) return null();
  separate();
  fmt::format_to(std::back_inserter(out_), "{:.{}f}", v, decimals);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool v) {
  separate();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

}  // namespace scalelab
