#include "lab/hw1.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "core/duration.h"
#include "core/json.h"
#include "http/client.h"
#include "http/server.h"
#include "report/output.h"
#include "load/engine.h"
#include "lab/local_albums.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

double nearest_rank(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

std::string ms(double v) { return fmt::format("{:.3f} ms", v); }

json::value histogram_chart(const std::vector<double>& sorted, std::string& caption) {
  // 50 equal bins from the minimum to the 99.9th percentile; slower samples
  // are counted in the last bin so that one outlier does not flatten the shape.
  constexpr int kBins = 50;
  const double lo = sorted.front();
  const double hi = std::max(nearest_rank(sorted, 0.999), lo + 1e-6);
  const double width = (hi - lo) / kBins;
  std::vector<std::uint64_t> counts(kBins, 0);
  std::uint64_t clipped = 0;
  for (double v : sorted) {
    auto b = static_cast<int>((v - lo) / width);
    if (v > hi) ++clipped;
    counts[static_cast<std::size_t>(std::clamp(b, 0, kBins - 1))]++;
  }
  json::array labels, data;
  for (int i = 0; i < kBins; ++i) {
    labels.emplace_back(fmt::format("{:.3f}", lo + (i + 0.5) * width));
    data.emplace_back(counts[static_cast<std::size_t>(i)]);
  }
  caption = fmt::format(
      "Response-time histogram: 50 bins of {:.3f} ms from the minimum ({:.3f} ms) to the 99.9th "
      "percentile ({:.3f} ms); {} slower requests (up to {:.3f} ms) are counted in the last bin.",
      width, lo, hi, clipped, sorted.back());
  return json::object{
      {"type", "bar"},
      {"data", json::object{{"labels", labels},
                            {"datasets", json::array{json::object{{"label", "requests"},
                                                                  {"data", data},
                                                                  {"backgroundColor", "#4e79a7"},
                                                                  {"barPercentage", 1.0},
                                                                  {"categoryPercentage", 1.0}}}}}},
      {"options",
       json::object{{"maintainAspectRatio", false},
                    {"animation", false},
                    {"plugins", json::object{{"legend", json::object{{"display", false}}}}},
                    {"scales", json::object{{"x", json::object{{"title", json::object{{"display", true}, {"text", "response time (ms)"}}}}},
                                            {"y", json::object{{"title", json::object{{"display", true}, {"text", "requests"}}}}}}}}}};
}

json::value scatter_chart(const std::vector<Hw1Sample>& samples, double p99, std::string& caption) {
  // Every request slower than p99 is drawn; the rest are thinned evenly so the
  // page stays light. The CSV has all of them.
  constexpr std::size_t kMaxPoints = 8000;
  const std::size_t stride = std::max<std::size_t>(1, samples.size() / kMaxPoints);
  json::array points;
  std::size_t drawn = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto& s = samples[i];
    if (i % stride != 0 && s.latency_ms <= p99) continue;
    points.emplace_back(json::object{{"x", s.index}, {"y", std::round(s.latency_ms * 1000) / 1000}});
    ++drawn;
  }
  caption = drawn == samples.size()
                ? "Response time of every request, in order."
                : fmt::format("Response time by request number: every request above p99 and every "
                              "{}th of the rest ({} of {} points); all are in the CSV.",
                              stride, drawn, samples.size());
  return json::object{
      {"type", "scatter"},
      {"data", json::object{{"datasets", json::array{json::object{{"label", "response time (ms)"},
                                                                  {"data", points},
                                                                  {"pointRadius", 1.5},
                                                                  {"backgroundColor", "#e15759"}}}}}},
      {"options",
       json::object{{"maintainAspectRatio", false},
                    {"animation", false},
                    {"parsing", false},
                    {"plugins", json::object{{"legend", json::object{{"display", false}}}}},
                    {"scales", json::object{{"x", json::object{{"type", "linear"}, {"title", json::object{{"display", true}, {"text", "request number"}}}}},
                                            {"y", json::object{{"title", json::object{{"display", true}, {"text", "response time (ms)"}}}}}}}}}};
}

