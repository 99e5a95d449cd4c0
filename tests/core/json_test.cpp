#include "core/json.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using scalelab::to_json;

TEST(Json, PrintsDoublesInShortestForm) {
  EXPECT_EQ(to_json(boost::json::value(56.99)), "56.99");
  EXPECT_EQ(to_json(boost::json::value(0.1)), "0.1");
  EXPECT_EQ(to_json(boost::json::value(3.0)), "3");
}

TEST(Json, EscapesStrings) {
  EXPECT_EQ(to_json(boost::json::value("a\"b\\c\n\x01")), R"("a\"b\\c\n\u0001")");
}

TEST(Json, RoundTripsNestedValues) {
  const char* text = R"({"a":[1,-2,3.5,true,null],"b":{"c":"d"},"e":18446744073709551615})";
  auto v = boost::json::parse(text);
  EXPECT_EQ(boost::json::parse(to_json(v)), v);
}

TEST(Json, NonFiniteBecomesNull) {
  EXPECT_EQ(to_json(boost::json::value(std::numeric_limits<double>::infinity())), "null");
}
