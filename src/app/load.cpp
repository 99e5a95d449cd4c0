// `scalelab load`: the load generator's command line, and `scalelab serve
// stub` (a controllable target for it).
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/load_hosts.h"
#include "app/load_processes.h"
#include "app/load_web.h"
#include "app/options.h"
#include "core/duration.h"
#include "http/server.h"
#include "load/html_report.h"
#include "report/output.h"
#include "load/engine.h"
#include "load/output.h"
#include "load/stub.h"
#include "obs/metrics.h"
#include "report/output.h"

namespace scalelab::app {

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

struct LoadArgs {
  std::string file, url, host, client, json, csv, html, users_text, wait;
  std::string duration, timeout;
  unsigned users = 0, threads = 0, max_in_flight = 0;
  double spawn_rate = -1, rate = -1;
  std::uint64_t max_requests = 0, seed = 0;
  std::vector<std::string> thresholds;
  bool progress = true;
  unsigned processes = 0;                 // > 1: split over this many generator processes
  std::string share, share_out;           // in such a child: INDEX/COUNT and where its result goes
  std::int64_t start_at_unix_ms = 0;      // in such a child: the common start
  bool coordinator = false;               // spread over --expect-workers workers on other hosts
  unsigned expect_workers = 0;
  std::string listen = "0.0.0.0:5557", worker;  // worker: the coordinator's HOST:PORT
  std::string join_timeout = "5m";              // coordinator: fail when fewer workers joined by then
  WebArgs web;                                  // --web: the live dashboard
};

Result<load::Micros> duration_arg(const std::string& flag, const std::string& text) {
  auto d = parse_duration(text);
  if (!d) return Error{ErrorKind::kInvalidInput, fmt::format("{}: '{}' is not a duration (e.g. 10s, 2m)", flag, text)};
  return *d;
}

int run_load(const LoadArgs& a, CLI::App& cmd) {
  // Ctrl-C or SIGTERM stops a run early; it still reports what it measured
  // (a share and a worker too: their parent merges what they send).
  g_stop = false;
  struct Handlers {
    void (*old_int)(int) = std::signal(SIGINT, on_stop_signal);
    void (*old_term)(int) = std::signal(SIGTERM, on_stop_signal);
    ~Handlers() { std::signal(SIGINT, old_int), std::signal(SIGTERM, old_term); }
  } handlers;
  // A share child inherits SCALELAB_WORKER from a worker started by it: the share wins.
  if (!a.worker.empty() && a.share.empty()) return run_worker(a.worker, g_stop);
  auto given = [&](const char* flag) { return cmd.count(flag) > 0 || !cmd.get_option(flag)->empty(); };
  Result<load::Scenario> loaded = Error{ErrorKind::kInvalidInput, ""};
  if (!a.file.empty() && !a.url.empty()) {
    spdlog::error("load: give a scenario file or --url, not both");
    return 1;
  }
  if (!a.file.empty()) {
    loaded = load::load_scenario_file(a.file);
  } else if (!a.url.empty()) {
    loaded = load::quick_scenario(a.url);
    if (loaded) loaded->duration = std::chrono::seconds(10);  // wrk's default; --duration overrides
  } else {
    spdlog::error("load: give a scenario file (scalelab load FILE) or --url URL");
    return 1;
  }
  if (!loaded) {
    std::fprintf(stderr, "scalelab load: %s\n", loaded.error().message.c_str());
    return 1;
  }
  load::Scenario s = std::move(*loaded);
  // Command-line overrides.
  if (given("--host")) s.host = a.host;
  if (given("--users")) {
    s.users = a.users;
    s.stages.clear();
    s.model = load::Model::kClosed;
  }
  if (given("--spawn-rate")) s.spawn_rate = a.spawn_rate;
  if (given("--rate")) {
    s.rate = a.rate;
    s.model = load::Model::kOpen;
    s.stages.clear();
  }
  if (given("--max-in-flight")) s.max_in_flight = a.max_in_flight;
  if (given("--max-requests")) s.max_requests = a.max_requests;
  if (given("--threads")) s.threads = a.threads;
  if (given("--seed")) s.seed = a.seed;
  if (given("--duration")) {
    auto d = duration_arg("--duration", a.duration);
    if (!d) return std::fprintf(stderr, "scalelab load: %s\n", d.error().message.c_str()), 1;
    s.duration = *d;
  }
  if (given("--timeout")) {
    auto d = duration_arg("--timeout", a.timeout);
    if (!d || d->count() == 0) return std::fprintf(stderr, "scalelab load: --timeout must be a positive duration\n"), 1;
    s.timeout = *d;
  }
  if (given("--wait")) {
    auto w = load::parse_scenario(fmt::format("host: http://x\ntasks: [{{path: /}}]\nwait: {}\n", a.wait), "--wait");
    if (!w) return std::fprintf(stderr, "scalelab load: --wait: expected none, a duration, or {between: [A, B]}\n"), 1;
    s.wait = w->wait;
  }
  if (given("--client")) {
    if (a.client == "fast") s.client = load::ClientKind::kFast;
    else if (a.client == "simple") s.client = load::ClientKind::kSimple;
    else s.client = load::ClientKind::kRuntime;
  }
  // The file's thresholds, then the command line's (validate() checks names).
  for (const auto& t : a.thresholds) {
    auto r = load::parse_threshold(t);
    if (!r) return std::fprintf(stderr, "scalelab load: %s\n", r.error().message.c_str()), 1;
    s.thresholds.push_back(*r);
  }
  if (auto st = load::validate(s); !st) {
    std::fprintf(stderr, "scalelab load: %s\n", st.error().message.c_str());
    return 1;
  }

  if (!a.share.empty()) return run_share(s, a.share, a.share_out, a.start_at_unix_ms, &g_stop);

  const bool tty = isatty(STDERR_FILENO);
  load::RunOptions opts;
  opts.stop = &g_stop;
  if (a.progress)
    opts.on_progress = [tty](const load::Progress& p) {
      std::fprintf(stderr, "%s%s%s", tty ? "\r" : "", load::progress_line(p).c_str(), tty ? "  " : "\n");
      std::fflush(stderr);
    };
  const double start_unix = static_cast<double>(std::time(nullptr));
  std::optional<ProcessRun> processes;
  std::optional<LiveWeb> web;
  Result<load::Report> report = Error{ErrorKind::kInternal, "not run"};
  if (!a.web.listen.empty() && (a.coordinator || a.processes > 1))
    return std::fprintf(stderr, "scalelab load: --web runs in one process: not with --processes or --coordinator\n"), 1;
  if (!a.web.listen.empty()) {
    auto started = start_live_web(s, a.web, opts);
    if (!started) return std::fprintf(stderr, "scalelab load: %s\n", started.error().message.c_str()), 1;
    web = std::move(*started);
  }
  if (a.coordinator) {
    if (a.expect_workers == 0) return std::fprintf(stderr, "scalelab load: --coordinator needs --expect-workers N\n"), 1;
    auto join_timeout = duration_arg("--join-timeout", a.join_timeout);
    if (!join_timeout) return std::fprintf(stderr, "scalelab load: %s\n", join_timeout.error().message.c_str()), 1;
    auto run = run_on_workers({.workers = a.expect_workers,
                               .listen = a.listen,
                               .scenario_file = a.file,
                               .progress = a.progress,
                               .join_timeout = std::chrono::ceil<std::chrono::seconds>(*join_timeout)},
                              g_stop);
    if (run) report = (processes = std::move(*run))->merged;
    else report = run.error();
  } else if (a.processes > 1) {
    std::fprintf(stderr, "scalelab load: %u generator processes, starting together\n", a.processes);
    auto run = run_in_processes(a.processes, a.progress, g_stop);
    if (run) report = (processes = std::move(*run))->merged;
    else report = run.error();
  } else {
    report = load::run(s, opts);
  }
  if (a.progress && tty) std::fprintf(stderr, "\n");
  if (!report) {
    std::fprintf(stderr, "scalelab load: %s\n", report.error().message.c_str());
    return 1;
  }
  const auto results = load::evaluate(s.thresholds, *report);
  std::fputs(load::summary_table(*report).c_str(), stdout);
  if (processes) std::fputs(processes_table(*processes).c_str(), stdout);
  int code = 0;
  for (const auto& r : results) {
    std::printf("threshold %-24s measured %.3f  %s\n", r.rule.text.c_str(), r.actual, r.pass ? "pass" : "FAIL");
    if (!r.pass) code = 2;
  }
  if (!a.json.empty()) {
    if (auto st = report::write_file(
            a.json, processes ? with_generators(load::report_json(*report, results), *processes)
                              : load::report_json(*report, results)); !st) {
      spdlog::error("load: {}", st.error().message);
      return 1;
    }
  }
  if (!a.csv.empty()) {
    if (auto st = load::write_locust_csv(*report, a.csv, start_unix); !st) {
      spdlog::error("load: {}", st.error().message);
      return 1;
    }
  }
  if (!a.html.empty()) {
    if (auto st = load::write_load_report(*report, a.html, results,
                                          processes ? generator_rows(*processes) : std::vector<load::GeneratorRow>{});
        !st) {
      spdlog::error("load: {}", st.error().message);
      return 1;
    }
    std::printf("report: %s\n", a.html.c_str());
  }
  if (web) {
    std::vector<load::web::ReportFile> files;
    if (!a.html.empty()) files.push_back({"HTML report", a.html});
    if (!a.json.empty()) files.push_back({"JSON", a.json});
    if (!a.csv.empty())
      for (const char* part : {"stats", "stats_history", "failures"})
        files.push_back({fmt::format("CSV ({})", part), fmt::format("{}_{}.csv", a.csv, part)});
    if (auto st = linger_live_web(*web, std::move(files), a.web, g_stop); !st)
      return std::fprintf(stderr, "scalelab load: %s\n", st.error().message.c_str()), 1;
  }
  if (processes && !processes->lost.empty()) {
    for (const auto& l : processes->lost) std::fprintf(stderr, "scalelab load: lost %s\n", l.c_str());
    if (code == 0) code = 3;
  }
  return code;
}

}  // namespace

