// Drawing the tour: OUT/index.html (a card per experiment: its status, its
// headline figures beside the course's, what the difference means, a link to
// its report) and OUT/tour.json, from a TourResult alone.
#include <cmath>
#include <map>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/json.h"
#include "lab/tour/tour.h"
#include "report/compare.h"
#include "report/output.h"

namespace scalelab::lab::tour {

namespace json = boost::json;

namespace {

constexpr const char* kMissing = "—";

std::string number(double v) {
  if (std::fabs(v) >= 100 || v == std::floor(v)) return fmt::format("{:.0f}", v);
  if (std::fabs(v) >= 1) return fmt::format("{:.1f}", v);
  return fmt::format("{:.3g}", v);
}

const Experiment* find(const std::string& name) {
  for (const auto& e : course()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

json::object headlines_json(const ExperimentRun& r, const Experiment& e) {
  json::object o;
  if (!r.summary.is_object()) return o;
  const auto fields = report::flatten_numbers(r.summary);
  const std::map<std::string, double> by_key(fields.begin(), fields.end());
  for (const auto& h : e.headlines) {
    if (auto it = by_key.find(h.key); it != by_key.end()) o[h.key] = it->second;
  }
  return o;
}

std::string status_line(const ExperimentRun& r) {
  std::string s = fmt::format("Status: {}", to_string(r.status));
  if (r.status == Status::kOk || r.status == Status::kFailed) s += fmt::format(" after {:.0f} s", r.seconds);
  if (!r.reason.empty() && r.status != Status::kFailed) s += ". " + r.reason;
  return s;
}

void add_card(report::HtmlReport& page, const ExperimentRun& r, const Experiment& e) {
  page.heading(e.name + ": " + e.title);
  page.paragraph(status_line(r));
  if (r.status == Status::kFailed) page.paragraph("Why: " + r.reason);
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : e.headlines) {
    rows.push_back({h.what, h.course.empty() ? kMissing : h.course,
                    r.status == Status::kOk ? headline_value(r.summary, h) : kMissing});
  }
  page.table({"figure", "the course measured", "scalelab measured here"}, rows);
  page.paragraph("What the difference means: " + e.meaning);
  if (!r.report.empty()) page.link("Full report: " + r.report, r.report);
}

void add_overview(report::HtmlReport& page, const TourResult& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : r.runs) {
    rows.push_back({run.name, to_string(run.status),
                    run.status == Status::kOk || run.status == Status::kFailed ? fmt::format("{:.0f} s", run.seconds) : "",
                    run.status == Status::kFailed ? "see its card below" : run.reason});
  }
  page.table({"experiment", "status", "time", "note"}, rows);
}

}  // namespace

std::string headline_value(const json::value& summary, const Headline& h) {
  if (h.key.empty() || !summary.is_object()) return kMissing;
  for (const auto& [key, v] : report::flatten_numbers(summary)) {
    if (key != h.key) continue;
    if (h.unit == "yes/no") return v != 0 ? "yes" : "no";
    if (h.unit == "$") return "$" + number(v);
    if (h.unit == "%") return number(v) + "%";
    return h.unit.empty() ? number(v) : number(v) + " " + h.unit;
  }
  return kMissing;
}

json::value tour_json(const TourResult& r) {
  json::array experiments;
  for (const auto& run : r.runs) {
    const auto* e = find(run.name);
    experiments.push_back(json::object{{"name", run.name},
                                       {"status", to_string(run.status)},
                                       {"reason", run.reason},
                                       {"seconds", run.seconds},
                                       {"report", run.report},
                                       {"headlines", e ? headlines_json(run, *e) : json::object{}}});
  }
  return json::object{{"quick", r.quick}, {"seconds", r.seconds}, {"experiments", std::move(experiments)}};
}

Result<TourFiles> render_tour(const TourResult& r, const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  TourFiles files;
  auto json_file = out.data("tour.json", to_json(tour_json(r)) + "\n", "tour.json (every experiment, machine-readable)");
  if (!json_file) return json_file.error();
  files.json = *json_file;
  report::HtmlReport page("scalelab: the course, on this machine");
  page.paragraph(fmt::format(
      "Every experiment of the course{}, run one after another on this machine in {:.0f} s. Each card puts "
      "scalelab's figures beside the ones the course reported on AWS, says what the difference means, and links "
      "the experiment's full report.",
      r.quick ? " in its short (--quick) form" : "", r.seconds));
  add_overview(page, r);
  for (const auto& run : r.runs) {
    if (const auto* e = find(run.name); e && run.status != Status::kNotSelected) add_card(page, run, *e);
  }
  auto index = out.page(page, "index.html");
  if (!index) return index.error();
  files.index = *index;
  return files;
}

}  // namespace scalelab::lab::tour
