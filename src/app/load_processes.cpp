#include "app/load_processes.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/file.h"
#include "infra/process.h"
#include "report/output.h"

namespace scalelab::app {
namespace {

using namespace std::chrono_literals;

// Children need a moment to start and parse; they all begin at this offset.
constexpr auto kStartDelay = 1500ms;
// Options a child must not see: its share replaces --processes, and the
// parent alone writes the outputs.
constexpr const char* kParentOnly[] = {"--processes", "--json", "--csv", "--html"};

std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string arg; std::getline(in, arg, '\0');) args.push_back(arg);
  return args;
}

bool parent_only(const std::string& arg, bool& takes_value) {
  for (const char* flag : kParentOnly) {
    const std::string f = flag;
    if (arg == f) return takes_value = true;
    if (arg.rfind(f + "=", 0) == 0) return !(takes_value = false);
  }
  return false;
}

std::vector<std::string> child_arguments(unsigned index, unsigned n, const std::string& out, std::int64_t start_ms) {
  const auto all = own_arguments();
  std::vector<std::string> args{infra::self_executable().string()};
  for (std::size_t i = 1; i < all.size(); ++i) {
    bool takes_value = false;
    if (parent_only(all[i], takes_value)) {
      if (takes_value) ++i;
      continue;
    }
    args.push_back(all[i]);
  }
  for (std::string extra : {std::string("--share"), fmt::format("{}/{}", index, n), std::string("--share-out"), out,
                            std::string("--start-at"), std::to_string(start_ms), std::string("--no-progress")})
    args.push_back(std::move(extra));
  return args;
}

std::string how_it_ended(int code) {
  return code > 128 ? fmt::format("killed by signal {}", code - 128) : fmt::format("exited with {}", code);
}

// Until every child has ended: a live line each second from their progress
// files (when progress is on).
void watch(std::vector<infra::Process>& children, const std::filesystem::path& dir, bool progress,
           const std::atomic<bool>& stop) {
  const bool tty = isatty(STDERR_FILENO);
  bool stopping = false;
  for (auto next = std::chrono::steady_clock::now() + 1s;; next += 1s) {
    std::size_t alive = 0;
    for (auto& c : children) alive += c.running() ? 1 : 0;
    if (alive == 0) break;
    if (stop && !stopping) {  // a SIGTERM to this process alone (Ctrl-C reaches the whole group anyway)
      for (auto& c : children) c.signal(SIGTERM);
      stopping = true;
    }
    std::this_thread::sleep_until(next);
    if (!progress) continue;
    std::vector<std::optional<load::ShareProgress>> shares;
    for (std::size_t i = 0; i < children.size(); ++i)
      shares.push_back(load::progress_from_json(read_text(dir / fmt::format("share{}.json.progress", i))));
    std::fprintf(stderr, "%s%s%s", tty ? "\r" : "", load::merged_progress_line(shares, alive).c_str(), tty ? "  " : "\n");
    std::fflush(stderr);
  }
}

}  // namespace