void add_load_commands(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<LoadArgs>();
  auto* cmd = app.add_subcommand(
      "load", "Generate HTTP load from a scenario file (or --url) and report latency, throughput and failures");
  cmd->footer(
      "Exit status: 0 done (thresholds pass), 1 bad scenario or setup (nothing was sent), 2 a threshold failed,\n"
      "3 a generator process was lost mid-run (the report covers the others).\n"
      "Scenario format: docs/load.md. Examples: examples/*.yaml.");
  cmd->add_option("scenario", a->file, "Scenario file (YAML)")->type_name("FILE");
  add_flag_option(*cmd, "--url", a->url, "Quick mode: GET this URL (no file), 10 s unless --duration");
  add_flag_option(*cmd, "--host", a->host, "Base URL, overrides the scenario's host (http://HOST:PORT)");
  add_flag_option(*cmd, "--users", a->users, "Closed model: this many users (replaces stages)");
  add_flag_option(*cmd, "--spawn-rate", a->spawn_rate, "Users started per second (0: all at once)");
  add_flag_option(*cmd, "--rate", a->rate, "Open model: task iterations per second");
  add_flag_option(*cmd, "--max-in-flight", a->max_in_flight, "Open model: iterations in flight at most");
  add_flag_option(*cmd, "--duration", a->duration, "How long to run (e.g. 30s, 2m)")->type_name("DURATION");
  add_flag_option(*cmd, "--max-requests", a->max_requests, "Stop after this many requests");
  add_flag_option(*cmd, "--timeout", a->timeout, "Per-request timeout, connect included")->type_name("DURATION");
  add_flag_option(*cmd, "--wait", a->wait, "Wait between tasks: none, 1s, or {between: [500ms, 2s]}");
  add_flag_option(*cmd, "--client", a->client, "fast (keep-alive, async), simple (new connection per request, "
                                               "a thread per user) or runtime (src/http's client)")
      ->check(CLI::IsMember({"fast", "simple", "runtime"}));
  add_flag_option(*cmd, "--threads", a->threads, "Generator threads (fast client)");
  add_flag_option(*cmd, "--seed", a->seed, "Random seed for templates and task choice (0: random)");
  add_flag_option(*cmd, "--json", a->json, "Write the full statistics as JSON to FILE");
  add_flag_option(*cmd, "--csv", a->csv, "Write PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv "
                                         "(Locust's columns)");
  add_flag_option(*cmd, "--html", a->html, "Write an HTML report with charts to FILE");
  cmd->add_option("--threshold", a->thresholds,
                  "Pass/fail rule, repeatable, added to the file's: on the aggregate (p99<50ms, mean<20ms, "
                  "errors<1%, rps>1000) or on one request name ('GET /albums:p99<50ms')")
      ->envname(env_name("--threshold"));
  cmd->add_flag("--progress,!--no-progress", a->progress, "A progress line each second on stderr");
  add_flag_option(*cmd, "--processes", a->processes,
                  "Split users, rates and caps evenly over N generator processes started together; their "
                  "histograms and series are merged exactly");
  cmd->add_flag("--coordinator", a->coordinator,
                "Spread the run over workers on other hosts (scalelab load --worker HOST:PORT), merged exactly");
  add_flag_option(*cmd, "--expect-workers", a->expect_workers, "Coordinator: start when this many workers joined");
  add_flag_option(*cmd, "--listen", a->listen, "Coordinator: HOST:PORT to accept workers on (port 0: any)");
  add_flag_option(*cmd, "--join-timeout", a->join_timeout,
                  "Coordinator: give up (naming how many joined) when fewer workers joined by then");
  add_flag_option(*cmd, "--worker", a->worker,
                  "Be a worker: connect to the coordinator at HOST:PORT (retrying for 60 s until it listens), run the "
                  "share it sends, send the result");
  add_flag_option(*cmd, "--web", a->web.listen,
                  "Serve a live dashboard at ADDR:PORT while the run goes (charts each second; change users, "
                  "spawn rate or arrival rate; stop); the reports default to reports/load-web/")
      ->type_name("ADDR:PORT");
  add_flag_option(*cmd, "--web-percentiles", a->web.percentiles,
                  "Latency percentiles the dashboard charts, from 50,66,75,80,90,95,98,99,99.9,99.99,100");
  add_flag_option(*cmd, "--web-linger", a->web.linger,
                  "Keep the dashboard up this long after the run (default: until Ctrl-C)")
      ->type_name("DURATION");
  // Internal: how --processes starts its children.
  cmd->add_option("--share", a->share)->group("");
  cmd->add_option("--share-out", a->share_out)->group("");
  cmd->add_option("--start-at", a->start_at_unix_ms)->group("");
  cmd->callback([a, cmd, &exit_code] {
    if (!a->web.listen.empty()) {  // the page links the final reports: write them somewhere
      if (a->html.empty()) a->html = "reports/load-web/report.html";
      if (a->json.empty()) a->json = "reports/load-web/report.json";
      if (a->csv.empty()) a->csv = "reports/load-web/report";
    }
    exit_code = run_load(*a, *cmd);
  });
}

