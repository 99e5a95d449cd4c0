#include "lab/hw5_clients.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "core/json.h"
#include "http/server.h"
#include "load/html_report.h"
#include "report/output.h"
#include "load/engine.h"
#include "load/output.h"
#include "lab/local_albums.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

load::Template compiled(const std::string& text) {
  auto t = load::Template::compile(text);
  if (!t) throw std::logic_error(t.error().message);
  return std::move(*t);
}

}  // namespace

load::Scenario albums_mix_scenario(const std::string& host, unsigned users, std::chrono::milliseconds duration,
                                   load::ClientKind client, const std::string& id_prefix) {
  load::Scenario s;
  s.name = fmt::format("albums GET:POST 3:1, {} users, {}", users, load::to_string(client));
  s.host = host;
  s.users = users;
  s.duration = duration;
  s.client = client;
  s.timeout = std::chrono::seconds(10);
  load::TaskSpec get;
  get.name = "get album";
  get.weight = 3;
  load::RequestSpec g;
  g.name = "GET /albums/{id}";
  g.path = compiled("/albums/{{randint 1 3}}");
  g.expect = {200};
  get.requests.push_back(std::move(g));
  load::TaskSpec post;
  post.name = "post album";
  post.weight = 1;
  load::RequestSpec p;
  p.name = "POST /albums";
  p.method = http::Method::kPost;
  p.path = compiled("/albums");
  p.content_type = "application/json";
  p.body = compiled("{\"id\":\"" + id_prefix + R"(-{{seq}}","title":"Load Test","artist":"scalelab","price":{{randint 1 99}}.99})");
  p.expect = {201};
  post.requests.push_back(std::move(p));
  s.tasks = {std::move(get), std::move(post)};
  return s;
}

