#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "core/text.h"
#include "lab/hw6_scaling/hw6_scaling.h"
#include "report/charts.h"
#include "report/output.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

std::string seconds_text(std::chrono::milliseconds d) { return fmt::format("{:.1f} s", d.count() / 1000.0); }
std::string ms(double v) { return fmt::format("{:.2f} ms", v); }
std::string reaction_text(const Hw6ScalingRun& r) {
  return r.scale_out_reaction_s ? fmt::format("{:.0f} s", *r.scale_out_reaction_s) : std::string("no scale-out");
}

json::value optional_number(const std::optional<double>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object run_json(const Hw6ScalingRun& r) {
  return {{"name", r.name}, {"policy", r.policy}, {"shape", r.shape}, {"target_cpu", r.target_cpu},
          {"scale_out_reaction_s", optional_number(r.scale_out_reaction_s)}, {"max_instances", r.max_instances},
          {"min_instances_seen", r.min_instances_seen}, {"instance_seconds", r.instance_seconds},
          {"requests", r.requests}, {"failed_requests", r.failures}, {"breaking_p50_ms", r.p50_ms},
          {"breaking_p99_ms", r.p99_ms}, {"scale_events", r.events.size()}};
}

json::object summary_json(const Hw6ScalingResult& r) {
  json::object s{{"experiment", "hw6-scaling"}, {"limit", r.limit}, {"time_scale", r.time_scale},
                 {"sync_s", r.sync.count() / 1000.0}, {"check_interval_s", r.check_interval.count() / 1000.0},
                 {"cooldown_s", r.cooldown.count() / 1000.0}, {"one_instance_rps", r.one_instance_rps}};
  const auto main = run_json(r.scaling);
  for (const char* k : {"scale_out_reaction_s", "max_instances", "min_instances_seen"}) s[k] = main.at(k);
  s["scaling"] = main;
  for (const auto& l : r.loss)
    s[l.how == "kill -9" ? "failed_requests_kill9" : "failed_requests_graceful"] = l.failures;
  json::array loss, variants, sizing;
  for (const auto& l : r.loss)
    loss.push_back(json::object{{"how", l.how}, {"instances", l.instances}, {"requests", l.requests},
                                {"failed_requests", l.failures}, {"p99_ms", l.p99_ms}});
  for (const auto& v : r.variants) variants.push_back(run_json(v));
  for (const auto& p : r.sizing)
    sizing.push_back(json::object{{"layout", p.layout}, {"instances", p.instances}, {"cores_each", p.cores_each},
                                  {"rps", p.rps}, {"p50_ms", p.p50_ms}, {"p99_ms", p.p99_ms},
                                  {"failed_requests", p.failures}, {"usd_per_million", p.usd_per_million}});
  s["loss"] = std::move(loss);
  s["variants"] = std::move(variants);
  s["sizing"] = std::move(sizing);
  return s;
}

std::string timeline_csv(const Hw6ScalingRun& run) {
  std::string csv = "second,phase,rps,failures,p50_ms,p99_ms,instances,ready,cpu_percent,instance_cpu\n";
  for (const auto& s : run.timeline) {
    std::string each;  // "i1:45.2;i2:50.1"
    for (const auto& [name, percent] : s.instance_cpu) each += fmt::format("{}{}:{:.1f}", each.empty() ? "" : ";", name, percent);
    csv += fmt::format("{},{},{:.1f},{},{:.3f},{:.3f},{},{},{},{}\n", s.second, s.phase, s.rps, s.failures, s.p50_ms,
                       s.p99_ms, s.instances, s.ready, s.cpu_percent ? fmt::format("{:.1f}", *s.cpu_percent) : "", each);
  }
  return csv;
}

std::string decisions_csv(const Hw6ScalingResult& r) {
  std::string csv = "run,at_s,from,to,reason,action\n";
  std::vector<const Hw6ScalingRun*> runs{&r.scaling};
  for (const auto& v : r.variants) runs.push_back(&v);
  for (const auto* run : runs)
    for (const auto& e : run->events)
      csv += fmt::format("{},{:.1f},{},{},{},{}\n", core::csv_field(run->name), e.at_s, e.from, e.to,
                         core::csv_field(e.reason), core::csv_field(e.action));
  return csv;
}

// A series per instance that ever ran; NaN (a gap) where it was not running.
std::vector<report::LineSeries> per_instance_cpu(const std::vector<Hw6ScalingSecond>& timeline) {
  std::vector<report::LineSeries> out;
  auto series_of = [&](const std::string& name) -> report::LineSeries& {
    for (auto& s : out)
      if (s.label == name) return s;
    out.push_back({name, std::vector<double>(timeline.size(), std::nan(""))});
    return out.back();
  };
  for (std::size_t t = 0; t < timeline.size(); ++t)
    for (const auto& [name, percent] : timeline[t].instance_cpu) series_of(name).values[t] = percent;
  return out;
}

void add_setup(report::HtmlReport& page, const Hw6ScalingResult& r) {
  page.paragraph(fmt::format(
      "The catalog search (GET /products/search, 100 products checked per search) as separate processes, each "
      "under a CPU quota ({}), behind a private HAProxy (round robin, health check GET /health, retry-on "
      "conn-failure/empty-response/response-timeout with redispatch), scaled by scalelab's autoscaler on each "
      "instance's CPU measured from its cgroup. The course: an AWS ALB and ECS target tracking at 70% average CPU, "
      "min 2, max 4, health check every 30 s healthy after 2, cooldowns 300 s, CloudWatch's 60 s periods. Here "
      "every period is divided by {:.0f}: sync {}, health check every {}, cooldowns {}.",
      r.limit, r.time_scale, seconds_text(r.sync), seconds_text(r.check_interval), seconds_text(r.cooldown)));
}

// Where the load changes phase (light, breaking, light again): between the
// last second of one phase and the first of the next.
std::vector<report::Marker> phase_markers(const std::vector<Hw6ScalingSecond>& t) {
  std::vector<report::Marker> markers;
  for (std::size_t i = 1; i < t.size(); ++i)
    if (t[i].phase != t[i - 1].phase) markers.push_back({(t[i - 1].second + t[i].second) / 2.0, t[i].phase});
  return markers;
}

void add_scaling(report::HtmlReport& page, const Hw6ScalingResult& r) {
  const auto& s = r.scaling;
  page.heading("Scaling under the breaking load");
  page.paragraph(fmt::format(
      "A light load (an open-model rate of a quarter of one instance's measured {:.0f} req/s), then the breaking load "
      "({} closed-loop users, no wait) from second {:.0f}, then the light load again.",
      r.one_instance_rps, r.users, s.step_at_s));
  page.table({"", "scalelab", "course"},
             {{"scale-out reaction (load step -> a new instance serving)", reaction_text(s),
               "not given; by its settings at least 3 min (3 one-minute alarm periods), then a task start and 2 x 30 s "
               "health checks"},
              {"instances: fewest / most", fmt::format("{} / {}", s.min_instances_seen, s.max_instances), "2 / 4"},
              {"breaking load p50 / p99", fmt::format("{} / {}", ms(s.p50_ms), ms(s.p99_ms)), ""},
              {"failed requests", fmt::format("{} of {}", s.failures, s.requests), ""},
              {"instance-seconds (cost)", fmt::format("{:.0f}", s.instance_seconds), ""}});
  std::vector<double> x;
  report::LineSeries instances{"instances", {}, true}, ready{"healthy", {}, true}, cpu{"avg CPU % of quota", {}},
      rps{"req/s", {}}, p50{"p50", {}}, p99{"p99", {}}, failures{"failures/s", {}};
  for (const auto& t : s.timeline) {
    x.push_back(t.second);
    instances.values.push_back(t.instances);
    ready.values.push_back(t.ready);
    cpu.values.push_back(t.cpu_percent.value_or(0));
    rps.values.push_back(t.rps);
    p50.values.push_back(t.p50_ms);
    p99.values.push_back(t.p99_ms);
    failures.values.push_back(static_cast<double>(t.failures));
  }
  const auto phases = phase_markers(s.timeline);
  auto chart = [&](const std::string& caption, const std::vector<report::LineSeries>& lines, const std::string& y) {
    auto config = report::line_chart(x, lines, "second", y);
    report::add_markers(config, phases);
    page.chart(caption, config);
  };
  chart("Instances (registered, healthy): each step is a scale event", {instances, ready}, "instances");
  chart("Average CPU of the healthy instances", {cpu}, "% of quota");
  chart("CPU of each instance (gaps: not running)", per_instance_cpu(s.timeline), "% of its quota");
  chart("Throughput and failures", {rps, failures}, "per second");
  chart("Latency", {p50, p99}, "ms");
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : s.events)
    rows.push_back({fmt::format("{:.1f} s", e.at_s), fmt::format("{} -> {}", e.from, e.to), e.reason, e.action});
  page.table({"at", "instances", "why", "done"}, rows);
}

