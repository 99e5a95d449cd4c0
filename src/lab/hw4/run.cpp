#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "infra/servers.h"
#include "infra/wordcount_cluster.h"
#include "lab/hw4/hw4.h"
#include "lab/live.h"
#include "mq/broker.h"
#include "report/output.h"
#include "services/wordcount/wordcount.h"

namespace scalelab::lab {
namespace {

using Clock = std::chrono::steady_clock;

// Longest a single job may take: far above the 100 MB input's minute or so.
constexpr std::chrono::minutes kJobTimeout{10};

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

struct Input {
  Hw4InputInfo info;
  std::filesystem::path path;
  wordcount::Counts expected;
};

// Writes the synthetic text (the jobs read it from a file) and counts it once
// in one thread, as a plain program would: the baseline and the expected result.
Result<Input> make_input(Hw4Input name, const std::filesystem::path& path, std::size_t bytes, std::uint64_t seed) {
  auto text = wordcount::generate_zipf_text(bytes, seed);
  if (auto s = report::write_file(path, text); !s) return s.error();
  Input in{{name, text.size(), 0}, path, {}};
  auto t = Clock::now();
  std::ifstream f(path, std::ios::binary);
  std::string again((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  in.expected = wordcount::count_words(again);
  in.info.baseline_ms = ms_since(t);
  return in;
}

Result<std::vector<Input>> make_inputs(const Hw4Options& o) {
  std::vector<Input> inputs;
  for (auto [name, bytes] : {std::pair{Hw4Input::kSmall, o.small_bytes}, std::pair{Hw4Input::kLarge, o.large_bytes}}) {
    if (bytes == 0) continue;
    auto in = make_input(name, o.out_dir / fmt::format("{}.txt", to_string(name)), bytes, o.seed);
    if (!in) return in.error();
    if (o.progress)
      fmt::print(stderr, "hw4: {} input {} bytes, {} words, {} unique; single-process count {:.1f} ms\n",
                 to_string(name), in->info.bytes, wordcount::total_words(in->expected), in->expected.size(),
                 in->info.baseline_ms);
    inputs.push_back(std::move(*in));
  }
  return inputs;
}

// The buses to run over, with their URLs; starts a private RabbitMQ if asked.
Result<std::vector<std::pair<Hw4Bus, std::string>>> open_buses(const Hw4Options& o,
                                                                std::optional<infra::Server>& rabbit) {
  std::vector<std::pair<Hw4Bus, std::string>> buses;
  if (o.memory_bus) buses.emplace_back(Hw4Bus::kMemory, "memory://");
  if (!o.rabbitmq) return buses;
  std::string url = o.rabbitmq_url;
  if (url.empty()) {
    if (o.progress) fmt::print(stderr, "hw4: starting a private RabbitMQ…\n");
    auto s = infra::find_kind("rabbitmq")->start({.dir = o.out_dir / "rabbitmq"});
    if (!s) return Error{s.error().kind, "starting RabbitMQ: " + s.error().message};
    rabbit.emplace(std::move(*s));
    url = rabbit->url();
  }
  buses.emplace_back(Hw4Bus::kRabbitmq, url);
  return buses;
}

// One job with its own services: threads on the in-process bus, processes on RabbitMQ.
Result<wordcount::JobResult> one_job(mq::Broker& broker, Hw4Bus bus, const std::string& url, const Input& in,
                                     int mappers, const Hw4Options& o) {
  std::unique_ptr<wordcount::LocalCluster> local;
  std::unique_ptr<infra::WordcountCluster> procs;
  if (bus == Hw4Bus::kMemory) {
    auto c = wordcount::LocalCluster::start(broker, mappers);
    if (!c) return c.error();
    local = std::move(*c);
  } else {
    auto c = infra::WordcountCluster::start({.broker_url = url, .mappers = mappers, .log_dir = o.out_dir / "logs"});
    if (!c) return c.error();
    procs = std::move(*c);
  }
  return wordcount::run_job(broker, {.input = in.path, .mappers = mappers, .timeout = kJobTimeout});
}

// Runs one configuration `repeats` times and keeps the median job's figures.
Result<Hw4Run> run_config(mq::Broker& broker, Hw4Bus bus, const std::string& url, const Input& in, int mappers,
                          const Hw4Options& o) {
  Hw4Run run{.bus = bus, .input = in.info.input, .bytes = in.info.bytes, .mappers = mappers};
  run.baseline_ms = in.info.baseline_ms;
  std::vector<wordcount::JobResult> jobs;
  for (int rep = 0; rep < std::max(1, o.repeats); ++rep) {
    auto job = one_job(broker, bus, url, in, mappers, o);
    if (!job) {
      run.error = job.error().message;
      break;
    }
    jobs.push_back(std::move(*job));
  }
  if (jobs.empty()) return run;
  std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) { return a.total_ms < b.total_ms; });
  const auto& j = jobs[jobs.size() / 2];
  run.chunks = j.chunks;
  run.split_ms = j.split_ms;
  run.map_ms = j.map_ms;
  run.reduce_ms = j.reduce_ms;
  run.total_ms = j.total_ms;
  run.total_words = j.total_words;
  run.unique_words = j.unique_words;
  run.exact = std::all_of(jobs.begin(), jobs.end(), [&](const auto& x) { return x.counts == in.expected; });
  return run;
}

void print_run(const Hw4Run& run) {
  fmt::print(stderr, "hw4: {:<8} {:<5} {} mapper(s): {}\n", to_string(run.bus), to_string(run.input), run.mappers,
             run.error.empty() ? fmt::format("total {:.1f} ms (split {:.1f}, map {:.1f}, reduce {:.1f}), {}",
                                             run.total_ms, run.split_ms, run.map_ms, run.reduce_ms,
                                             run.exact ? "exact" : "MISMATCH")
                               : "FAILED: " + run.error);
}

// Every mapper count on one bus and input; speedup is against the first count.
// `configs` is how many configurations the whole experiment runs (for its progress).
Status run_mapper_counts(mq::Broker& broker, Hw4Bus bus, const std::string& url, const Input& in,
                         const Hw4Options& o, std::vector<Hw4Run>& runs, std::size_t configs) {
  double first_ms = 0;
  for (int mappers : o.mappers) {
    if (live_stopped(o.live)) break;
    live_phase(o.live, fmt::format("{} {}: {} mapper(s)", to_string(bus), to_string(in.info.input), mappers));
    live_progress(o.live, "configurations", static_cast<double>(runs.size()), static_cast<double>(configs));
    auto run = run_config(broker, bus, url, in, mappers, o);
    if (!run) return run.error();
    if (run->total_ms > 0) {  // at least one job finished
      if (mappers == o.mappers.front()) first_ms = run->total_ms;
      run->speedup = run->total_ms > 0 && first_ms > 0 ? first_ms / run->total_ms : 0;
    }
    if (o.progress) print_run(*run);
    const std::string line = fmt::format("{} {}", to_string(bus), to_string(in.info.input));
    live_series(o.live, "job time by mappers (ms)", line, run->total_ms);
    live_series(o.live, "speedup over the first mapper count", line, run->speedup);
    runs.push_back(std::move(*run));
    live_progress(o.live, "configurations", static_cast<double>(runs.size()), static_cast<double>(configs));
  }
  return {};
}

}  // namespace

std::string_view to_string(Hw4Bus bus) { return bus == Hw4Bus::kMemory ? "memory" : "rabbitmq"; }
std::string_view to_string(Hw4Input input) { return input == Hw4Input::kSmall ? "small" : "large"; }

Result<Hw4Result> run_hw4(const Hw4Options& o) {
  if (auto s = infra::prepare_dir(o.out_dir); !s) return s.error();
  auto inputs = make_inputs(o);
  if (!inputs) return inputs.error();
  std::optional<infra::Server> rabbit;
  auto buses = open_buses(o, rabbit);
  if (!buses) return buses.error();

  Hw4Result result;
  result.seed = o.seed;
  for (const auto& in : *inputs) result.inputs.push_back(in.info);
  for (const auto& [bus, url] : *buses) {
    result.buses.push_back(bus);
    auto opened = mq::open_broker(url);
    if (!opened) return opened.error();
    if (auto s = wordcount::declare_topology(**opened); !s) return s.error();
    for (const auto& in : *inputs)
      if (auto s = run_mapper_counts(**opened, bus, url, in, o, result.runs,
                                     buses->size() * inputs->size() * o.mappers.size());
          !s)
        return s.error();
  }
  rabbit.reset();
  result.all_exact = std::all_of(result.runs.begin(), result.runs.end(), [](const auto& r) { return r.exact; });
  return result;
}

}  // namespace scalelab::lab
