// Part 4's cost comparison: functions billed per request and GB-second
// against two always-on tasks, over four kinds of month.
#include <fmt/format.h>

#include "lab/hw7/hw7.h"

namespace scalelab::lab {

namespace {

constexpr double kSecondsPerHour = 3'600;
constexpr double kMbPerGb = 1024.0;

}  // namespace

Hw7Cost hw7_cost(double billed_s, const Hw7Options& o) {
  Hw7Cost c;
  c.billed_s_per_request = billed_s;
  c.gb_s_per_request = billed_s * o.memory_mb / kMbPerGb;
  const double month = orders::kSecondsPerMonth, hour = kSecondsPerHour;
  auto add = [&](std::string name, double requests) {
    c.cases.push_back({std::move(name), requests, orders::monthly_cost(requests, billed_s, o.memory_mb, o.prices)});
  };
  add(fmt::format("one flash hour alone ({:.0f}/s)", o.rate), o.rate * hour);
  add(fmt::format("ordinary month ({:.0f}/s)", o.normal_rate), o.normal_rate * month);
  add("ordinary month + one flash hour", o.normal_rate * (month - hour) + o.rate * hour);
  add(fmt::format("the flash rate all month ({:.0f}/s)", o.rate), o.rate * month);
  c.break_even_requests = orders::break_even_requests(billed_s, o.memory_mb, o.prices);
  c.break_even_rate = c.break_even_requests / month;
  return c;
}

}  // namespace scalelab::lab
