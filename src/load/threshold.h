// Pass/fail rules on a load run's results (--threshold, or `thresholds:` in a
// scenario file), for CI: on the aggregate (`p99<50ms`, `errors<1%`) or on
// one request name (`GET /albums:p99<50ms`, k6's http_req_duration{name:X}).
// A rule that fails makes `scalelab load` exit 2.
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace scalelab::load {

struct Report;

// [NAME:]METRIC OP LIMIT. METRIC: pN (p50, p99, p99.9), median, mean (avg),
// max (durations: 50ms, 1s), errors (a percentage: 1%), rps (requests/s).
// OP: < <= > >=. NAME: a request's statistics row (its `name:`, or
// "METHOD path" by default); the rule is split at the last ':', so a name may
// contain ':' but a rule never does. No NAME: the aggregate.
struct Threshold {
  enum class Metric { kQuantile, kMean, kMax, kErrors, kRps } metric = Metric::kQuantile;
  enum class Op { kLess, kLessEq, kGreater, kGreaterEq } op = Op::kLess;
  double q = 0;      // for kQuantile, in [0, 1]
  double limit = 0;  // ms, percent, or requests/s
  std::string name;  // the request name; empty: the aggregate
  std::string text;  // as written, for reports
};
Result<Threshold> parse_threshold(std::string_view text);

// Fails when a rule names a request that `names` (the scenario's request
// names) does not contain; the message lists the names there are.
Status check_threshold_names(const std::vector<Threshold>& rules, const std::vector<std::string>& names);

struct ThresholdResult {
  Threshold rule;
  double actual = 0;  // in the rule's unit
  bool pass = false;
};
// A rule on a name evaluates the rows of that name (merged when the same
// name is used with two methods). A latency or rate rule on no requests at
// all fails.
std::vector<ThresholdResult> evaluate(const std::vector<Threshold>& rules, const Report& report);

}  // namespace scalelab::load
