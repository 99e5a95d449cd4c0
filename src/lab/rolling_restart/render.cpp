#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "lab/rolling_restart/rolling_restart.h"
#include "report/charts.h"
#include "report/html.h"
#include "report/output.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

// The course's figures (midterm, ECS Fargate behind an ALB): ~35 s of
// downtime with 2 tasks at 100% minimum healthy, none with 3 at 66%.
constexpr int kCourseDowntime2At100 = 35;
constexpr int kCourseDowntime3At66 = 0;
constexpr int kCourseCheckIntervalS = 30;

// The course's figure beside a variant, where the course ran one like it.
std::optional<int> course_downtime(const RollingVariant& v) {
  if (v.strategy == RolloutStrategy::kKillFirst) return std::nullopt;
  if (v.instances == 2 && v.min_healthy_percent == 100) return kCourseDowntime2At100;
  if (v.instances == 3 && v.min_healthy_percent == 66) return kCourseDowntime3At66;
  return std::nullopt;
}

json::object axis(const std::string& title, const std::string& position = "left") {
  return json::object{{"title", json::object{{"display", true}, {"text", title}}},
                      {"beginAtZero", true},
                      {"position", position}};
}

// Palette indexes: succeeded green, failed red, healthy instances blue.
constexpr std::size_t kSucceededColor = 2, kFailedColor = 1, kHealthyColor = 0;

json::object dataset(const std::string& label, json::array data, const std::string& axis_id, std::size_t color) {
  return json::object{{"label", label}, {"data", std::move(data)}, {"pointRadius", 0}, {"borderWidth", 2},
                      {"borderColor", report::chart_color(color)}, {"backgroundColor", report::chart_color(color)},
                      {"yAxisID", axis_id}, {"stepped", axis_id == "healthy"}};
}

// Successful and failed requests per second (left axis) and healthy
// instances (right axis), each rollout event marked.
json::value variant_chart(const RollingVariantResult& v) {
  json::array labels, ok, failed, healthy;
  for (const auto& s : v.timeline) {
    labels.emplace_back(s.second);
    ok.emplace_back(s.requests - s.failures);
    failed.emplace_back(s.failures);
    healthy.emplace_back(s.healthy);
  }
  json::array datasets{dataset("succeeded / s", ok, "y", kSucceededColor),
                       dataset("failed / s", failed, "y", kFailedColor),
                       dataset("healthy instances", healthy, "healthy", kHealthyColor)};
  auto right = axis("healthy instances", "right");
  right["suggestedMax"] = v.variant.instances + 1;
  right["ticks"] = json::object{{"stepSize", 1}};
  json::value config = json::object{
      {"type", "line"},
      {"data", json::object{{"labels", labels}, {"datasets", datasets}}},
      {"options", json::object{{"maintainAspectRatio", false},
                               {"animation", false},
                               {"scales", json::object{{"x", axis("second")},
                                                       {"y", axis("requests per second")},
                                                       {"healthy", std::move(right)}}}}}};
  // Each rollout step (an instance started, healthy, stopped) where it happened.
  std::vector<report::Marker> steps;
  for (const auto& e : v.events) steps.push_back({e.at_s, e.what});
  report::add_markers(config, steps);
  return config;
}

json::object variant_json(const RollingVariantResult& v, double time_scale) {
  json::object row{{"name", v.variant.name}, {"title", v.variant.title},
                   {"strategy", std::string(to_string(v.variant.strategy))},
                   {"instances", v.variant.instances}, {"min_healthy_percent", v.variant.min_healthy_percent},
                   {"min_healthy_instances", min_healthy_instances(v.variant.instances, v.variant.min_healthy_percent)},
                   {"balancer_retries", v.variant.balancer_retries}, {"downtime_s", v.downtime_s},
                   {"error_seconds", v.error_seconds}, {"failed_requests", v.failed}, {"requests", v.requests},
                   {"seconds", v.seconds}, {"p50_ms", v.p50_ms}, {"p99_ms", v.p99_ms}, {"max_ms", v.max_ms},
                   {"min_healthy_seen", v.min_healthy_seen}, {"rollout_s", v.rollout_s},
                   {"down_detection_s", v.down_detection_s},
                   {"down_detection_course_s", v.down_detection_s * time_scale}};
  if (auto c = course_downtime(v.variant)) row["course_downtime_s"] = *c;
  else row["course_downtime_s"] = nullptr;
  return row;
}

json::object summary_json(const RollingRestartResult& r) {
  json::array variants;
  for (const auto& v : r.variants) variants.emplace_back(variant_json(v, r.time_scale));
  return {{"experiment", "rolling-restart"}, {"cpu_cores", r.cpu_cores}, {"limit", r.limit},
          {"rate", r.rate}, {"time_scale", r.time_scale},
          {"health_check", json::object{{"interval_ms", r.check_interval.count()}, {"rise", r.rise},
                                        {"fall", r.fall}, {"course_interval_s", kCourseCheckIntervalS}}},
          {"variants", std::move(variants)}};
}

