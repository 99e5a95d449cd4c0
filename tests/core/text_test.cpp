#include "core/text.h"

#include <gtest/gtest.h>

namespace scalelab::core {
namespace {

TEST(Trim, DropsLeadingAndTrailingBlanksOnly) {
  EXPECT_EQ(trim(" \t a b \r\n"), "a b");
  EXPECT_EQ(trim(" \n\t"), "");
  EXPECT_EQ(trim("x"), "x");
}

TEST(CsvField, LeavesAPlainFieldAsItIs) {
  EXPECT_EQ(csv_field("scale out to 3"), "scale out to 3");
  EXPECT_EQ(csv_field(""), "");
}

TEST(CsvField, QuotesAFieldWithACommaQuoteOrLineBreakAndDoublesItsQuotes) {
  EXPECT_EQ(csv_field("cpu 80%, above 70"), "\"cpu 80%, above 70\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
}

}  // namespace
}  // namespace scalelab::core
