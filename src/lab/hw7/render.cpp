// render_hw7(): the raw numbers (runs.csv, depth.csv, sync_samples.csv),
// summary.json and the page, through report::Output.
#include <boost/json.hpp>
#include <fmt/format.h>

#include "lab/hw7/internal.h"
#include "report/output.h"

namespace scalelab::lab {

namespace hw7_detail {

namespace {

namespace json = boost::json;

// Every async run in table order: part 2, the probes, the functions.
std::vector<const Hw7AsyncRun*> all_runs(const Hw7Result& r) {
  std::vector<const Hw7AsyncRun*> runs;
  for (const auto& a : r.async) runs.push_back(&a);
  if (r.search)
    for (const auto& a : r.search->probes) runs.push_back(&a);
  if (r.functions) runs.push_back(&*r.functions);
  return runs;
}

std::string runs_csv(const Hw7Result& r) {
  std::string csv =
      "kind,workers,rate,duration_s,attempts,accepted,accept_pct,accept_p50_ms_wall,accept_p99_ms_wall,peak_depth,"
      "depth_at_end,keeps_up,drain_s,left,projected_drain_s,throughput_per_s,cpu_s_wall,cpu_ms_per_order,"
      "peak_rss_mb,audit_ok\n";
  for (const auto* a : all_runs(r))
    csv += fmt::format("{},{},{},{},{},{},{:.2f},{:.3f},{:.3f},{},{},{},{},{},{:.1f},{:.2f},{:.3f},{:.3f},{:.1f},{}\n",
                       to_string(a->kind), a->workers, a->rate, a->duration_s, a->attempts, a->accepted,
                       a->accept_pct, a->accept_p50_ms, a->accept_p99_ms, a->peak_depth, a->depth_at_end, a->keeps_up,
                       a->drain_s ? fmt::format("{:.2f}", *a->drain_s) : std::string(), a->left,
                       a->projected_drain_s, a->throughput_per_s, a->cpu_s, a->cpu_ms_per_order, a->peak_rss_mb,
                       a->audit_ok);
  return csv;
}

std::string depth_csv(const Hw7Result& r) {
  std::string csv = "kind,workers,t_s,depth,accepted,done,busy,instances,cpu_pct_wall,rss_mb\n";
  for (const auto* a : all_runs(r))
    for (const auto& p : a->timeline)
      csv += fmt::format("{},{},{:.3f},{},{},{},{},{},{:.1f},{:.1f}\n", to_string(a->kind), a->workers, p.t_s, p.depth,
                         p.accepted, p.done, p.busy, p.instances, p.cpu_pct, p.rss_mb);
  return csv;
}

std::string sync_csv(const Hw7Result& r) {
  std::string csv = "phase,start_s,latency_s,status\n";
  for (const auto* p : {r.normal ? &*r.normal : nullptr, r.flash ? &*r.flash : nullptr})
    if (p)
      for (const auto& x : p->samples)
        csv += fmt::format("{},{:.3f},{:.3f},{}\n", to_string(p->load), x.start_s, x.latency_s, x.status);
  return csv;
}

json::object functions_json(const orders::FunctionStats& f) {
  return {{"invocations", f.invocations},
          {"cold_starts", f.cold_starts},
          {"peak_concurrency", f.peak_concurrency},
          {"peak_instances", f.peak_instances},
          {"completed", f.completed},
          {"dead_lettered", f.dead_lettered},
          {"billed_ms_wall", f.billed_ms},
          {"gb_seconds_wall", f.gb_seconds},
          {"init_p50_ms_wall", f.init_p50_ms},
          {"init_max_ms_wall", f.init_max_ms},
          {"duration_p50_ms_wall", f.duration_p50_ms},
          {"duration_p99_ms_wall", f.duration_p99_ms}};
}

json::object run_json(const Hw7AsyncRun& r) {
  json::object o{{"kind", to_string(r.kind)},
                 {"workers", r.workers},
                 {"rate", r.rate},
                 {"duration_s", r.duration_s},
                 {"attempts", r.attempts},
                 {"accepted", r.accepted},
                 {"server_accepted", r.server_accepted},
                 {"accept_pct", r.accept_pct},
                 {"accept_p50_ms", r.accept_p50_ms},
                 {"accept_p99_ms", r.accept_p99_ms},
                 {"peak_depth", r.peak_depth},
                 {"depth_at_end", r.depth_at_end},
                 {"keep_up_bound", r.keep_up_bound},
                 {"keeps_up", r.keeps_up},
                 {"drain_waited_s", r.drain_waited_s},
                 {"left", r.left},
                 {"throughput_per_s", r.throughput_per_s},
                 {"projected_drain_s", r.projected_drain_s},
                 {"cpu_s", r.cpu_s},
                 {"cpu_ms_per_order", r.cpu_ms_per_order},
                 {"cpu_pct", r.cpu_pct},
                 {"peak_rss_mb", r.peak_rss_mb},
                 {"audit_ok", r.audit_ok},
                 {"audit", r.audit_text}};
  o["drain_s"] = r.drain_s ? json::value(*r.drain_s) : json::value(nullptr);
  if (r.functions) o["functions"] = functions_json(*r.functions);
  return o;
}

json::object sync_json(const Hw7SyncPhase& p) {
  return {{"phase", to_string(p.load)},  {"users", p.users},           {"duration_s", p.duration_s},
          {"attempts", p.attempts},      {"answered", p.answered()},   {"ok", p.ok},
          {"rejected_503", p.rejected},  {"errors", p.errors},         {"unfinished", p.unfinished},
          {"success_pct", p.success_pct()}, {"p50_s", p.p50_s},        {"p99_s", p.p99_s},
          {"ok_p50_s", p.ok_p50_s},      {"completed_per_s", p.completed_per_s}};
}

json::object search_json(const Hw7Search& s) {
  json::array probes;
  for (const auto& a : s.probes) probes.emplace_back(run_json(a));
  return {{"minimum", s.minimum ? json::value(*s.minimum) : json::value()},
          {"arithmetic", s.arithmetic},
          {"note", s.note},
          {"probes", std::move(probes)}};
}

json::object cost_json(const Hw7Cost& c) {
  json::array cases;
  for (const auto& x : c.cases)
    cases.emplace_back(json::object{{"name", x.name},
                                    {"requests", x.requests},
                                    {"gb_seconds", x.cost.gb_seconds},
                                    {"functions_usd", x.cost.functions_usd},
                                    {"tasks_usd", x.cost.tasks_usd}});
  return {{"billed_s_per_request", c.billed_s_per_request},
          {"gb_s_per_request", c.gb_s_per_request},
          {"break_even_requests", c.break_even_requests},
          {"break_even_rate", c.break_even_rate},
          {"cases", std::move(cases)}};
}

json::object summary_json(const Hw7Result& r) {
  const Hw7Options& o = r.options;
  json::object summary{{"experiment", "hw7"},
                       {"time_scale", o.time_scale},
                       {"broker", r.broker},
                       {"payment_delay_s", seconds(o.payment_delay)},
                       {"sync_wait_s", seconds(o.sync_wait)},
                       {"rate", o.rate},
                       {"load_average", r.load_average},
                       {"verdict", json::value_from(r.verdict)}};
  if (r.normal) summary["sync_normal"] = sync_json(*r.normal);
  if (r.flash) summary["sync_flash"] = sync_json(*r.flash);
  json::array async;
  for (const auto& a : r.async) async.emplace_back(run_json(a));
  summary["async"] = std::move(async);
  if (r.search) summary["search"] = search_json(*r.search);
  if (r.functions) summary["functions"] = run_json(*r.functions);
  if (r.cost) summary["cost"] = cost_json(*r.cost);
  if (r.kill_node) summary["kill_node"] = kill_json(*r.kill_node);
  return summary;
}

}  // namespace

}  // namespace hw7_detail

Result<Hw7Files> render_hw7(const Hw7Result& r, const std::filesystem::path& out_dir) {
  using namespace hw7_detail;
  report::Output out(out_dir);
  Hw7Files files;
  auto runs = out.data("runs.csv", runs_csv(r), "runs.csv (one row per async run and probe)");
  if (!runs) return runs.error();
  files.runs_csv = *runs;
  auto depth = out.data("depth.csv", depth_csv(r), "depth.csv (queue depth, orders done, CPU and RSS over time)");
  if (!depth) return depth.error();
  files.depth_csv = *depth;
  auto sync = out.data("sync_samples.csv", sync_csv(r), "sync_samples.csv (every sync order)");
  if (!sync) return sync.error();
  files.sync_csv = *sync;
  auto summary = out.summary(summary_json(r));
  if (!summary) return summary.error();
  files.summary = *summary;
  report::HtmlReport page = build_page(r);
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
