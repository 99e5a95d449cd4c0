#include <algorithm>
#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "core/duration.h"
#include "lab/hw1/hw1.h"
#include "lab/samples.h"
#include "report/output.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

// 50 bins show the distribution's shape (modes, tail) without gaps at
// typical run sizes.
constexpr int kHistogramBins = 50;
// The histogram spans the minimum to this quantile; slower samples go into
// the last bin, so one outlier does not flatten the shape.
constexpr double kHistogramTop = 0.999;
// At most this many scatter points are drawn, so the page stays light; the
// CSV holds every sample.
constexpr std::size_t kMaxScatterPoints = 8000;
// "Slow" in the page's reading: more than this many times the median.
constexpr double kSlowFactor = 2;

std::string ms(double v) { return fmt::format("{:.3f} ms", v); }

json::object axis(const char* title) {
  return json::object{{"title", json::object{{"display", true}, {"text", title}}}};
}

json::object chart_options(json::object x, json::object y) {
  return json::object{{"maintainAspectRatio", false},
                      {"animation", false},
                      {"plugins", json::object{{"legend", json::object{{"display", false}}}}},
                      {"scales", json::object{{"x", std::move(x)}, {"y", std::move(y)}}}};
}

json::value histogram_chart(const std::vector<double>& sorted, std::string& caption) {
  const double lo = sorted.front();
  const double hi = std::max(sorted_quantile(sorted, kHistogramTop), lo + 1e-6);
  const double width = (hi - lo) / kHistogramBins;
  std::vector<std::uint64_t> counts(kHistogramBins, 0);
  std::uint64_t clipped = 0;
  for (double v : sorted) {
    if (v > hi) ++clipped;
    counts[static_cast<std::size_t>(std::clamp(static_cast<int>((v - lo) / width), 0, kHistogramBins - 1))]++;
  }
  json::array labels, data;
  for (int i = 0; i < kHistogramBins; ++i) {
    labels.emplace_back(fmt::format("{:.3f}", lo + (i + 0.5) * width));
    data.emplace_back(counts[static_cast<std::size_t>(i)]);
  }
  caption = fmt::format(
      "Response-time histogram: {} bins of {:.3f} ms from the minimum ({:.3f} ms) to the 99.9th "
      "percentile ({:.3f} ms); {} slower requests (up to {:.3f} ms) are counted in the last bin.",
      kHistogramBins, width, lo, hi, clipped, sorted.back());
  json::object dataset{{"label", "requests"}, {"data", data}, {"backgroundColor", report::chart_color(0)},
                       {"barPercentage", 1.0}, {"categoryPercentage", 1.0}};
  return json::object{
      {"type", "bar"},
      {"data", json::object{{"labels", labels}, {"datasets", json::array{dataset}}}},
      {"options", chart_options(axis("response time (ms)"), axis("requests"))}};
}

json::value scatter_chart(const std::vector<Hw1Sample>& samples, double p99, std::string& caption) {
  // Every request slower than p99 is drawn; the rest are thinned evenly.
  const std::size_t stride = std::max<std::size_t>(1, samples.size() / kMaxScatterPoints);
  json::array points;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const auto& s = samples[i];
    if (i % stride != 0 && s.latency_ms <= p99) continue;
    points.emplace_back(json::object{{"x", s.index}, {"y", std::round(s.latency_ms * 1000) / 1000}});
  }
  caption = points.size() == samples.size()
                ? "Response time of every request, in order."
                : fmt::format("Response time by request number: every request above p99 and every "
                              "{}th of the rest ({} of {} points); all are in the CSV.",
                              stride, points.size(), samples.size());
  json::object dataset{{"label", "response time (ms)"}, {"data", points}, {"pointRadius", 1.5},
                       {"backgroundColor", report::chart_color(1)}};
  auto x = axis("request number");
  x["type"] = "linear";
  auto options = chart_options(std::move(x), axis("response time (ms)"));
  options["parsing"] = false;
  return json::object{{"type", "scatter"},
                      {"data", json::object{{"datasets", json::array{dataset}}}},
                      {"options", std::move(options)}};
}

