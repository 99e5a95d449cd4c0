#include "core/json_writer.h"

#include <cstdint>
#include <limits>
#include <string>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace {

using scalelab::JsonWriter;

std::string string_literal(std::string_view s) {
  std::string out;
  JsonWriter(out).string(s);
  return out;
}

// The plainest correct escaper, to check the fast one against.
std::string byte_by_byte_literal(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += {'\\', c};
    else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    else out += c;
  }
  return out + "\"";
}

TEST(JsonWriter, EscapesQuotesBackslashesAndShortControls) {
  EXPECT_EQ(string_literal("a\"b\\c\n\r\t\b\f"), R"("a\"b\\c\n\r\t\b\f")");
}

TEST(JsonWriter, EscapesOtherControlCharactersAsUnicode) {
  EXPECT_EQ(string_literal(std::string_view("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
}

TEST(JsonWriter, PassesUtf8AndDelThrough) {
  EXPECT_EQ(string_literal("Bj\xC3\xB6rk \xE2\x82\xAC \xF0\x9F\x8E\xB5\x7f"),
            "\"Bj\xC3\xB6rk \xE2\x82\xAC \xF0\x9F\x8E\xB5\x7f\"");
}

TEST(JsonWriter, EscapedStringsParseBackToTheOriginal) {
  std::string original;
  for (int c = 0; c < 256; ++c) original += static_cast<char>(c < 0x80 ? c : 'x');
  original += "\xC3\xA9";
  EXPECT_EQ(boost::json::parse(string_literal(original)).as_string(), original);
}

// Long strings are scanned 8 bytes at a time: an escape must be found at any
// offset, next to bytes on either side of the thresholds.
TEST(JsonWriter, FindsAnEscapeAtEveryOffsetOfALongString) {
  constexpr std::size_t kLength = 27;
  for (char special : {'"', '\\', '\x1f', '\x01'}) {
    for (std::size_t at = 0; at < kLength; ++at) {
      std::string original(kLength, ' ');  // 0x20, just above the control range
      original[(at + 1) % kLength] = '\x80';
      original[at] = special;
      EXPECT_EQ(string_literal(original), byte_by_byte_literal(original)) << "offset " << at;
    }
  }
}

TEST(JsonWriter, EscapesDynamicKeys) {
  std::string out;
  std::string name = "a\"b";
  JsonWriter(out).begin_object().dynamic_key(name).int64(1).end_object();
  EXPECT_EQ(out, R"({"a\"b":1})");
}

TEST(JsonWriter, PlacesCommasInNestedContainers) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("a", 1).key("b").begin_array();
  w.int64(1).begin_object().end_object().begin_array().end_array().string("x");
  w.end_array().key("c").begin_object().field("d", true).field("e", nullptr).end_object().end_object();
  EXPECT_EQ(out, R"({"a":1,"b":[1,{},[],"x"],"c":{"d":true,"e":null}})");
}

TEST(JsonWriter, WritesEmptyContainers) {
  std::string out;
  JsonWriter(out).begin_array().begin_object().end_object().begin_array().end_array().end_array();
  EXPECT_EQ(out, "[{},[]]");
}

TEST(JsonWriter, AppendsToExistingText) {
  std::string out = "prefix ";
  JsonWriter(out).begin_array().int64(1).end_array();
  EXPECT_EQ(out, "prefix [1]");
}

TEST(JsonWriter, WritesIntegerExtremes) {
  std::string out;
  JsonWriter(out)
      .begin_array()
      .int64(std::numeric_limits<std::int64_t>::min())
      .int64(0)
      .uint64(std::numeric_limits<std::uint64_t>::max())
      .end_array();
  EXPECT_EQ(out, "[-9223372036854775808,0,18446744073709551615]");
}

TEST(JsonWriter, PicksTheWriterForEachFieldType) {
  std::string out;
  std::int32_t small = -5;
  std::uint16_t unsigned_small = 7;
  JsonWriter(out)
      .begin_object()
      .field("i", small)
      .field("u", unsigned_small)
      .field("d", 2.5)
      .field("b", false)
      .field("s", std::string("t"))
      .end_object();
  EXPECT_EQ(out, R"({"i":-5,"u":7,"d":2.5,"b":false,"s":"t"})");
}

TEST(JsonWriter, WritesDoublesInShortestRoundTripForm) {
  std::string out;
  JsonWriter(out).begin_array().number(56.99).number(0.1).number(3.0).number(-1e300).end_array();
  EXPECT_EQ(out, "[56.99,0.1,3,-1e+300]");
  EXPECT_EQ(boost::json::parse(out).as_array()[3].as_double(), -1e300);
}

TEST(JsonWriter, WritesFixedDecimals) {
  std::string out;
  JsonWriter(out).begin_array().fixed(29.99, 2).fixed(5.0, 2).fixed(0.1234, 3).end_array();
  EXPECT_EQ(out, "[29.99,5.00,0.123]");
}

TEST(JsonWriter, NonFiniteNumbersBecomeNull) {
  std::string out;
  JsonWriter(out)
      .begin_array()
      .number(std::numeric_limits<double>::infinity())
      .fixed(std::numeric_limits<double>::quiet_NaN(), 2)
      .end_array();
  EXPECT_EQ(out, "[null,null]");
}

TEST(JsonWriter, InsertsRawJsonAsAValue) {
  std::string out;
  JsonWriter(out).begin_array().raw(R"({"id":"1"})").raw("2").end_array();
  EXPECT_EQ(out, R"([{"id":"1"},2])");
}

}  // namespace
