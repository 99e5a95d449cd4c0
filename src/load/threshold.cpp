#include "load/threshold.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/duration.h"
#include "core/text.h"
#include "load/stats.h"

namespace scalelab::load {

Result<Threshold> parse_threshold(std::string_view text) {
  Threshold t;
  t.text = std::string(core::trim(text));
  auto bad = [&](std::string_view why) {
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("threshold '{}': {} (examples: p99<50ms, mean<=20ms, errors<1%, rps>1000, "
                             "'GET /albums:p99<50ms')",
                             t.text, why)};
  };
  std::string_view rule = t.text;
  if (const auto colon = rule.rfind(':'); colon != std::string_view::npos) {
    t.name = std::string(core::trim(rule.substr(0, colon)));
    if (t.name.empty()) return bad("no request name before ':'");
    rule = core::trim(rule.substr(colon + 1));
  }
  const auto op_pos = rule.find_first_of("<>");
  if (op_pos == std::string_view::npos || op_pos == 0) return bad("expected METRIC<LIMIT or METRIC>LIMIT");
  const std::string_view metric = rule.substr(0, op_pos);
  std::string_view rest = rule.substr(op_pos);
  const bool eq = rest.size() > 1 && rest[1] == '=';
  if (rest[0] == '<') t.op = eq ? Threshold::Op::kLessEq : Threshold::Op::kLess;
  else t.op = eq ? Threshold::Op::kGreaterEq : Threshold::Op::kGreater;
  rest.remove_prefix(eq ? 2 : 1);
  if (rest.empty()) return bad("no limit");

  bool wants_time = false;
  if (metric == "errors" || metric == "error_rate") {
    t.metric = Threshold::Metric::kErrors;
    if (!rest.ends_with('%')) return bad("an error rate is a percentage, e.g. errors<1%");
    rest.remove_suffix(1);
  } else if (metric == "rps") {
    t.metric = Threshold::Metric::kRps;
  } else if (metric == "mean" || metric == "avg") {
    t.metric = Threshold::Metric::kMean;
    wants_time = true;
  } else if (metric == "max") {
    t.metric = Threshold::Metric::kMax;
    wants_time = true;
  } else if (metric == "median") {
    t.metric = Threshold::Metric::kQuantile;
    t.q = 0.5;
    wants_time = true;
  } else if (metric.starts_with('p') && metric.size() > 1) {
    double p = 0;
    auto [ptr, ec] = std::from_chars(metric.data() + 1, metric.data() + metric.size(), p);
    if (ec != std::errc() || ptr != metric.data() + metric.size() || p <= 0 || p > 100)
      return bad("percentile must be p1..p100, e.g. p99 or p99.9");
    t.metric = Threshold::Metric::kQuantile;
    t.q = p / 100.0;
    wants_time = true;
  } else {
    return bad(fmt::format("unknown metric '{}'", metric));
  }
  if (wants_time) {
    auto d = parse_duration(rest);
    if (!d) return bad(fmt::format("'{}' is not a duration like 50ms", rest));
    t.limit = static_cast<double>(d->count()) / 1000.0;
  } else {
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), t.limit);
    if (ec != std::errc() || ptr != rest.data() + rest.size() || t.limit < 0)
      return bad(fmt::format("'{}' is not a number", rest));
  }
  return t;
}

Status check_threshold_names(const std::vector<Threshold>& rules, const std::vector<std::string>& names) {
  for (const auto& r : rules) {
    if (r.name.empty() || std::find(names.begin(), names.end(), r.name) != names.end()) continue;
    std::vector<std::string> known;  // once each, in scenario order
    for (const auto& n : names)
      if (std::find(known.begin(), known.end(), n) == known.end()) known.push_back(n);
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("threshold '{}': no request is named '{}' (request names: {})", r.text, r.name,
                             fmt::join(known, ", "))};
  }
  return {};
}

std::vector<ThresholdResult> evaluate(const std::vector<Threshold>& rules, const Report& report) {
  std::vector<ThresholdResult> out;
  for (const auto& r : rules) {
    ThresholdResult res{r};
    RequestStats named;
    if (!r.name.empty())
      for (const auto& row : report.requests)
        if (row.name == r.name) named.merge(row);
    const RequestStats& a = r.name.empty() ? report.aggregate : named;
    switch (r.metric) {
      case Threshold::Metric::kQuantile: res.actual = a.quantile_ms(r.q); break;
      case Threshold::Metric::kMean: res.actual = a.mean_ms(); break;
      case Threshold::Metric::kMax: res.actual = static_cast<double>(a.latency_us.max()) / 1000.0; break;
      case Threshold::Metric::kErrors:
        res.actual = a.count ? 100.0 * static_cast<double>(a.failures) / static_cast<double>(a.count) : 0;
        break;
      case Threshold::Metric::kRps:
        res.actual = report.elapsed_s > 0 ? static_cast<double>(a.count) / report.elapsed_s : 0;
        break;
    }
    switch (r.op) {
      case Threshold::Op::kLess: res.pass = res.actual < r.limit; break;
      case Threshold::Op::kLessEq: res.pass = res.actual <= r.limit; break;
      case Threshold::Op::kGreater: res.pass = res.actual > r.limit; break;
      case Threshold::Op::kGreaterEq: res.pass = res.actual >= r.limit; break;
    }
    // A latency or rate rule on no requests at all is not a pass.
    if (a.count == 0 && r.metric != Threshold::Metric::kErrors) res.pass = false;
    out.push_back(res);
  }
  return out;
}

}  // namespace scalelab::load
