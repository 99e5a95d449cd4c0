// report_samples OUT_DIR: writes every report a person reads (each lab's
// page, the tour's index, `scalelab compare --html` and `scalelab load
// --html`) from hand-made results (samples.h), in a second, without running
// an experiment; the browser test (tests/browser/reports.mjs) opens them.
// OUT_DIR/reports.json lists them: name, page (relative to OUT_DIR), and
// whether the page must mark phase or fault boundaries on its charts.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "lab/tour/tour.h"
#include "load/html_report.h"
#include "report/compare.h"
#include "report_samples/samples.h"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace scalelab;

namespace {

struct Written {
  std::string name;
  fs::path report, summary;  // summary: empty when the page has none
  bool marks = false;        // its charts have phases or faults to mark
};

// Renders one lab into out/name; exits the program on failure (a sample that
// cannot render is a bug the browser test must not hide).
template <typename Render, typename Sample>
Written lab_report(const fs::path& out, const std::string& name, Render render, const Sample& sample, bool marks) {
  auto files = render(sample, out / name);
  if (!files) {
    std::fprintf(stderr, "report_samples: %s: %s\n", name.c_str(), files.error().message.c_str());
    std::exit(1);
  }
  if constexpr (requires { files->summary; }) return {name, files->report, files->summary, marks};
  else return {name, files->report, files->json, marks};
}

json::value read_json(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// The tour's index over the sampled labs: every experiment ok, linking its page.
Written tour_index(const fs::path& out, const std::vector<Written>& labs) {
  lab::tour::TourResult t{.quick = true, .seconds = 265};
  for (const auto& e : lab::tour::course()) {
    lab::tour::ExperimentRun run{.name = e.name, .status = lab::tour::Status::kSkipped,
                                 .reason = "no sample for it"};
    for (const auto& w : labs)
      if (w.name == e.name)
        run = {.name = e.name, .status = lab::tour::Status::kOk, .seconds = 20,
               .report = fs::relative(w.report, out).string(), .summary = read_json(w.summary)};
    t.runs.push_back(std::move(run));
  }
  auto files = lab::tour::render_tour(t, out);
  if (!files) {
    std::fprintf(stderr, "report_samples: tour: %s\n", files.error().message.c_str());
    std::exit(1);
  }
  return {"tour-index", files->index, {}, false};
}

// `scalelab compare --html` of two hw6-bottleneck runs, the second slower.
Written compare_page(const fs::path& out, const fs::path& summary) {
  auto a = read_json(summary);
  auto b = a;
  b.as_object()["phase_2"].as_object()["p50_ms"] = 300.0;
  auto c = report::compare(a, b);
  if (!c) {
    std::fprintf(stderr, "report_samples: compare: %s\n", c.error().message.c_str());
    std::exit(1);
  }
  report::HtmlReport page("Two runs of " + c->kind + " compared");
  report::add_comparison(page, *c, "a/summary.json", "b/summary.json");
  const auto file = out / "compare" / "report.html";
  fs::create_directories(file.parent_path());
  if (auto st = page.write(file); !st) {
    std::fprintf(stderr, "report_samples: compare: %s\n", st.error().message.c_str());
    std::exit(1);
  }
  return {"compare", file, {}, false};
}

Written load_page(const fs::path& out) {
  const auto file = out / "load" / "report.html";
  fs::create_directories(file.parent_path());
  if (auto st = load::write_load_report(samples::load_run(20, 40, 9), file); !st) {
    std::fprintf(stderr, "report_samples: load: %s\n", st.error().message.c_str());
    std::exit(1);
  }
  return {"load", file, {}, true};  // its live edit is a boundary
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: report_samples OUT_DIR\n");
    return 2;
  }
  const fs::path out = argv[1];
  fs::remove_all(out);
  fs::create_directories(out);
  std::vector<Written> labs{
      lab_report(out, "hw1", lab::render_hw1, samples::hw1(), false),
      lab_report(out, "hw2", lab::render_hw2, samples::hw2(), false),
      lab_report(out, "hw3", lab::render_hw3, samples::hw3(), false),
      lab_report(out, "hw3-load", lab::render_hw3_load, samples::hw3_load(), false),
      lab_report(out, "hw4", lab::render_hw4, samples::hw4(), false),
      lab_report(out, "hw5-clients", lab::render_hw5_clients, samples::hw5_clients(), false),
      lab_report(out, "hw6-bottleneck", lab::render_hw6_bottleneck, samples::hw6_bottleneck(), true),
      lab_report(out, "hw6-scaling", lab::render_hw6_scaling, samples::hw6_scaling(), true),
      lab_report(out, "rolling-restart", lab::render_rolling_restart, samples::rolling_restart(), true),
      lab_report(out, "hw7", lab::render_hw7, samples::hw7(), false),
      lab_report(out, "midterm", lab::render_midterm, samples::midterm(), true),
      lab_report(out, "redis-failover", lab::render_redis_failover, samples::redis_failover(), true)};
  auto all = labs;
  all.push_back(tour_index(out, labs));
  all.push_back(compare_page(out, labs[6].summary));
  all.push_back(load_page(out));
  json::array list;
  for (const auto& w : all)
    list.emplace_back(json::object{{"name", w.name}, {"page", fs::relative(w.report, out).string()},
                                   {"marks", w.marks}});
  std::ofstream(out / "reports.json") << json::serialize(list) << "\n";
  std::printf("report_samples: %zu reports in %s\n", all.size(), out.c_str());
  return 0;
}
