// The cost of a durable write: SET alone vs SET followed by WAIT 1 (the
// replica has the write before the call returns), through RedisStore in
// Sentinel mode, on a private primary + replica + Sentinel on loopback, in
// the same run. One writer (a round trip per write) and 8 writers over 4
// connections (pipelined batches; a WAIT holds its connection's batch).
// Prints the durable/plain ratio per writer count at the end.
// Run: build/release/bin/redis_wait_bench [--benchmark_min_time=2s]
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "core/run_blocking.h"
#include "infra/redis.h"
#include "store/redis_store.h"

using namespace scalelab;

namespace {

std::unique_ptr<store::RedisStore> g_store;
std::atomic<long> g_key{0};

void BM_Set(benchmark::State& state) {
  for (auto _ : state) {
    auto r = run_blocking(g_store->put(fmt::format("bench/{}", g_key++), "a value of some thirty bytes.."));
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
  }
}
BENCHMARK(BM_Set)->Threads(1)->Threads(8)->UseRealTime();

void BM_SetDurable(benchmark::State& state) {
  for (auto _ : state) {
    auto r = run_blocking(g_store->put_durable(fmt::format("bench/{}", g_key++), "a value of some thirty bytes.."));
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
  }
}
BENCHMARK(BM_SetDurable)->Threads(1)->Threads(8)->UseRealTime();

// Keeps each run's real time per iteration, to print the ratios.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) ns_[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  void print_ratios() const {
    for (const auto& [name, plain] : ns_) {
      if (!name.starts_with("BM_Set/")) continue;
      auto durable = ns_.find("BM_SetDurable/" + name.substr(std::string("BM_Set/").size()));
      if (durable == ns_.end() || plain <= 0) continue;
      std::printf("%-28s plain %8.1f us  durable %8.1f us  ratio %.2f\n", name.c_str(), plain / 1000,
                  durable->second / 1000, durable->second / plain);
    }
  }

 private:
  std::map<std::string, double> ns_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto dir = std::filesystem::temp_directory_path() / fmt::format("scalelab-redis-wait-bench-{}", ::getpid());
  auto topology = infra::start_redis({.dir = dir, .redis_replicas = 1, .redis_sentinels = 1});
  if (!topology.ok()) {
    std::fprintf(stderr, "cannot start redis: %s\n", topology.error().message.c_str());
    return 1;
  }
  auto options = store::parse_redis_sentinel_url(topology->url());
  if (!options.ok()) return 1;
  g_store = std::make_unique<store::RedisStore>(*options);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_ratios();
  g_store.reset();
  topology->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
