#include "lab/hw3/load_lab.h"

#include <unistd.h>

#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/file.h"
#include "infra/process.h"
#include "lab/live.h"
#include "report/output.h"

namespace scalelab::lab {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr auto kServerStart = 30s;

// utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15).
double process_cpu_s(pid_t pid) {
  const std::string stat = read_text(fmt::format("/proc/{}/stat", pid));
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close_paren + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Plan {
  std::string name;
  unsigned users, processes;
  std::string client;
};

std::vector<Plan> plans(const Hw3LoadOptions& o) {
  return {{"1 user", 1, 1, "fast"},
          {fmt::format("{} users at {:g}/s", o.users, o.spawn_rate), o.users, 1, "fast"},
          {fmt::format("{} users, {} processes", o.users, o.processes), o.users, o.processes, "fast"},
          {fmt::format("{} users, simple client", o.users), o.users, 1, "simple"}};
}

double pct(const json::object& row, const char* key) {
  return json::value_to<double>(row.at("percentiles_ms").as_object().at(key));
}

void read_run_json(const std::string& text, Hw3LoadRun& run) {
  const auto doc = json::parse(text).as_object();
  run.requests = json::value_to<std::uint64_t>(doc.at("total_requests"));
  run.failures = json::value_to<std::uint64_t>(doc.at("failures"));
  run.rps = json::value_to<double>(doc.at("requests_per_s"));
  run.elapsed_s = json::value_to<double>(doc.at("elapsed_s"));
  run.generator_cpu_s = json::value_to<double>(doc.at("self_check").as_object().at("generator_cpu_s"));
  for (const auto& v : doc.at("requests").as_array()) {
    const auto& row = v.as_object();
    const bool get = json::value_to<std::string>(row.at("name")).rfind("GET", 0) == 0;
    (get ? run.get_p50_ms : run.post_p50_ms) = pct(row, "p50");
    (get ? run.get_p95_ms : run.post_p95_ms) = pct(row, "p95");
    (get ? run.get_p99_ms : run.post_p99_ms) = pct(row, "p99");
  }
}

Result<Hw3LoadRun> one_run(const Hw3LoadOptions& o, const Plan& p, const std::filesystem::path& scenario,
                           infra::Process& server) {
  Hw3LoadRun run{p.name, p.users, p.processes, p.client};
  const auto json_file = o.out_dir / fmt::format("run-{}-{}-{}.json", p.users, p.processes, p.client);
  std::vector<std::string> argv{o.scalelab.string(), "load",      scenario.string(), "--users",
                                std::to_string(p.users), "--spawn-rate", fmt::format("{}", o.spawn_rate),
                                "--client", p.client, "--json", json_file.string(), "--no-progress"};
  if (p.processes > 1) argv.insert(argv.end(), {"--processes", std::to_string(p.processes)});
  const double cpu0 = process_cpu_s(server.pid());
  const auto t0 = std::chrono::steady_clock::now();
  auto gen = infra::Process::spawn({.argv = argv, .log_file = o.out_dir / "load.log"});
  if (!gen) return gen.error();
  const auto code = gen->wait_for(o.duration * 3 + 60s);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // 2: a threshold failed (the scenario has none); anything else is a broken run.
  if (!code || (*code != 0 && *code != 2))
    return Error{ErrorKind::kInternal, fmt::format("{}: scalelab load failed (see {})", p.name,
                                                   (o.out_dir / "load.log").string())};
  run.server_cpu_pct = wall > 0 ? 100 * (process_cpu_s(server.pid()) - cpu0) / wall : 0;
  try {
    read_run_json(read_text(json_file), run);
  } catch (const std::exception& e) {
    return Error{ErrorKind::kProtocol, fmt::format("{}: {}", json_file.string(), e.what())};
  }
  run.generator_cpu_pct = run.elapsed_s > 0 ? 100 * run.generator_cpu_s / run.elapsed_s : 0;
  return run;
}

// A resource is "busy" above this share of one core: then it may be the limit.
constexpr double kBusyPct = 70;

std::vector<std::string> reading(const std::vector<Hw3LoadRun>& runs) {
  std::vector<std::string> out;
  if (runs.size() < 4) return out;
  const auto &one = runs[0], &base = runs[1], &procs = runs[2], &simple = runs[3];
  out.push_back(fmt::format(
      "1 user: {:.1f} req/s; {} users: {:.1f} req/s ({:.1f}x). Each user waits 100-500 ms between tasks, so a user "
      "sends at most ~3 requests/s and throughput grows with users until something saturates.",
      one.rps, base.users, base.rps, one.rps > 0 ? base.rps / one.rps : 0));
  auto limit = [](const Hw3LoadRun& r) {
    if (r.server_cpu_pct >= kBusyPct) return fmt::format("the server was busy ({:.0f}% of a core)", r.server_cpu_pct);
    if (r.generator_cpu_pct >= kBusyPct)
      return fmt::format("the generators were busy ({:.0f}% of a core)", r.generator_cpu_pct);
    return fmt::format("neither the server ({:.0f}% of a core) nor the generators ({:.0f}%) was busy",
                       r.server_cpu_pct, r.generator_cpu_pct);
  };
  out.push_back(fmt::format(
      "1 vs {} generator processes: {:.1f} vs {:.1f} req/s. With one process {}; {}", procs.processes, base.rps,
      procs.rps, limit(base),
      base.generator_cpu_pct < kBusyPct
          ? "the generator was not the bottleneck, so more generator processes could not raise throughput: the users' "
            "waits set the rate."
          : "the generator was saturated, so spreading it over processes could raise throughput."));
  out.push_back(fmt::format(
      "simple vs fast client: {:.1f} vs {:.1f} req/s; the simple client (a connection and a thread per request) "
      "used {:.2f} CPU-s against the fast one's {:.2f}. {}",
      simple.rps, base.rps, simple.generator_cpu_s, base.generator_cpu_s,
      simple.generator_cpu_pct < kBusyPct
          ? "Even the simple client had CPU to spare, which is why many saw no difference: with think time the client "
            "is not the limit."
          : "The simple client ran out of CPU, so the fast one could send more."));
  return out;
}

}  // namespace

// As examples/albums.yaml, but the POSTed ids carry a random part: {{user}}
// and {{seq}} restart in every generator process and every run, and the
// service answers a repeated id with 409.
std::string albums_course_scenario(const std::string& host, std::chrono::milliseconds duration) {
  return fmt::format(R"(name: albums GET:POST 3:1
host: {}
users: 50
spawn_rate: 10
duration: {}ms
wait: {{between: [100ms, 500ms]}}
tasks:
  - name: get album
    weight: 3
    requests:
      - name: GET /albums/{{id}}
        path: /albums/{{{{randint 1 3}}}}
        expect: 200
  - name: post album
    weight: 1
    requests:
      - name: POST /albums
        method: POST
        path: /albums
        json:
          id: "u{{{{user}}}}-{{{{seq}}}}-{{{{randint 1 1000000000}}}}{{{{randint 1 1000000000}}}}"
          title: Load Test
          artist: "{{{{choice Coltrane Mulligan Vaughan}}}}"
          price: 49.99
        expect: 201
)",
                     host, duration.count());
}

