#include "report_samples/samples.h"

#include <cmath>

#include "lab/hw3/go_twin.h"

namespace scalelab::samples {

namespace {

// A repeatable wobble in [-1, 1], so series look measured rather than flat.
double wobble(int i) { return std::sin(i * 1.7) * 0.6 + std::sin(i * 0.31) * 0.4; }

}  // namespace

lab::Hw1Result hw1() {
  lab::Hw1Result r;
  constexpr int kRequests = 600;
  for (int i = 0; i < kRequests; ++i) {
    const double latency = 0.2 + 0.05 * (wobble(i) + 1) + (i % 97 == 0 ? 3.0 : 0) + (i % 13 == 0 ? 0.4 : 0);
    r.samples.push_back({static_cast<std::uint64_t>(i), i * 0.05, latency, i == 400 ? 500u : 200u});
  }
  r.sorted_ms = lab::sorted_latencies(r.samples);
  r.summary = lab::summarize(r.samples, r.sorted_ms, 30.0);
  r.summary.url = "http://127.0.0.1:8080/albums";
  r.summary.first_error = "HTTP 500";
  r.duration = std::chrono::seconds(30);
  r.timeout = std::chrono::seconds(5);
  return r;
}

lab::Hw2Result hw2() {
  lab::Hw2Result r;
  r.memory = {"memory:// (one per instance)", {"1"}, {"1"}, {"1"}, {"1", "4"}, 201, false};
  r.redis = {"redis://127.0.0.1:6390", {"1"}, {"1"}, {"1", "4"}, {"1", "4"}, 201, true};
  r.steps = {{lab::Hw2Store::kMemory, "POST /albums (album 4) to instance 2", 2, 201, {}},
             {lab::Hw2Store::kMemory, "GET /albums on instance 1", 1, 200, {"1"}},
             {lab::Hw2Store::kRedis, "POST /albums (album 4) to instance 2", 2, 201, {}},
             {lab::Hw2Store::kRedis, "GET /albums on instance 1", 1, 200, {"1", "4"}}};
  return r;
}

lab::Hw3Result hw3() {
  lab::Hw3Result r;
  // The Go twin's JSON is the one public way to fill every table from outside a run.
  (void)lab::hw3::add_go_rows(R"({"version":"go1.19","atomicity":[{"kind":"atomic","increments":1000,"expected":4000,
    "final":4000,"ns_per_increment":3},{"kind":"plain","increments":1000,"expected":4000,"final":2712,
    "ns_per_increment":1}],"maps":[{"name":"sync.Map","workload":"write","expected":4000,"entries":4000,
    "ms":[1,3,2],"outcome":"ok"}],"file_io":[{"name":"buffered","lines":5000,"ms":[2,3],"syscalls":12}],
    "context_switch":[{"name":"channel","pinned":true,"round_trips":10000,"ns_per_switch":90,"voluntary":20000,
    "involuntary":1}],"false_sharing":[{"layout":"padded","threads":2,"increments":100000,"ns_per_increment":4,
    "ns_mean":5},{"layout":"packed","threads":2,"increments":100000,"ns_per_increment":19,"ns_mean":21}]})",
                         r);
  return r;
}

lab::Hw3LoadResult hw3_load() {
  lab::Hw3LoadResult r;
  auto run = [](std::string name, unsigned users, unsigned processes, std::string client, double rps) {
    return lab::Hw3LoadRun{.name = std::move(name), .users = users, .processes = processes, .client = std::move(client),
                           .requests = static_cast<std::uint64_t>(rps * 30), .rps = rps, .get_p50_ms = 1.1,
                           .get_p95_ms = 2.5, .get_p99_ms = 4.0, .post_p50_ms = 1.4, .post_p95_ms = 3.0,
                           .post_p99_ms = 5.5, .elapsed_s = 30, .server_cpu_pct = rps / 10, .generator_cpu_s = 2.5,
                           .generator_cpu_pct = 8};
  };
  r.runs = {run("1 user", 1, 1, "fast", 3.3), run("50 users", 50, 1, "fast", 166),
            run("50 users, 4 processes", 50, 4, "fast", 165), run("50 users, simple client", 50, 1, "simple", 160)};
  r.reading = {"The server was far from busy: the waits (100-500 ms) bound the rate, not the service."};
  return r;
}

