#include "report/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace scalelab::report {

namespace json = boost::json;

namespace {

// Fields that name a row of an array (a phase, a client, a layout...), in the
// order they appear in the flattened key.
constexpr const char* kIdentityKeys[] = {"name", "phase", "how", "layout", "client", "bus", "input", "resilience",
                                         "method", "label", "users", "mappers", "workers", "instances", "cores_each"};
// An array without identity fields longer than this is a time series or a
// sample list: comparing it point by point says nothing, so it is left out.
constexpr std::size_t kMaxPositionalRows = 16;

std::string identity(const json::value& row) {
  if (!row.is_object()) return "";
  std::string id;
  for (const char* k : kIdentityKeys) {
    const auto* v = row.as_object().if_contains(k);
    if (!v || !(v->is_string() || v->is_int64() || v->is_uint64())) continue;
    if (!id.empty()) id += ",";
    id += k;
    id += "=";
    id += v->is_string() ? std::string(v->as_string()) : std::to_string(v->to_number<long long>());
  }
  return id;
}

void flatten(const json::value& v, const std::string& key, std::vector<Field>& out);

void flatten_array(const json::array& a, const std::string& key, std::vector<Field>& out) {
  bool named = !a.empty() && std::all_of(a.begin(), a.end(), [](const json::value& e) { return !identity(e).empty(); });
  if (!named && a.size() > kMaxPositionalRows) return;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string item = named ? identity(a[i]) : std::to_string(i);
    flatten(a[i], key + "[" + item + "]", out);
  }
}

void flatten(const json::value& v, const std::string& key, std::vector<Field>& out) {
  switch (v.kind()) {
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: out.emplace_back(key, v.to_number<double>()); break;
    case json::kind::bool_: out.emplace_back(key, v.get_bool() ? 1.0 : 0.0); break;
    case json::kind::object:
      for (const auto& [k, child] : v.get_object()) {
        flatten(child, key.empty() ? std::string(k) : key + "." + std::string(k), out);
      }
      break;
    case json::kind::array: flatten_array(v.get_array(), key, out); break;
    default: break;
  }
}

// What a summary is a run of: a lab's "experiment", a load report's "scenario".
std::string kind_of(const json::object& o) {
  if (const auto* e = o.if_contains("experiment"); e && e->is_string()) return "experiment " + std::string(e->as_string());
  if (const auto* s = o.if_contains("scenario"); s && s->is_string()) return "load scenario " + std::string(s->as_string());
  return "";
}

std::string number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  if (std::fabs(v) >= 1000) return fmt::format("{:.1f}", v);
  return fmt::format("{:.4g}", v);
}

std::string signed_number(double v) { return v > 0 ? fmt::format("+{}", number(v)) : number(v); }

std::string percent_text(const CompareRow& r) {
  auto p = r.percent();
  return p ? fmt::format("{:+.1f}%", *p) : (r.delta() == 0 ? "0%" : "n/a");
}

}  // namespace

std::optional<double> CompareRow::percent() const {
  if (a == 0) return std::nullopt;
  return (b - a) / std::fabs(a) * 100.0;
}

std::vector<Field> flatten_numbers(const json::value& v) {
  std::vector<Field> out;
  flatten(v, "", out);
  return out;
}

Result<Comparison> compare(const json::value& a, const json::value& b) {
  if (!a.is_object() || !b.is_object()) {
    return Error{ErrorKind::kInvalidInput, "compare: both files must hold a JSON object (a summary.json or a load --json report)"};
  }
  Comparison c;
  const std::string ka = kind_of(a.as_object()), kb = kind_of(b.as_object());
  if (ka != kb) {
    return Error{ErrorKind::kInvalidInput,
                 fmt::format("compare: these are runs of different things ({} vs {}); compare two runs of the same one",
                             ka.empty() ? "unnamed" : ka, kb.empty() ? "unnamed" : kb)};
  }
  c.kind = ka;
  const auto fa = flatten_numbers(a), fb = flatten_numbers(b);
  std::map<std::string, double> in_b(fb.begin(), fb.end());
  std::set<std::string> in_a;
  for (const auto& [k, v] : fa) {
    in_a.insert(k);
    if (auto it = in_b.find(k); it != in_b.end()) {
      c.rows.push_back({k, v, it->second});
    } else {
      c.only_a.push_back(k);
    }
  }
  for (const auto& [k, v] : fb) {
    if (!in_a.count(k)) c.only_b.push_back(k);
  }
  if (c.rows.empty()) {
    return Error{ErrorKind::kInvalidInput, "compare: the two summaries share no numeric field; are they runs of the same experiment?"};
  }
  return c;
}

std::string format_comparison(const Comparison& c, const std::string& name_a, const std::string& name_b) {
  std::size_t width = 5;
  for (const auto& r : c.rows) width = std::max(width, r.key.size());
  std::string out = fmt::format("compare{}: A = {}, B = {}\n", c.kind.empty() ? "" : " (" + c.kind + ")", name_a, name_b);
  out += fmt::format("{:<{}}  {:>14}  {:>14}  {:>14}  {:>9}\n", "field", width, "A", "B", "B - A", "%");
  for (const auto& r : c.rows) {
    out += fmt::format("{:<{}}  {:>14}  {:>14}  {:>14}  {:>9}\n", r.key, width, number(r.a), number(r.b),
                       signed_number(r.delta()), percent_text(r));
  }
  if (!c.only_a.empty()) out += fmt::format("only in A: {}\n", fmt::join(c.only_a, ", "));
  if (!c.only_b.empty()) out += fmt::format("only in B: {}\n", fmt::join(c.only_b, ", "));
  return out;
}

void add_comparison(HtmlReport& page, const Comparison& c, const std::string& name_a, const std::string& name_b) {
  page.paragraph(fmt::format("A: {}. B: {}.{}", name_a, name_b, c.kind.empty() ? "" : " Both are runs of " + c.kind + "."));
  page.heading("Shared figures");
  std::vector<std::vector<std::string>> rows;
  rows.reserve(c.rows.size());
  for (const auto& r : c.rows) rows.push_back({r.key, number(r.a), number(r.b), signed_number(r.delta()), percent_text(r)});
  page.table({"field", "A", "B", "B - A", "change"}, rows);
  if (!c.only_a.empty()) page.paragraph("Only in A: " + fmt::format("{}", fmt::join(c.only_a, ", ")));
  if (!c.only_b.empty()) page.paragraph("Only in B: " + fmt::format("{}", fmt::join(c.only_b, ", ")));
}

}  // namespace scalelab::report