void print_progress(double elapsed, double total, std::uint64_t n, std::uint64_t failed,
                    double median_ms, bool tty) {
  std::fprintf(stderr, "%shw1: %5.1fs / %.0fs  %8llu requests  %llu failed  median (last second) %.3f ms%s", tty ? "\r" : "",
               elapsed, total, static_cast<unsigned long long>(n),
               static_cast<unsigned long long>(failed), median_ms, tty ? "   " : "\n");
  std::fflush(stderr);
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

Hw1Summary summarize(const std::vector<Hw1Sample>& samples, const std::vector<double>& lat,
                     double elapsed_s) {
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
  s.median_ms = nearest_rank(lat, 0.5);
  s.p95_ms = nearest_rank(lat, 0.95);
  s.p99_ms = nearest_rank(lat, 0.99);
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

  http::ClientOptions copts;
  copts.host = endpoint->host;
  copts.port = endpoint->port;
  http::BlockingClient client(copts);

  // Fail fast with a clear message when nothing answers.
  if (auto probe = client.get(endpoint->path, options.timeout); !probe)
    return Error{probe.error().kind, "cannot reach " + url + ": " + probe.error().message};

  // One sequential user on the load engine: a keep-alive connection, no
  // wait, each request sent when the previous answer has arrived.
  load::Scenario scenario;
  scenario.name = "hw1";
  scenario.host = fmt::format("http://{}:{}", endpoint->host, endpoint->port);
  scenario.users = 1;
  scenario.duration = options.duration;
  scenario.max_requests = options.max_requests;
  scenario.timeout = options.timeout;
  scenario.client = load::ClientKind::kFast;
  {
    auto path = load::Template::compile(endpoint->path);
    if (!path) return Error{ErrorKind::kInvalidInput, "bad path in " + url + ": " + path.error().message};
    load::RequestSpec get;
    get.name = "GET " + endpoint->path;
    get.path = std::move(*path);
    scenario.tasks.push_back(load::TaskSpec{get.name, 1, {std::move(get)}});
  }

  const bool tty = options.progress && isatty(STDERR_FILENO);
  std::vector<Hw1Sample> samples;
  samples.reserve(1 << 16);
  std::string first_error;
  std::uint64_t failed = 0;
  load::RunOptions run_options;
  // One user: samples arrive one at a time, in order, on the generator thread.
  run_options.on_sample = [&](const load::Sample& x) {
    Hw1Sample s;
    s.index = samples.size();
    s.start_s = x.start_s;
    s.latency_ms = x.latency_ms;
    s.status = x.status;
    if (x.failed) {
      ++failed;
      if (first_error.empty()) first_error = x.status ? fmt::format("HTTP {}", x.status) : std::string(x.reason);
    }
    samples.push_back(s);
  };
  if (options.progress)
    run_options.on_progress = [&](const load::Progress& p) {
      print_progress(p.elapsed_s, std::chrono::duration<double>(options.duration).count(), p.total_requests,
                     p.total_failures, p.last ? p.last->p50_ms : 0, tty);
    };
  auto run = load::run(scenario, run_options);
  if (!run) return run.error();
  const double elapsed = run->elapsed_s;
  if (tty) std::fprintf(stderr, "\n");
  if (samples.empty()) return Error{ErrorKind::kInternal, "no request completed"};

  Hw1Result result;
  const std::vector<double> sorted = sorted_latencies(samples);
  result.summary = summarize(samples, sorted, elapsed);
  result.summary.url = url;
  result.summary.first_error = first_error;
  const auto& sum = result.summary;

  // Raw samples.
  std::string csv = "request,start_s,latency_ms,status\n";
  for (const auto& s : samples)
    fmt::format_to(std::back_inserter(csv), "{},{:.6f},{:.4f},{}\n", s.index, s.start_s, s.latency_ms, s.status);
  result.csv = options.out_dir / "samples.csv";
  if (auto st = report::write_file(result.csv, csv); !st) return st.error();

  json::object summary_json{{"experiment", "hw1"},
                            {"url", url},
                            {"duration_s", std::chrono::duration<double>(options.duration).count()},
                            {"timeout_s", std::chrono::duration<double>(options.timeout).count()},
                            {"elapsed_s", sum.elapsed_s},
                            {"total_requests", sum.total},
                            {"ok", sum.ok},
                            {"failed", sum.failed},
                            {"throughput_rps", sum.throughput_rps},
                            {"min_ms", sum.min_ms},
                            {"mean_ms", sum.mean_ms},
                            {"median_ms", sum.median_ms},
                            {"p95_ms", sum.p95_ms},
                            {"p99_ms", sum.p99_ms},
                            {"max_ms", sum.max_ms}};
  if (!first_error.empty()) summary_json["first_error"] = first_error;
  result.json = options.out_dir / "summary.json";
  if (auto st = report::write_file(result.json, to_json(summary_json) + "\n"); !st) return st.error();

  // The page.
  report::HtmlReport page("hw1: response time of sequential GET /albums");
  page.paragraph(fmt::format(
      "One client sent GET requests to {} one after another for {:.1f} s (timeout {} per "
      "request), waiting for each response before sending the next, over one keep-alive connection.",
      url, sum.elapsed_s, format_duration(options.timeout)));
  page.table({"metric", "value"},
               {{"total requests", fmt::format("{}", sum.total)},
                {"succeeded / failed", fmt::format("{} / {}", sum.ok, sum.failed)},
                {"throughput", fmt::format("{:.1f} req/s", sum.throughput_rps)},
                {"min", ms(sum.min_ms)},
                {"mean", ms(sum.mean_ms)},
                {"median", ms(sum.median_ms)},
                {"p95", ms(sum.p95_ms)},
                {"p99", ms(sum.p99_ms)},
                {"max", ms(sum.max_ms)}});
  if (!first_error.empty()) page.paragraph("First failure: " + first_error);

  const double median = std::max(sum.median_ms, 1e-9);
  std::size_t over_2x = 0;
  for (double v : sorted) over_2x += v > 2 * median;
  page.heading("What the numbers say");
  page.paragraph(fmt::format(
      "p95 is {:.2f}x the median and p99 is {:.2f}x; the slowest request took {:.1f}x the median. "
      "{:.2f}% of requests took more than twice the median. The mean ({:.3f} ms) sits {} the median "
      "({:.3f} ms){}.",
      sum.p95_ms / median, sum.p99_ms / median, sum.max_ms / median,
      100.0 * static_cast<double>(over_2x) / static_cast<double>(sorted.size()), sum.mean_ms,
      sum.mean_ms > sum.median_ms ? "above" : "at or below", sum.median_ms,
      sum.mean_ms > sum.median_ms ? ": a right-skewed distribution with a long tail" : ""));
  page.paragraph(
      "A single sequential client measures latency, not capacity: throughput is simply 1/latency. "
      "With 100 concurrent users the server's queueing, not its processing time, would decide the "
      "tail; on loopback there is almost no network time, so these figures are mostly processing "
      "plus the kernel's socket path.");

  std::string hist_caption, scatter_caption;
  auto hist = histogram_chart(sorted, hist_caption);
  page.chart(hist_caption, hist);
  auto scatter = scatter_chart(samples, sum.p99_ms, scatter_caption);
  page.chart(scatter_caption, scatter);
  page.link("Raw samples (CSV): samples.csv", "samples.csv");
  page.link("Summary (JSON): summary.json", "summary.json");
  result.report = options.out_dir / "report.html";
  if (auto st = page.write(result.report); !st) return st.error();
  return result;
}

}  // namespace scalelab::lab