std::string samples_csv(const std::vector<Hw1Sample>& samples) {
  std::string csv = "request,start_s,latency_ms,status\n";
  for (const auto& s : samples)
    fmt::format_to(std::back_inserter(csv), "{},{:.6f},{:.4f},{}\n", s.index, s.start_s, s.latency_ms, s.status);
  return csv;
}

json::object summary_json(const Hw1Result& r) {
  const auto& sum = r.summary;
  json::object o{{"experiment", "hw1"},
                 {"url", sum.url},
                 {"duration_s", std::chrono::duration<double>(r.duration).count()},
                 {"timeout_s", std::chrono::duration<double>(r.timeout).count()},
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
  if (!sum.first_error.empty()) o["first_error"] = sum.first_error;
  return o;
}

void add_figures(report::HtmlReport& page, const Hw1Result& r) {
  const auto& sum = r.summary;
  page.paragraph(fmt::format(
      "One client sent GET requests to {} one after another for {:.1f} s (timeout {} per "
      "request), waiting for each response before sending the next, over one keep-alive connection.",
      sum.url, sum.elapsed_s, format_duration(r.timeout)));
  page.table({"metric", "value"}, {{"total requests", fmt::format("{}", sum.total)},
                                   {"succeeded / failed", fmt::format("{} / {}", sum.ok, sum.failed)},
                                   {"throughput", fmt::format("{:.1f} req/s", sum.throughput_rps)},
                                   {"min", ms(sum.min_ms)},
                                   {"mean", ms(sum.mean_ms)},
                                   {"median", ms(sum.median_ms)},
                                   {"p95", ms(sum.p95_ms)},
                                   {"p99", ms(sum.p99_ms)},
                                   {"max", ms(sum.max_ms)}});
  if (!sum.first_error.empty()) page.paragraph("First failure: " + sum.first_error);
}

void add_reading(report::HtmlReport& page, const Hw1Result& r) {
  const auto& sum = r.summary;
  const double median = std::max(sum.median_ms, 1e-9);
  const auto slow = std::count_if(r.sorted_ms.begin(), r.sorted_ms.end(),
                                  [median](double v) { return v > kSlowFactor * median; });
  const bool skewed = sum.mean_ms > sum.median_ms;
  page.heading("What the numbers say");
  page.paragraph(fmt::format(
      "p95 is {:.2f}x the median and p99 is {:.2f}x; the slowest request took {:.1f}x the median. "
      "{:.2f}% of requests took more than twice the median. The mean ({:.3f} ms) sits {} the median "
      "({:.3f} ms){}.",
      sum.p95_ms / median, sum.p99_ms / median, sum.max_ms / median,
      100.0 * static_cast<double>(slow) / static_cast<double>(r.sorted_ms.size()), sum.mean_ms,
      skewed ? "above" : "at or below", sum.median_ms,
      skewed ? ": a right-skewed distribution with a long tail" : ""));
  page.paragraph(
      "A single sequential client measures latency, not capacity: throughput is simply 1/latency. "
      "With 100 concurrent users the server's queueing, not its processing time, would decide the "
      "tail; on loopback there is almost no network time, so these figures are mostly processing "
      "plus the kernel's socket path.");
}

}  // namespace

Result<Hw1Files> render_hw1(const Hw1Result& result, const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  Hw1Files files;
  auto csv = out.data("samples.csv", samples_csv(result.samples), "Raw samples (CSV): samples.csv");
  if (!csv) return csv.error();
  files.csv = *csv;
  auto json_file = out.summary(summary_json(result));
  if (!json_file) return json_file.error();
  files.json = *json_file;

  report::HtmlReport page("hw1: response time of sequential GET /albums");
  add_figures(page, result);
  add_reading(page, result);
  std::string caption;
  auto hist = histogram_chart(result.sorted_ms, caption);
  page.chart(caption, hist);
  auto scatter = scatter_chart(result.samples, result.summary.p99_ms, caption);
  page.chart(caption, scatter);
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
