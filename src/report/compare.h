// Compare: the deltas between two runs' summaries (a lab's summary.json or
// `scalelab load --json`), so a change can be judged against the last run.
// Every numeric field the two share is compared; nested objects are
// flattened with dotted keys ("phase_1.p99_ms") and arrays of rows are
// matched by their name-like field ("runs[client=fast,users=8].rps") when
// they have one, else by position. Booleans count as 0/1.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"
#include "report/html.h"

namespace scalelab::report {

// One numeric field of a summary, by its flattened key.
using Field = std::pair<std::string, double>;

// Every numeric (and boolean) leaf of `v`, in document order.
std::vector<Field> flatten_numbers(const boost::json::value& v);

struct CompareRow {
  std::string key;
  double a = 0;
  double b = 0;
  double delta() const { return b - a; }
  // (b - a) / |a| in percent; nullopt when a is 0.
  std::optional<double> percent() const;
};

struct Comparison {
  std::string kind;  // the experiment or load scenario both summaries belong to ("" if neither says)
  std::vector<CompareRow> rows;     // shared numeric fields, in A's order
  std::vector<std::string> only_a;  // numeric fields only A has
  std::vector<std::string> only_b;
};

// Fails with kInvalidInput when the two are runs of different experiments
// (their "experiment" fields, or a load report's "scenario", differ), when
// either is not a JSON object, or when they share no numeric field.
Result<Comparison> compare(const boost::json::value& a, const boost::json::value& b);

// A plain-text table for the terminal (key, A, B, delta, %).
std::string format_comparison(const Comparison& c, const std::string& name_a, const std::string& name_b);

// The comparison as sections of an HTML page.
void add_comparison(HtmlReport& page, const Comparison& c, const std::string& name_a, const std::string& name_b);

}  // namespace scalelab::report