void add_loss(report::HtmlReport& page, const Hw6ScalingResult& r) {
  if (r.loss.empty()) return;
  page.heading("An instance stopped under load");
  std::vector<std::vector<std::string>> rows;
  for (const auto& l : r.loss)
    rows.push_back({l.how, fmt::format("{}", l.instances), fmt::format("{}", l.requests), fmt::format("{}", l.failures),
                    ms(l.p99_ms)});
  page.table({"how", "instances", "requests", "failed", "p99"}, rows);
  page.paragraph(
      "kill -9 is a crash: the balancer learns of it from refused connections (retried on another instance, "
      "`retry-on conn-failure` with `option redispatch`) and from its health checks. A graceful stop drains the "
      "instance in the balancer first (no new requests, in-flight ones finish), then sends SIGTERM. GETs are "
      "idempotent and retried. The course stopped an instance under load too, but gives no figure.");
}

void add_variants(report::HtmlReport& page, const Hw6ScalingResult& r) {
  if (r.variants.empty()) return;
  page.heading("Targets, rules and load shapes");
  std::vector<std::vector<std::string>> rows;
  auto row = [](const Hw6ScalingRun& v) {
    return std::vector<std::string>{v.name, v.policy, fmt::format("{:.0f}%", v.target_cpu), v.shape,
                                    reaction_text(v), fmt::format("{}", v.max_instances), ms(v.p99_ms),
                                    fmt::format("{}", v.failures), fmt::format("{:.0f}", v.instance_seconds)};
  };
  rows.push_back(row(r.scaling));
  for (const auto& v : r.variants) rows.push_back(row(v));
  page.table({"run", "rule", "target", "load", "reaction", "most instances", "p99 (breaking)", "failed",
              "instance-seconds"},
             rows);
  page.paragraph(
      "A lower target scales out sooner and further and pays for more instance-seconds; a higher one runs hotter "
      "with a longer tail. The HPA rule acts on one sync above its 10% tolerance band; target tracking waits for "
      "three datapoints above the target (CloudWatch's alarm), so it reacts later. A gradual ramp crosses the "
      "target later than a spike.");
}

