#include "report/compare.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

using namespace scalelab::report;

namespace {

boost::json::value parse(const char* text) { return boost::json::parse(text); }

const CompareRow* row(const Comparison& c, const std::string& key) {
  for (const auto& r : c.rows) {
    if (r.key == key) return &r;
  }
  return nullptr;
}

}  // namespace

TEST(Compare, GivesAbsoluteAndPercentDeltasOfSharedNumbers) {
  auto c = compare(parse(R"({"experiment":"hw1","throughput_rps":200,"p99_ms":4,"url":"x"})"),
                   parse(R"({"experiment":"hw1","throughput_rps":250,"p99_ms":3,"url":"y"})"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->kind, "experiment hw1");
  ASSERT_EQ(c->rows.size(), 2u);
  const auto* rps = row(*c, "throughput_rps");
  ASSERT_NE(rps, nullptr);
  EXPECT_DOUBLE_EQ(rps->delta(), 50);
  EXPECT_DOUBLE_EQ(*rps->percent(), 25);
  EXPECT_DOUBLE_EQ(*row(*c, "p99_ms")->percent(), -25);
}

TEST(Compare, RefusesRunsOfDifferentExperiments) {
  auto c = compare(parse(R"({"experiment":"hw1","p99_ms":4})"), parse(R"({"experiment":"midterm","p99_ms":4})"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, scalelab::ErrorKind::kInvalidInput);
  EXPECT_NE(c.error().message.find("hw1"), std::string::npos);
  EXPECT_NE(c.error().message.find("midterm"), std::string::npos);
}

TEST(Compare, RefusesLoadReportsOfDifferentScenarios) {
  EXPECT_FALSE(compare(parse(R"({"scenario":"a","elapsed_s":1})"), parse(R"({"scenario":"b","elapsed_s":1})")).ok());
  EXPECT_TRUE(compare(parse(R"({"scenario":"a","elapsed_s":1})"), parse(R"({"scenario":"a","elapsed_s":2})")).ok());
}

TEST(Compare, RefusesSummariesSharingNoNumber) {
  EXPECT_FALSE(compare(parse(R"({"a":1})"), parse(R"({"b":1})")).ok());
  EXPECT_FALSE(compare(parse("[1]"), parse("[1]")).ok());
}

TEST(Compare, FlattensNestedObjectsWithDottedKeys) {
  auto f = flatten_numbers(parse(R"({"phase_1":{"p99_ms":7,"limited":true},"name":"x"})"));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].first, "phase_1.p99_ms");
  EXPECT_EQ(f[1].first, "phase_1.limited");
  EXPECT_DOUBLE_EQ(f[1].second, 1);
}

TEST(Compare, MatchesArrayRowsByTheirNameNotTheirPosition) {
  auto c = compare(parse(R"({"loss":[{"how":"kill -9","failed_requests":3},{"how":"graceful","failed_requests":0}]})"),
                   parse(R"({"loss":[{"how":"graceful","failed_requests":1},{"how":"kill -9","failed_requests":2}]})"));
  ASSERT_TRUE(c.ok());
  ASSERT_NE(row(*c, "loss[how=kill -9].failed_requests"), nullptr);
  EXPECT_DOUBLE_EQ(row(*c, "loss[how=kill -9].failed_requests")->delta(), -1);
  EXPECT_DOUBLE_EQ(row(*c, "loss[how=graceful].failed_requests")->delta(), 1);
}

TEST(Compare, NamesRowsByEveryIdentityField) {
  auto f = flatten_numbers(parse(R"({"runs":[{"client":"fast","users":8,"rps":100}]})"));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1].first, "runs[client=fast,users=8].rps");
}

TEST(Compare, LeavesLongUnnamedSeriesOut) {
  std::string text = R"({"series":[)";
  for (int i = 0; i < 40; ++i) text += std::string(i ? "," : "") + R"({"t_s":)" + std::to_string(i) + "}";
  text += R"(],"short":[1,2]})";
  auto f = flatten_numbers(boost::json::parse(text));
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].first, "short[0]");
}

TEST(Compare, ListsFieldsOnlyOneSideHas) {
  auto c = compare(parse(R"({"a":1,"b":2})"), parse(R"({"a":1,"c":3})"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->only_a, std::vector<std::string>{"b"});
  EXPECT_EQ(c->only_b, std::vector<std::string>{"c"});
  EXPECT_FALSE(c->rows[0].percent() == std::nullopt);
  EXPECT_EQ((CompareRow{"z", 0, 5}.percent()), std::nullopt);
}

TEST(Compare, FormatsOneLinePerSharedField) {
  auto c = compare(parse(R"({"experiment":"hw1","p99_ms":4})"), parse(R"({"experiment":"hw1","p99_ms":5})"));
  ASSERT_TRUE(c.ok());
  auto text = format_comparison(*c, "a.json", "b.json");
  EXPECT_NE(text.find("p99_ms"), std::string::npos);
  EXPECT_NE(text.find("+25.0%"), std::string::npos);
}
