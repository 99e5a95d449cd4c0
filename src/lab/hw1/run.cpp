#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include <fmt/format.h>

#include "http/client.h"
#include "lab/hw1/hw1.h"
#include "lab/live.h"
#include "lab/local_albums.h"
#include "lab/samples.h"
#include "load/engine.h"

namespace scalelab::lab {

namespace {

// Room for a typical run's samples up front (a 30 s loopback run sends tens
// of thousands), so collecting them rarely reallocates on the generator thread.
constexpr std::size_t kExpectedSamples = 1 << 16;

void print_progress(double elapsed, double total, std::uint64_t n, std::uint64_t failed, double median_ms,
                    bool tty) {
  std::fprintf(stderr, "%shw1: %5.1fs / %.0fs  %8llu requests  %llu failed  median (last second) %.3f ms%s",
               tty ? "\r" : "", elapsed, total, static_cast<unsigned long long>(n),
               static_cast<unsigned long long>(failed), median_ms, tty ? "   " : "\n");
  std::fflush(stderr);
}

// One sequential user on the load engine: a keep-alive connection, no wait,
// each request sent when the previous answer has arrived.
Result<load::Scenario> sequential_get(const http::Endpoint& endpoint, const std::string& url,
                                      const Hw1Options& options) {
  load::Scenario scenario;
  scenario.name = "hw1";
  scenario.host = fmt::format("http://{}:{}", endpoint.host, endpoint.port);
  scenario.users = 1;
  scenario.duration = options.duration;
  scenario.max_requests = options.max_requests;
  scenario.timeout = options.timeout;
  scenario.client = load::ClientKind::kFast;
  auto path = load::Template::compile(endpoint.path);
  if (!path) return Error{ErrorKind::kInvalidInput, "bad path in " + url + ": " + path.error().message};
  load::RequestSpec get;
  get.name = "GET " + endpoint.path;
  get.path = std::move(*path);
  scenario.tasks.push_back(load::TaskSpec{get.name, 1, {std::move(get)}});
  return scenario;
}

// Every sample in order, and the first failure's message.
struct Collected {
  std::vector<Hw1Sample> samples;
  std::string first_error;
};

Result<double> send_all(const load::Scenario& scenario, const Hw1Options& options, Collected& out) {
  const bool tty = options.progress && isatty(STDERR_FILENO);
  out.samples.reserve(kExpectedSamples);
  load::RunOptions run_options;
  // One user: samples arrive one at a time, in order, on the generator thread.
  run_options.on_sample = [&out](const load::Sample& x) {
    if (x.failed && out.first_error.empty())
      out.first_error = x.status ? fmt::format("HTTP {}", x.status) : std::string(x.reason);
    out.samples.push_back(Hw1Sample{out.samples.size(), x.start_s, x.latency_ms, x.status});
  };
  if (options.progress)
    run_options.on_progress = [&options, tty](const load::Progress& p) {
      print_progress(p.elapsed_s, std::chrono::duration<double>(options.duration).count(), p.total_requests,
                     p.total_failures, p.last ? p.last->p50_ms : 0, tty);
    };
  live_phase(options.live, "sequential GET");
  watch(options.live, run_options);
  auto run = load::run(scenario, run_options);
  if (tty) std::fprintf(stderr, "\n");
  if (!run) return run.error();
  return run->elapsed_s;
}

}  // namespace

std::vector<double> sorted_latencies(const std::vector<Hw1Sample>& samples) {
  std::vector<double> lat;
  lat.reserve(samples.size());
  for (const auto& x : samples) lat.push_back(x.latency_ms);
  std::sort(lat.begin(), lat.end());
  return lat;
}

Hw1Summary summarize(const std::vector<Hw1Sample>& samples, double elapsed_s) {
  return summarize(samples, sorted_latencies(samples), elapsed_s);
}

Hw1Summary summarize(const std::vector<Hw1Sample>& samples, const std::vector<double>& lat, double elapsed_s) {
  Hw1Summary s;
  s.total = samples.size();
  s.elapsed_s = elapsed_s;
  double sum = 0;
  for (const auto& x : samples) {
    if (x.status >= 200 && x.status < 400) ++s.ok;
    sum += x.latency_ms;
  }
  s.failed = s.total - s.ok;
  if (lat.empty()) return s;
  s.min_ms = lat.front();
  s.max_ms = lat.back();
  s.mean_ms = sum / static_cast<double>(lat.size());
  s.median_ms = sorted_quantile(lat, 0.5);
  s.p95_ms = sorted_quantile(lat, 0.95);
  s.p99_ms = sorted_quantile(lat, 0.99);
  s.throughput_rps = elapsed_s > 0 ? static_cast<double>(s.total) / elapsed_s : 0;
  return s;
}

Result<Hw1Result> run_hw1(const Hw1Options& options) {
  std::optional<LocalAlbums> local;
  std::string url = options.url;
  if (url.empty()) {
    local.emplace();
    url = local->base_url() + "/albums";
  }
  auto endpoint = http::parse_http_url(url);
  if (!endpoint) return endpoint.error();

  // Fail fast with a clear message when nothing answers.
  http::BlockingClient probe_client(http::ClientOptions{.host = endpoint->host, .port = endpoint->port});
  if (auto probe = probe_client.get(endpoint->path, options.timeout); !probe)
    return Error{probe.error().kind, "cannot reach " + url + ": " + probe.error().message};

  auto scenario = sequential_get(*endpoint, url, options);
  if (!scenario) return scenario.error();
  Collected collected;
  auto elapsed = send_all(*scenario, options, collected);
  if (!elapsed) return elapsed.error();
  if (collected.samples.empty()) return Error{ErrorKind::kInternal, "no request completed"};

  Hw1Result result;
  result.sorted_ms = sorted_latencies(collected.samples);
  result.summary = summarize(collected.samples, result.sorted_ms, *elapsed);
  result.summary.url = url;
  result.summary.first_error = std::move(collected.first_error);
  result.samples = std::move(collected.samples);
  result.duration = options.duration;
  result.timeout = options.timeout;
  return result;
}

}  // namespace scalelab::lab