Result<Hw3LoadResult> run_hw3_load(const Hw3LoadOptions& options) {
  Hw3LoadOptions o = options;
  if (o.scalelab.empty()) o.scalelab = infra::self_executable();
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  auto port = infra::pick_free_port();
  if (!port) return port.error();
  auto server = infra::Process::spawn({.argv = {o.scalelab.string(), "serve", "albums", "--port", std::to_string(*port),
                                         "--log-level", "warn"},
                                .log_file = o.out_dir / "albums.log"});
  if (!server) return server.error();
  if (auto st = infra::wait_for_port("127.0.0.1", *port, kServerStart); !st) return st.error();
  const auto scenario = o.out_dir / "albums.yaml";
  if (auto st = report::write_file(scenario, albums_course_scenario(fmt::format("http://127.0.0.1:{}", *port), o.duration));
      !st)
    return st.error();
  Hw3LoadResult r;
  const auto all = plans(o);
  for (const auto& p : all) {
    if (live_stopped(o.live)) break;
    if (o.progress) fmt::print(stderr, "hw3-load: {}\n", p.name);
    live_phase(o.live, p.name);
    live_progress(o.live, "runs", static_cast<double>(r.runs.size()), static_cast<double>(all.size()));
    auto run = one_run(o, p, scenario, *server);
    if (!run) return run.error();
    r.runs.push_back(*run);
    // Each run is a `scalelab load` child: its figures arrive when it ends.
    live_series(o.live, "requests/s of each run", "req/s", run->rps);
    live_series(o.live, "CPU of each run (% of a core)", "server", run->server_cpu_pct);
    live_series(o.live, "CPU of each run (% of a core)", "generators", run->generator_cpu_pct);
  }
  live_progress(o.live, "runs", static_cast<double>(r.runs.size()), static_cast<double>(all.size()));
  r.reading = reading(r.runs);
  return r;
}