Result<Hw5ClientsResult> run_hw5_clients(const Hw5ClientsOptions& options) {
  std::optional<LocalAlbums> local;
  std::string host = options.url;
  if (host.empty()) {
    local.emplace();
    host = local->base_url();
  }
  const bool tty = options.progress && isatty(STDERR_FILENO);
  Hw5ClientsResult result;
  for (unsigned users : options.users) {
    for (auto client : {load::ClientKind::kSimple, load::ClientKind::kFast}) {
      // Album ids unique to this run, so that POSTs never collide (409).
      auto scenario = albums_mix_scenario(host, users, options.duration, client,
                                          fmt::format("{}-{}-{}", load::to_string(client), users, ::getpid()));
      if (options.wait.count() > 0) scenario.wait = {load::WaitSpec::Kind::kConstant, options.wait};
      load::RunOptions ro;
      if (options.progress)
        ro.on_progress = [&, users, client](const load::Progress& p) {
          std::fprintf(stderr, "%shw5-clients %-6s %3u users %s%s", tty ? "\r" : "",
                       std::string(load::to_string(client)).c_str(), users, load::progress_line(p).c_str(),
                       tty ? "  " : "\n");
          std::fflush(stderr);
        };
      auto r = load::run(scenario, ro);
      if (tty) std::fprintf(stderr, "\n");
      if (!r) return r.error();
      if (r->aggregate.count == 0) return Error{ErrorKind::kUnavailable, "no request completed against " + host};
      if (r->aggregate.failures == r->aggregate.count)
        return Error{ErrorKind::kUnavailable,
                     fmt::format("every request failed against {} ({})", host,
                                 r->requests.front().failures_by_reason.empty()
                                     ? std::string("?")
                                     : r->requests.front().failures_by_reason.begin()->first)};
      result.runs.push_back({std::string(load::to_string(client)), users, std::move(*r)});
    }
  }

  // The reading: per user count, how the clients compare and who was busy.
  std::vector<std::vector<std::string>> rows;
  std::string csv = "client,users,requests,failures,rps,mean_ms,p50_ms,p95_ms,p99_ms,generator_busy\n";
  json::array runs_json;
  for (const auto& run : result.runs) {
    const auto& r = run.report;
    rows.push_back({run.client, fmt::format("{}", run.users), fmt::format("{}", r.aggregate.count),
                    fmt::format("{}", r.aggregate.failures), fmt::format("{:.0f}", r.rps()),
                    fmt::format("{:.2f}", r.aggregate.quantile_ms(0.5)), fmt::format("{:.2f}", r.aggregate.quantile_ms(0.95)),
                    fmt::format("{:.2f}", r.aggregate.quantile_ms(0.99)),
                    fmt::format("{:.0f}%", 100 * r.check.generator_busy),
                    r.check.trustworthy ? "yes" : "no: generator-bound"});
    fmt::format_to(std::back_inserter(csv), "{},{},{},{},{:.1f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f}\n", run.client,
                   run.users, r.aggregate.count, r.aggregate.failures, r.rps(), r.aggregate.mean_ms(),
                   r.aggregate.quantile_ms(0.5), r.aggregate.quantile_ms(0.95), r.aggregate.quantile_ms(0.99),
                   r.check.generator_busy);
    runs_json.push_back(json::object{{"client", run.client},
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
  for (std::size_t i = 0; i + 1 < result.runs.size(); i += 2) {
    const auto& simple = result.runs[i].report;
    const auto& fast = result.runs[i + 1].report;
    const unsigned users = result.runs[i].users;
    const double ratio = simple.rps() > 0 ? fast.rps() / simple.rps() : 0;
    std::string who;
    if (!simple.check.trustworthy && fast.check.trustworthy)
      who = "the simple client was the bottleneck: its threads were CPU-bound opening a connection per request, "
            "while the fast client had CPU to spare";
    else if (!simple.check.trustworthy && !fast.check.trustworthy)
      who = "both generators were CPU-bound, so both measured themselves as much as the server";
    else if (ratio < 1.15)
      who = "neither client was the limit: each user spends its time waiting (for the answer and its think time), so the server's latency, the think time and the "
            "number of users, not the client, set the rate — this is why many saw no difference";
    else
      who = "the simple client's cost per request (a TCP connect and close each time, a thread switch per user) "
            "limited the rate before the server did";
    result.reading.push_back(fmt::format(
        "{} users: fast {:.0f} req/s vs simple {:.0f} req/s ({:.2f}x); p50 {:.2f} vs {:.2f} ms; generator CPU "
        "{:.0f}% vs {:.0f}%. {}.",
        users, fast.rps(), simple.rps(), ratio, fast.aggregate.quantile_ms(0.5), simple.aggregate.quantile_ms(0.5),
        100 * fast.check.generator_busy, 100 * simple.check.generator_busy, who));
  }

  result.csv = options.out_dir / "results.csv";
  if (auto st = report::write_file(result.csv, csv); !st) return st.error();
  json::array reading;
  for (const auto& r : result.reading) reading.emplace_back(r);
  result.json = options.out_dir / "summary.json";
  if (auto st = report::write_file(result.json, to_json(json::object{{"experiment", "hw5-clients"},
                                                             {"host", host},
                                                             {"duration_s", std::chrono::duration<double>(options.duration).count()},
                                                             {"wait_ms", options.wait.count()},
                                                             {"runs", runs_json},
                                                             {"reading", reading}}) + "\n");
      !st)
    return st.error();

  report::HtmlReport page("hw5: the simple vs the fast load-generator client");
  page.paragraph(fmt::format(
      "The same load against the albums service at {}: each user picks GET /albums/{{1..3}} (weight 3) or POST "
      "/albums (weight 1) {}, for {:.0f} s per run. The simple client opens a new TCP connection for "
      "every request and runs a thread per user (like a naive client); the fast client keeps connections alive "
      "and runs every user as a coroutine on one thread.",
      host,
      options.wait.count() ? fmt::format("then waits {} ms", options.wait.count()) : std::string("with no wait"),
      std::chrono::duration<double>(options.duration).count()));
  page.table({"client", "users", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms", "generator CPU",
              "trustworthy"},
             rows);
  page.heading("When is the client the bottleneck?");
  for (const auto& r : result.reading) page.paragraph(r);
  page.paragraph(
      "The course's question: many students saw no difference between the two clients because with few users a "
      "closed-model client spends almost all its time waiting for the server; the client's own cost only shows "
      "once it has to produce requests faster than one core can, and then its CPU, not the server, sets the "
      "rate. The generator CPU column is the check: near 100% means the numbers describe the client.");
  // Requests/s by users for each client.
  json::array simple_pts, fast_pts;
  for (const auto& run : result.runs)
    (run.client == "simple" ? simple_pts : fast_pts)
        .push_back(json::object{{"x", run.users}, {"y", std::round(run.report.rps())}});
  page.chart("Requests per second by number of users",
             json::object{{"type", "line"},
                          {"data", json::object{{"datasets", json::array{
                                                                 json::object{{"label", "simple"}, {"data", simple_pts}, {"borderColor", "#4e79a7"}, {"backgroundColor", "#4e79a7"}},
                                                                 json::object{{"label", "fast"}, {"data", fast_pts}, {"borderColor", "#e15759"}, {"backgroundColor", "#e15759"}}}}}},
                          {"options", json::object{{"maintainAspectRatio", false},
                                                   {"animation", false},
                                                   {"parsing", false},
                                                   {"scales", json::object{{"x", json::object{{"type", "linear"}, {"title", json::object{{"display", true}, {"text", "users"}}}}},
                                                                           {"y", json::object{{"title", json::object{{"display", true}, {"text", "requests/s"}}}}}}}}}});
  if (result.runs.size() >= 2) {
    const auto& simple = result.runs[result.runs.size() - 2];
    const auto& fast = result.runs.back();
    page.chart(fmt::format("Requests per second over time at {} users", fast.users),
               load::throughput_chart({{"simple", &simple.report}, {"fast", &fast.report}}));
    page.chart(fmt::format("Latency distribution at {} users", fast.users),
               load::latency_distribution_chart({{"simple", &simple.report}, {"fast", &fast.report}}));
  }
  page.link("All runs (CSV): results.csv", "results.csv");
  page.link("Summary (JSON): summary.json", "summary.json");
  result.report = options.out_dir / "report.html";
  if (auto st = page.write(result.report); !st) return st.error();
  return result;
}

}  // namespace scalelab::lab