void add_sizing(report::HtmlReport& page, const Hw6ScalingResult& r) {
  if (r.sizing.empty()) return;
  page.heading("Horizontal vs vertical");
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.sizing)
    rows.push_back({p.layout, fmt::format("{:.2f}", p.instances * p.cores_each), fmt::format("{:.0f}", p.rps),
                    ms(p.p50_ms), ms(p.p99_ms), fmt::format("{}", p.failures),
                    fmt::format("${:.4f}", p.usd_per_million)});
  page.table({"layout", "vCPU", "req/s", "p50", "p99", "failed", "per million requests"}, rows);
  page.paragraph(fmt::format(
      "The same {} users against each layout, through the balancer. The cost is vCPU-hours only, at Fargate's "
      "${:.5f} per vCPU-hour; memory is extra. On a 2-core machine the load generator and HAProxy share the cores "
      "with the instances: where req/s stops growing with more vCPU, the machine, not the layout, is the limit.",
      r.users, kFargateUsdPerVcpuHour));
}

}  // namespace

Result<Hw6ScalingFiles> render_hw6_scaling(const Hw6ScalingResult& result, const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  Hw6ScalingFiles files;
  auto timeline = out.data("timeline.csv", timeline_csv(result.scaling), "timeline.csv (the scaling run, per second)");
  if (!timeline) return timeline.error();
  files.timeline_csv = *timeline;
  auto decisions = out.data("decisions.csv", decisions_csv(result), "decisions.csv (every scale event, why)");
  if (!decisions) return decisions.error();
  files.decisions_csv = *decisions;
  auto summary = out.summary(summary_json(result));
  if (!summary) return summary.error();
  files.json = *summary;
  report::HtmlReport page("hw6 part III: scaling out behind a load balancer");
  add_setup(page, result);
  add_scaling(page, result);
  add_loss(page, result);
  add_variants(page, result);
  add_sizing(page, result);
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