// scalelab serve stub: the fixed-answer target with a known delay and an optional stall.
void add_stub_serve(CLI::App& serve, int& exit_code) {
  auto server_opts = std::make_shared<http::ServerOptions>();
  auto stub_opts = std::make_shared<load::StubOptions>();
  auto delay = std::make_shared<std::chrono::milliseconds>(0);
  auto stall_at = std::make_shared<std::chrono::milliseconds>(0);
  auto stall_for = std::make_shared<std::chrono::milliseconds>(0);
  auto spin = std::make_shared<std::chrono::milliseconds>(0);
  auto* stub = serve.add_subcommand(
      "stub", "A target for load tests: every path answers a fixed body after --delay; --stall-for holds "
              "every request arriving in a window");
  add_server_options(*stub, *server_opts);
  add_duration_option(*stub, "--delay", *delay, "Added to every answer");
  add_duration_option(*stub, "--stall-at", *stall_at, "When the stall starts, after the first request");
  add_duration_option(*stub, "--stall-for", *stall_for, "How long the stall lasts (0: none)");
  add_duration_option(*stub, "--spin", *spin,
                      "At most this much early: the stub learns how late its timer wakes from idle, sets it "
                      "that much early and polls the clock until the due time, so the wake-up does not add "
                      "to --delay (costs the learnt lead of CPU per answer; e.g. 1ms; 0: sleep only)");
  add_flag_option(*stub, "--body", stub_opts->body, "The answer's body");
  stub->callback([=, &exit_code] {
    stub_opts->delay = *delay;
    stub_opts->stall_at = *stall_at;
    stub_opts->stall_for = *stall_for;
    stub_opts->spin = *spin;
    load::Stub target(*stub_opts);
    http::Router router;
    obs::Registry registry;
    target.register_routes(router);
    http::Server server(*server_opts, router, registry);
    try {
      server.run_until_signal();
    } catch (const std::exception& e) {
      spdlog::error("serve stub: {}", e.what());
      exit_code = 1;
    }
  });
}

}  // namespace scalelab::app