std::string timeline_csv(const RollingRestartResult& r) {
  std::string csv = "variant,second,requests,failures,p99_ms,healthy,registered\n";
  for (const auto& v : r.variants)
    for (const auto& s : v.timeline)
      csv += fmt::format("{},{},{},{},{:.3f},{},{}\n", v.variant.name, s.second, s.requests, s.failures, s.p99_ms,
                         s.healthy, s.registered);
  return csv;
}

void add_setup(report::HtmlReport& page, const RollingRestartResult& r) {
  page.paragraph(fmt::format(
      "Every instance of the catalog (scalelab serve catalog --threads 1, each a child process; CPU: {}) is "
      "replaced one at a time behind a private HAProxy while {:.0f} GET /products/search arrive per second "
      "(the load engine's open model: arrivals keep their schedule whatever the servers do, so an outage shows as "
      "failed requests in the second it happened). Health checks every {} ms, healthy after {}, down after {}: the "
      "course's ALB check (every {} s, healthy after 2) divided by {:g}. Downtime is the number of whole seconds in "
      "which no request succeeded.",
      r.limit, r.rate, r.check_interval.count(), r.rise, r.fall, kCourseCheckIntervalS, r.time_scale));
  page.paragraph(
      "The course (midterm, ECS Fargate tasks behind an ALB) measured about 35 s of downtime replacing 2 tasks at "
      "100% minimum healthy and none with 3 tasks at 66%.");
}

void add_table(report::HtmlReport& page, const RollingRestartResult& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : r.variants) {
    auto c = course_downtime(v.variant);
    rows.push_back({v.variant.title, fmt::format("{} s", v.downtime_s), std::to_string(v.failed),
                    fmt::format("{} of {}", v.error_seconds, v.timeline.size()), std::to_string(v.requests),
                    fmt::format("{:.2f} ms", v.p99_ms),
                    fmt::format("{} (at least {})", v.min_healthy_seen,
                                min_healthy_instances(v.variant.instances, v.variant.min_healthy_percent)),
                    fmt::format("{:.1f} s", v.rollout_s),
                    v.down_detection_s > 0 ? fmt::format("{:.2f} s (x{:g}: {:.0f} s)", v.down_detection_s,
                                                         r.time_scale, v.down_detection_s * r.time_scale)
                                           : "-",
                    c ? (*c == 0 ? "none" : fmt::format("~{} s", *c)) : "(not run)"});
  }
  page.table({"variant", "downtime", "failed requests", "seconds with failures", "requests", "p99",
              "fewest healthy", "rollout", "a killed instance marked down after", "course's downtime"},
             rows);
}

// What the drained variants and the naive one say, from this run's numbers.
void add_reading(report::HtmlReport& page, const RollingRestartResult& r) {
  std::uint64_t drained_failed = 0;
  const RollingVariantResult* naive = nullptr;
  for (const auto& v : r.variants) {
    if (v.variant.strategy == RolloutStrategy::kKillFirst) naive = &v;
    else drained_failed += v.failed;
  }
  page.paragraph(fmt::format(
      "Reading: the rollouts that drain an instance in the balancer before stopping it lost {} request(s), whether "
      "the replacement came first (surge) or one instance left first (66%). HAProxy also retries a GET whose "
      "connection failed on another instance.",
      drained_failed));
  if (!naive) return;
  page.paragraph(fmt::format(
      "The naive variant is not what an ECS deployment does (ECS deregisters a task from its target group before "
      "stopping it); it is a hypothesis for the course's ~35 s. A killed instance stays registered and keeps "
      "receiving requests until its health checks fail {} times in a row: here that took {:.2f} s on average "
      "(checks every {} ms), during which {} requests failed, about half of them with 2 instances and round robin, "
      "over {} second(s) ({} s of full downtime by this page's measure). At the course's 30 s checks the same window "
      "is {:.0f} s ({:.2f} s x {:g}), the order of the ~35 s it reported, and a balancer that does not retry (an "
      "ALB does not) passes every one of those failures on to the client.",
      r.fall, naive->down_detection_s, r.check_interval.count(), naive->failed, naive->error_seconds,
      naive->downtime_s, naive->down_detection_s * r.time_scale, naive->down_detection_s, r.time_scale));
}

void add_variant(report::HtmlReport& page, const RollingVariantResult& v) {
  page.heading(v.variant.title);
  page.chart(fmt::format("{}: requests per second and healthy instances", v.variant.name), variant_chart(v));
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : v.events) rows.push_back({fmt::format("{:.1f} s", e.at_s), e.what});
  page.table({"time", "rollout step"}, rows);
}

}  // namespace

Result<RollingRestartFiles> render_rolling_restart(const RollingRestartResult& result,
                                                   const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  RollingRestartFiles files;
  auto csv = out.data("timeline.csv", timeline_csv(result), "timeline.csv");
  if (!csv) return csv.error();
  files.csv = *csv;
  auto json_file = out.summary(summary_json(result));
  if (!json_file) return json_file.error();
  files.json = *json_file;
  report::HtmlReport page("midterm: a rolling restart behind HAProxy");
  add_setup(page, result);
  add_table(page, result);
  add_reading(page, result);
  for (const auto& v : result.variants) add_variant(page, v);
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
