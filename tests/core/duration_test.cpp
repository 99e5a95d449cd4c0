#include "core/duration.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using scalelab::format_duration;
using scalelab::parse_duration;

TEST(Duration, ParsesEachUnit) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("2m"), 2min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("15us"), 15us);
}

TEST(Duration, BareNumberIsSeconds) { EXPECT_EQ(parse_duration("30"), 30s); }

TEST(Duration, ParsesCompoundAndFractions) {
  EXPECT_EQ(parse_duration("1m30s"), 90s);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
}

TEST(Duration, RejectsJunk) {
  for (const char* bad : {"", "s", "10x", "-5s", "ten", "5s junk", "1..2s", "10 s"})
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
}

TEST(Duration, FormatsCompactly) {
  EXPECT_EQ(format_duration(10s), "10s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(42us), "42us");
}
