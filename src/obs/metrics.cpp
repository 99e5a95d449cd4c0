#include "obs/metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace scalelab::obs {

void LatencyHistogram::observe(std::chrono::nanoseconds d) {
  const double s = std::chrono::duration<double>(d).count();
  auto it = std::lower_bound(kBoundsSeconds.begin(), kBoundsSeconds.end(), s);
  buckets_[static_cast<std::size_t>(it - kBoundsSeconds.begin())].fetch_add(
      1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(d.count(), 0)),
                    std::memory_order_relaxed);
}

std::uint64_t LatencyHistogram::count() const {
  std::uint64_t n = 0;
  for (const auto& b : buckets_) n += b.load(std::memory_order_relaxed);
  return n;
}

void LatencyHistogram::snapshot(std::array<std::uint64_t, kBoundsSeconds.size() + 1>& cumulative,
                                double& sum_seconds, std::uint64_t& count) const {
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    cumulative[i] = running;
  }
  count = running;
  sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
}

namespace {

void append_escaped_label_value(std::string& out, const std::string& v) {
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
}

std::string format_value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

}  // namespace

void append_family_header(std::string& out, const std::string& name, const std::string& help,
                          const char* type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  for (char c : help) out += (c == '\n') ? ' ' : c;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_sample(std::string& out, const std::string& name, const Labels& labels, double value,
                   const std::pair<std::string, std::string>* extra_label) {
  out += name;
  if (!labels.empty() || extra_label) {
    out += '{';
    bool first = true;
    auto add = [&](const std::pair<std::string, std::string>& l) {
      if (!first) out += ',';
      first = false;
      out += l.first;
      out += "=\"";
      append_escaped_label_value(out, l.second);
      out += '"';
    };
    for (const auto& l : labels) add(l);
    if (extra_label) add(*extra_label);
    out += '}';
  }
  out += ' ';
  out += format_value(value);
  out += '\n';
}

void append_histogram(std::string& out, const std::string& name, const Labels& labels,
                      const LatencyHistogram& histogram) {
  std::array<std::uint64_t, LatencyHistogram::kBoundsSeconds.size() + 1> cum{};
  double sum = 0;
  std::uint64_t count = 0;
  histogram.snapshot(cum, sum, count);
  for (std::size_t i = 0; i < cum.size(); ++i) {
    std::pair<std::string, std::string> le{
        "le", i < LatencyHistogram::kBoundsSeconds.size()
                  ? format_value(LatencyHistogram::kBoundsSeconds[i])
                  : std::string("+Inf")};
    append_sample(out, name + "_bucket", labels, static_cast<double>(cum[i]), &le);
  }
  append_sample(out, name + "_sum", labels, sum);
  append_sample(out, name + "_count", labels, static_cast<double>(count));
}

Registry::Family& Registry::family(const std::string& name, const std::string& help, Type type) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.type = type;
    it->second.help = help;
  } else if (it->second.type != type) {
    throw std::logic_error("metric '" + name + "' registered with two types");
  }
  return it->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  core::MutexLock lock(mu_);
  auto& slot = family(name, help, Type::kCounter).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  core::MutexLock lock(mu_);
  auto& slot = family(name, help, Type::kGauge).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

LatencyHistogram& Registry::histogram(const std::string& name, const std::string& help,
                                      const Labels& labels) {
  core::MutexLock lock(mu_);
  auto& slot = family(name, help, Type::kHistogram).histograms[labels];
  if (!slot) slot = std::make_unique<LatencyHistogram>();
  return *slot;
}

std::size_t Registry::add_collector(std::function<void(std::string&)> collector) {
  core::MutexLock lock(mu_);
  const std::size_t id = next_collector_id_++;
  collectors_.emplace(id, std::move(collector));
  return id;
}

void Registry::remove_collector(std::size_t id) {
  core::MutexLock lock(mu_);
  collectors_.erase(id);
}

std::string Registry::render() const {
  std::string out;
  out.reserve(4096);
  core::MutexLock lock(mu_);
  for (const auto& [name, fam] : families_) {
    switch (fam.type) {
      case Type::kCounter:
        append_family_header(out, name, fam.help, "counter");
        for (const auto& [labels, c] : fam.counters)
          append_sample(out, name, labels, static_cast<double>(c->value()));
        break;
      case Type::kGauge:
        append_family_header(out, name, fam.help, "gauge");
        for (const auto& [labels, g] : fam.gauges) append_sample(out, name, labels, g->value());
        break;
      case Type::kHistogram: {
        append_family_header(out, name, fam.help, "histogram");
        for (const auto& [labels, h] : fam.histograms) append_histogram(out, name, labels, *h);
        break;
      }
    }
  }
  for (const auto& [id, collect] : collectors_) collect(out);
  return out;
}

ProcessStats read_process_stats(int pid) {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const std::string dir = pid == 0 ? std::string("/proc/self") : fmt::format("/proc/{}", pid);
  ProcessStats s;
  std::ifstream stat(dir + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  auto close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos || close + 2 > text.size()) return s;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // utime is field 14, stime 15
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  s.cpu_seconds = (utime + stime) / ticks;
  std::ifstream statm(dir + "/statm");
  double size = 0, resident = 0;
  statm >> size >> resident;
  s.resident_bytes = resident * page;
  return s;
}

void append_process_metrics(std::string& out) {
  static const long ticks = sysconf(_SC_CLK_TCK);
  static const long page = sysconf(_SC_PAGESIZE);
  std::ifstream stat("/proc/self/stat");
  std::string line;
  std::getline(stat, line);
  // Fields after the parenthesised command name (which may hold spaces).
  auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(line.substr(close + 2));
    std::vector<std::string> f;
    for (std::string s; fields >> s;) f.push_back(s);
    // f[0] is field 3 (state); utime=14, stime=15, starttime=22, rss=24.
    if (f.size() > 21) {
      const double cpu = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(ticks);
      append_family_header(out, "process_cpu_seconds_total",
                           "Total user and system CPU time spent in seconds.", "counter");
      append_sample(out, "process_cpu_seconds_total", {}, cpu);
      append_family_header(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
                           "gauge");
      append_sample(out, "process_resident_memory_bytes", {},
                    std::stod(f[21]) * static_cast<double>(page));
      std::ifstream uptime_file("/proc/uptime");
      double uptime = 0;
      uptime_file >> uptime;
      const double boot = static_cast<double>(std::time(nullptr)) - uptime;
      append_family_header(out, "process_start_time_seconds",
                           "Start time of the process since unix epoch in seconds.", "gauge");
      append_sample(out, "process_start_time_seconds", {},
                    std::floor(boot + std::stod(f[19]) / static_cast<double>(ticks)));
    }
  }
  int fds = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir)) ++fds;
    closedir(dir);
    fds -= 3;  // ".", ".." and the directory's own descriptor
  }
  append_family_header(out, "process_open_fds", "Number of open file descriptors.", "gauge");
  append_sample(out, "process_open_fds", {}, fds);
}

}  // namespace scalelab::obs
