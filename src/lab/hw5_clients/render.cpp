#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "lab/hw5_clients/hw5_clients.h"
#include "load/html_report.h"
#include "report/output.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

std::string client_name(const Hw5ClientsRun& run) { return std::string(load::to_string(run.client)); }

std::vector<std::vector<std::string>> table_rows(const std::vector<Hw5ClientsRun>& runs) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& run : runs) {
    const auto& r = run.report;
    rows.push_back({client_name(run), fmt::format("{}", run.users), fmt::format("{}", r.aggregate.count),
                    fmt::format("{}", r.aggregate.failures), fmt::format("{:.0f}", r.rps()),
                    fmt::format("{:.2f}", r.aggregate.quantile_ms(0.5)),
                    fmt::format("{:.2f}", r.aggregate.quantile_ms(0.95)),
                    fmt::format("{:.2f}", r.aggregate.quantile_ms(0.99)),
                    fmt::format("{:.0f}%", 100 * r.check.generator_busy),
                    r.check.trustworthy ? "yes" : "no: generator-bound"});
  }
  return rows;
}

std::string runs_csv(const std::vector<Hw5ClientsRun>& runs) {
  std::string csv = "client,users,requests,failures,rps,mean_ms,p50_ms,p95_ms,p99_ms,generator_busy\n";
  for (const auto& run : runs) {
    const auto& r = run.report;
    fmt::format_to(std::back_inserter(csv), "{},{},{},{},{:.1f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f}\n",
                   client_name(run), run.users, r.aggregate.count, r.aggregate.failures, r.rps(),
                   r.aggregate.mean_ms(), r.aggregate.quantile_ms(0.5), r.aggregate.quantile_ms(0.95),
                   r.aggregate.quantile_ms(0.99), r.check.generator_busy);
  }
  return csv;
}

json::object summary_json(const Hw5ClientsResult& result) {
  json::array runs, reading;
  for (const auto& run : result.runs) {
    const auto& r = run.report;
    runs.push_back(json::object{{"client", client_name(run)},
                                {"users", run.users},
                                {"requests", r.aggregate.count},
                                {"failures", r.aggregate.failures},
                                {"rps", r.rps()},
                                {"p50_ms", r.aggregate.quantile_ms(0.5)},
                                {"p95_ms", r.aggregate.quantile_ms(0.95)},
                                {"p99_ms", r.aggregate.quantile_ms(0.99)},
                                {"generator_busy", r.check.generator_busy},
                                {"trustworthy", r.check.trustworthy}});
  }
  for (const auto& line : result.reading) reading.emplace_back(line);
  return json::object{{"experiment", "hw5-clients"},
                      {"host", result.host},
                      {"duration_s", std::chrono::duration<double>(result.duration).count()},
                      {"wait_ms", result.wait.count()},
                      {"runs", runs},
                      {"reading", reading}};
}

json::value rps_by_users_chart(const std::vector<Hw5ClientsRun>& runs) {
  json::array simple, fast;
  for (const auto& run : runs)
    (run.client == load::ClientKind::kSimple ? simple : fast)
        .push_back(json::object{{"x", run.users}, {"y", std::round(run.report.rps())}});
  auto series = [](const char* label, json::array points, std::size_t color) {
    return json::object{{"label", label}, {"data", std::move(points)},
                        {"borderColor", report::chart_color(color)}, {"backgroundColor", report::chart_color(color)}};
  };
  auto axis = [](const char* title) { return json::object{{"display", true}, {"text", title}}; };
  json::object scales{{"x", json::object{{"type", "linear"}, {"title", axis("users")}}},
                      {"y", json::object{{"title", axis("requests/s")}}}};
  return json::object{
      {"type", "line"},
      {"data", json::object{{"datasets", json::array{series("simple", simple, 0), series("fast", fast, 1)}}}},
      {"options", json::object{{"maintainAspectRatio", false}, {"animation", false}, {"parsing", false},
                               {"scales", scales}}}};
}

void add_setup(report::HtmlReport& page, const Hw5ClientsResult& result) {
  page.paragraph(fmt::format(
      "The same load against the albums service at {}: each user picks GET /albums/{{1..3}} (weight 3) or POST "
      "/albums (weight 1) {}, for {:.0f} s per run. The simple client opens a new TCP connection for "
      "every request and runs a thread per user (like a naive client); the fast client keeps connections alive "
      "and runs every user as a coroutine on one thread.",
      result.host,
      result.wait.count() ? fmt::format("then waits {} ms", result.wait.count()) : std::string("with no wait"),
      std::chrono::duration<double>(result.duration).count()));
  page.table({"client", "users", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms", "generator CPU",
              "trustworthy"},
             table_rows(result.runs));
}

void add_reading(report::HtmlReport& page, const Hw5ClientsResult& result) {
  page.heading("When is the client the bottleneck?");
  for (const auto& r : result.reading) page.paragraph(r);
  page.paragraph(
      "The course's question: many students saw no difference between the two clients because with few users a "
      "closed-model client spends almost all its time waiting for the server; the client's own cost only shows "
      "once it has to produce requests faster than one core can, and then its CPU, not the server, sets the "
      "rate. The generator CPU column is the check: near 100% means the numbers describe the client.");
}

void add_charts(report::HtmlReport& page, const std::vector<Hw5ClientsRun>& runs) {
  page.chart("Requests per second by number of users", rps_by_users_chart(runs));
  if (runs.size() < 2) return;
  // The largest user count: where the clients differ most.
  const auto& simple = runs[runs.size() - 2];
  const auto& fast = runs.back();
  page.chart(fmt::format("Requests per second over time at {} users", fast.users),
             load::throughput_chart({{"simple", &simple.report}, {"fast", &fast.report}}));
  page.chart(fmt::format("Latency distribution at {} users", fast.users),
             load::latency_distribution_chart({{"simple", &simple.report}, {"fast", &fast.report}}));
}

}  // namespace

Result<Hw5ClientsFiles> render_hw5_clients(const Hw5ClientsResult& result, const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  Hw5ClientsFiles files;
  auto csv = out.data("results.csv", runs_csv(result.runs), "All runs (CSV): results.csv");
  if (!csv) return csv.error();
  files.csv = *csv;
  auto json_file = out.summary(summary_json(result));
  if (!json_file) return json_file.error();
  files.json = *json_file;
  report::HtmlReport page("hw5: the simple vs the fast load-generator client");
  add_setup(page, result);
  add_reading(page, result);
  add_charts(page, result.runs);
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