Result<ProcessRun> run_in_processes(unsigned n, bool progress, const std::atomic<bool>& stop) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("scalelab-load-{}", getpid());
  std::filesystem::create_directories(dir);
  const std::int64_t start_ms = load::unix_ms_now() + kStartDelay.count();
  std::vector<infra::Process> children;
  std::vector<std::string> names;
  for (unsigned i = 0; i < n; ++i) {
    // Same process group: Ctrl-C reaches the children too.
    auto p = infra::Process::spawn({.argv = child_arguments(i, n, (dir / fmt::format("share{}.json", i)).string(), start_ms),
                                  .own_process_group = false});
    if (!p) return p.error();
    names.push_back(fmt::format("process {} (pid {})", i + 1, p->pid()));
    children.push_back(std::move(*p));
  }
  watch(children, dir, progress, stop);
  ProcessRun run;
  for (unsigned i = 0; i < n; ++i) {
    std::optional<int> code;
    while (!(code = children[i].wait_for(1h))) {
    }
    const auto part = load::part_from_json(read_text(dir / fmt::format("share{}.json", i)));
    // 2: a threshold failed in the share, which the parent judges on the whole.
    if ((*code == 0 || *code == 2) && part) {
      run.parts.push_back(*part);
      run.parts.back().name = names[i];
    } else {
      run.lost.push_back(fmt::format("{}: {}, its share is missing from the report", names[i], how_it_ended(*code)));
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  if (run.parts.empty()) return Error{ErrorKind::kUnavailable, "no generator process finished: " + run.lost.front()};
  run.merged = load::merge_parts(run.parts);
  return run;
}

int run_share(const load::Scenario& whole, const std::string& part, const std::string& out_file,
              std::int64_t start_at_unix_ms, const std::atomic<bool>* stop) {
  unsigned index = 0, n = 0;
  if (std::sscanf(part.c_str(), "%u/%u", &index, &n) != 2 || n == 0 || index >= n) {
    std::fprintf(stderr, "scalelab load: --share must be INDEX/COUNT with INDEX < COUNT\n");
    return 1;
  }
  const load::Scenario s = load::share_of(whole, index, n);
  load::SecondRecorder seconds;
  load::RunOptions opts;
  opts.stop = stop;
  opts.on_sample = [&](const load::Sample& x) { seconds.record(x); };
  // Rewritten whole each second (renamed into place) for the parent's live line.
  const std::string progress_file = out_file + ".progress";
  opts.on_progress = [&](const load::Progress& p) {
    if (report::write_file(progress_file + ".tmp", load::progress_to_json(load::share_progress(p))))
      std::filesystem::rename(progress_file + ".tmp", progress_file);
  };
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::milliseconds(start_at_unix_ms)));
  auto report = load::run(s, opts);
  if (!report) {
    std::fprintf(stderr, "scalelab load: %s\n", report.error().message.c_str());
    return 1;
  }
  load::PartReport result{fmt::format("share {}/{}", index, n), std::move(*report), seconds.take()};
  if (auto st = report::write_file(out_file, load::part_to_json(result)); !st) {
    std::fprintf(stderr, "scalelab load: %s\n", st.error().message.c_str());
    return 1;
  }
  return 0;
}

std::string with_generators(const std::string& report_json, const ProcessRun& run) {
  namespace json = boost::json;
  json::value doc = json::parse(report_json);
  json::array generators;
  for (const auto& p : run.parts)
    generators.emplace_back(json::object{{"name", p.name},
                                         {"finished", true},
                                         {"requests", p.report.aggregate.count},
                                         {"failures", p.report.aggregate.failures},
                                         {"requests_per_s", p.report.rps()},
                                         {"p50_ms", p.report.aggregate.quantile_ms(0.5)},
                                         {"p99_ms", p.report.aggregate.quantile_ms(0.99)},
                                         {"generator_cpu_s", p.report.check.generator_cpu_s}});
  for (const auto& l : run.lost) generators.emplace_back(json::object{{"name", l}, {"finished", false}});
  doc.as_object()["generators"] = std::move(generators);
  return json::serialize(doc) + "\n";
}

std::vector<load::GeneratorRow> generator_rows(const ProcessRun& run) {
  std::vector<load::GeneratorRow> rows;
  for (const auto& p : run.parts) rows.push_back({p.name, &p.report, ""});
  // A lost entry reads "NAME: why"; names ("process 2 (pid 1234)", "worker 1
  // (host pid 99)") hold no ": ".
  for (const auto& l : run.lost) {
    const auto colon = l.find(": ");
    if (colon == std::string::npos) rows.push_back({l, nullptr, ""});
    else rows.push_back({l.substr(0, colon), nullptr, l.substr(colon + 2)});
  }
  return rows;
}

std::string processes_table(const ProcessRun& run) {
  std::string s = fmt::format("generator processes: {} finished, {} lost\n", run.parts.size(), run.lost.size());
  for (const auto& p : run.parts)
    s += fmt::format("  {:<24} requests {:>9}  rps {:>9.1f}  p50 {:.2f}ms  p99 {:.2f}ms  generator CPU {:.2f}s\n",
                     p.name, p.report.aggregate.count, p.report.rps(), p.report.aggregate.quantile_ms(0.5),
                     p.report.aggregate.quantile_ms(0.99), p.report.check.generator_cpu_s);
  for (const auto& l : run.lost) s += "  LOST " + l + "\n";
  return s;
}

}  // namespace scalelab::app