Result<Hw3LoadFiles> render_hw3_load(const Hw3LoadResult& r, const std::filesystem::path& out_dir) {
  Hw3LoadFiles f{out_dir / "report.html", out_dir / "runs.csv", out_dir / "summary.json"};
  std::string csv =
      "run,users,processes,client,requests,failures,rps,get_p50_ms,get_p95_ms,get_p99_ms,post_p50_ms,post_p95_ms,"
      "post_p99_ms,server_cpu_pct,generator_cpu_s,generator_cpu_pct\n";
  std::vector<std::vector<std::string>> rows;
  json::array runs;
  for (const auto& x : r.runs) {
    csv += fmt::format("\"{}\",{},{},{},{},{},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{:.1f},{:.3f},{:.1f}\n",
                       x.name, x.users, x.processes, x.client, x.requests, x.failures, x.rps, x.get_p50_ms,
                       x.get_p95_ms, x.get_p99_ms, x.post_p50_ms, x.post_p95_ms, x.post_p99_ms, x.server_cpu_pct,
                       x.generator_cpu_s, x.generator_cpu_pct);
    rows.push_back({x.name, std::to_string(x.requests), std::to_string(x.failures), fmt::format("{:.1f}", x.rps),
                    fmt::format("{:.1f} / {:.1f} / {:.1f}", x.get_p50_ms, x.get_p95_ms, x.get_p99_ms),
                    fmt::format("{:.1f} / {:.1f} / {:.1f}", x.post_p50_ms, x.post_p95_ms, x.post_p99_ms),
                    fmt::format("{:.0f}%", x.server_cpu_pct), fmt::format("{:.0f}%", x.generator_cpu_pct)});
    runs.emplace_back(json::object{{"name", x.name}, {"users", x.users}, {"processes", x.processes},
                                   {"client", x.client}, {"requests", x.requests}, {"failures", x.failures},
                                   {"rps", x.rps}, {"get_p50_ms", x.get_p50_ms}, {"get_p99_ms", x.get_p99_ms},
                                   {"post_p50_ms", x.post_p50_ms}, {"post_p99_ms", x.post_p99_ms},
                                   {"server_cpu_pct", x.server_cpu_pct}, {"generator_cpu_pct", x.generator_cpu_pct}});
  }
  report::Output out(out_dir);
  if (auto st = out.data("runs.csv", csv, "runs.csv (one row per run)"); !st) return st.error();
  if (auto st = out.summary(json::object{{"experiment", "hw3-load"}, {"runs", runs}, {"reading", json::value_from(r.reading)}}); !st)
    return st.error();
  report::HtmlReport page("hw3: load testing the albums service");
  page.paragraph("The course's Locust file with scalelab's generator: GET /albums/{id} and POST /albums at 3:1, each "
                 "user waiting 100-500 ms between tasks. The service runs as its own process; CPU is % of one core "
                 "over the run.");
  page.table({"run", "requests", "failures", "req/s", "GET p50/p95/p99 ms", "POST p50/p95/p99 ms", "server CPU",
              "generator CPU"},
             rows);
  page.heading("Reading");
  for (const auto& line : r.reading) page.paragraph(line);
  if (auto st = out.page(page); !st) return st.error();
  return f;
}

}  // namespace scalelab::lab