lab::Hw4Result hw4() {
  lab::Hw4Result r;
  r.seed = 7;
  r.buses = {lab::Hw4Bus::kMemory};
  r.inputs = {{lab::Hw4Input::kSmall, 180'000, 9}, {lab::Hw4Input::kLarge, 18'000'000, 900}};
  for (auto in : r.inputs)
    for (int mappers : {1, 2, 4, 8}) {
      lab::Hw4Run run{.bus = lab::Hw4Bus::kMemory, .input = in.input, .bytes = in.bytes, .mappers = mappers,
                      .chunks = mappers};
      const double scale = in.baseline_ms / 9;
      run.split_ms = 1 * scale;
      run.map_ms = 40 * scale / std::min(mappers, 2) + 2 * mappers;
      run.reduce_ms = 3 * scale + mappers;
      run.total_ms = run.split_ms + run.map_ms + run.reduce_ms;
      run.baseline_ms = in.baseline_ms;
      run.total_words = in.bytes / 6;
      run.unique_words = 4000;
      run.exact = true;
      r.runs.push_back(run);
    }
  for (auto& run : r.runs)
    for (const auto& one : r.runs)
      if (one.input == run.input && one.mappers == 1) run.speedup = one.total_ms / run.total_ms;
  r.all_exact = true;
  return r;
}

load::Report load_run(unsigned users, int seconds, double rps_per_user) {
  load::Report r;
  r.scenario = "albums";
  r.host = "http://127.0.0.1:8080";
  r.elapsed_s = seconds;
  r.peak_users = users;
  const int edit_at = seconds / 2;
  r.edits.push_back({.t_s = edit_at + 0.4, .users = users, .spawn_rate = 0});
  load::RequestStats get{.name = "GET /albums", .method = "GET"};
  for (int t = 1; t <= seconds; ++t) {
    load::SecondPoint p;
    p.t_s = t;
    p.users = t <= edit_at ? users / 2 : users;
    p.requests = static_cast<std::uint64_t>(p.users * rps_per_user * (1 + 0.1 * wobble(t)));
    p.failures = t == edit_at + 2 ? 3 : 0;
    p.p50_ms = 2 + 0.3 * wobble(t) + (t > edit_at ? 1.5 : 0);
    p.p95_ms = p.p50_ms * 2.2;
    p.p99_ms = p.p50_ms * 3.5 + (t % 7 == 0 ? 4 : 0);
    r.series.push_back(p);
    for (std::uint64_t i = 0; i < p.requests; ++i)
      get.latency_us.record(static_cast<std::uint64_t>(1000 * p.p50_ms * (0.5 + 0.02 * static_cast<double>(i % 100))));
    get.count += p.requests;
    get.failures += p.failures;
  }
  if (get.failures) get.failures_by_reason["HTTP 503"] = get.failures;
  r.requests.push_back(get);
  r.aggregate = get;
  r.aggregate.name = "Aggregated";
  r.aggregate.method.clear();
  r.check.generator_busy = 0.3;
  r.check.trustworthy = true;
  return r;
}

lab::Hw5ClientsResult hw5_clients() {
  lab::Hw5ClientsResult r;
  r.host = "http://127.0.0.1:8080";
  r.duration = std::chrono::seconds(20);
  r.wait = std::chrono::milliseconds(0);
  for (unsigned users : {1u, 8u, 32u}) {
    auto simple = load_run(users, 20, 400.0 / std::sqrt(users));
    simple.check.generator_busy = users > 1 ? 0.99 : 0.5;
    simple.check.trustworthy = users == 1;
    r.runs.push_back({load::ClientKind::kSimple, users, simple});
    r.runs.push_back({load::ClientKind::kFast, users, load_run(users, 20, 900)});
  }
  r.reading = lab::compare_clients(r.runs);
  return r;
}

}  // namespace scalelab::samples
