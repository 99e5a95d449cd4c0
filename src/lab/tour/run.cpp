// Running the tour: each experiment as a child process of this binary, its
// output in OUT/NAME/tour.log, progress (k of n, elapsed, time left) on stderr.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "infra/process.h"
#include "lab/live.h"
#include "lab/tour/tour.h"

namespace scalelab::lab::tour {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A failed experiment shows this many of its log's last lines.
constexpr std::size_t kLogTailLines = 12;
// How often the tour looks at a running child and refreshes its progress line;
// with a live page, more often, so that the child's events reach it soon.
constexpr std::chrono::milliseconds kPollInterval{1'000};
constexpr std::chrono::milliseconds kLivePollInterval{250};
// The page's "time left" is refreshed this often (seconds).
constexpr double kLiveTourEvery = 1;
// A child gets this many times its expected duration (and at least kMinBudget) before it is stopped.
constexpr double kBudgetFactor = 4;
constexpr std::chrono::seconds kMinBudget{120};
// `lab NAME --help` answers at once; a binary that hangs on it is not usable.
constexpr std::chrono::seconds kHelpTimeout{10};

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (!dir.empty() && ::access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

std::string log_tail(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > kLogTailLines ? lines.size() - kLogTailLines : 0; i < lines.size(); ++i) {
    out += lines[i] + "\n";
  }
  return out;
}

boost::json::value read_summary(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return nullptr;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(text.str(), ec);
  return ec ? boost::json::value(nullptr) : v;
}

// hw6's labs record whether their CPU quota could be applied ("limited").
bool ran_unlimited(const boost::json::value& summary) {
  const auto* limited = summary.is_object() ? summary.as_object().if_contains("limited") : nullptr;
  return limited && limited->is_bool() && !limited->get_bool();
}

// Whether `binary lab NAME --help` describes that experiment: for an unknown
// name CLI11 prints the help of `lab` itself and still exits 0, so the usage
// line is what tells.
bool has_lab(const fs::path& binary, const std::string& name) {
  const fs::path out = fs::temp_directory_path() / fmt::format("scalelab-tour-help-{}.txt", ::getpid());
  fs::remove(out);
  auto help = infra::Process::spawn({.argv = {binary.string(), "lab", name, "--help"}, .log_file = out});
  bool ok = help && help->wait_for(kHelpTimeout).value_or(1) == 0;
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  fs::remove(out);
  const std::string usage = text.str(), want = " lab " + name;
  const auto at = usage.find(want);
  return ok && at != std::string::npos && at + want.size() < usage.size() &&
         (usage[at + want.size()] == ' ' || usage[at + want.size()] == '\n');
}

std::string clock_text(double s) { return fmt::format("{}:{:02}", static_cast<int>(s) / 60, static_cast<int>(s) % 60); }

struct Progress {
  bool on = true;
  bool tty = ::isatty(STDERR_FILENO) != 0;
  Clock::time_point start_time = Clock::now();
  double expected_left = 0;  // expected seconds of the experiments after the current one

  void start(std::size_t k, std::size_t n, const Experiment& e, double expected) const {
    if (on && !tty) fmt::print(stderr, "tour: [{}/{}] {} (about {:.0f}s; elapsed {}, about {} left)\n", k, n, e.name,
                               expected, clock_text(since(start_time)), clock_text(expected_left + expected));
  }
  // The tour's time left while the current experiment has run running_s of its expected seconds.
  double left(double expected, double running_s) const { return expected_left + std::max(0.0, expected - running_s); }
  // A line rewritten in place each second on a terminal; nothing in a log.
  void show(std::size_t k, std::size_t n, const Experiment& e, double expected, double running_s) const {
    if (!on || !tty) return;
    double left = this->left(expected, running_s);
    fmt::print(stderr, "\rtour: [{}/{}] {} {:.0f}s | elapsed {} | about {} left   ", k, n, e.name, running_s,
               clock_text(since(start_time)), clock_text(left));
  }
  void done(const ExperimentRun& r) const {
    if (on) fmt::print(stderr, "{}tour: {} {} in {:.0f}s{}{}\n", tty ? "\r" : "", r.name, to_string(r.status), r.seconds,
                       r.reason.empty() ? "" : ": ", r.status == Status::kFailed ? "see below" : r.reason);
    if (r.status == Status::kFailed) fmt::print(stderr, "{}\n", r.reason);
  }
};

// The running child's live events (its --live-out file), passed on a whole
// line at a time; and the page's stop, passed to the child as its stop file.
class ChildFeed {
 public:
  ChildFeed(TourLive* live, std::string name, fs::path file)
      : live_(live), name_(std::move(name)), file_(std::move(file)) {}

  void pump() {
    std::ifstream in(file_, std::ios::binary);
    if (!live_ || !in) return;
    in.seekg(offset_);
    std::string chunk{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    offset_ += static_cast<std::streamoff>(chunk.size());
    pending_ += chunk;
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
      if (nl > 0) live_->child_event(name_, std::string_view(pending_).substr(0, nl));
      pending_.erase(0, nl + 1);
    }
  }
  void pass_stop() {
    if (!live_ || stop_sent_ || !live_->stop_requested()) return;
    stop_sent_ = static_cast<bool>(std::ofstream(lab::live_stop_file(file_)));
  }

 private:
  TourLive* live_;
  std::string name_;
  fs::path file_;
  std::streamoff offset_ = 0;
  std::string pending_;  // the start of a line not yet complete
  bool stop_sent_ = false;
};

ExperimentRun run_one(const TourOptions& o, const Experiment& e, const Progress& p, std::size_t k, std::size_t n) {
  ExperimentRun r{.name = e.name};
  const fs::path dir = o.out_dir / e.name;
  fs::create_directories(dir);
  const fs::path log = dir / "tour.log", live_out = o.live ? dir / "live.jsonl" : fs::path();
  // A previous run's files must not pass for this one's.
  for (const char* stale : {"tour.log", "summary.json", "report.html", "live.jsonl", "live.jsonl.stop"})
    fs::remove(dir / stale);
  const double expected = o.quick ? e.quick_s : e.full_s;
  p.start(k, n, e, expected);
  if (o.live) o.live->experiment(k, n, e.name, p.left(expected, 0));
  const auto t0 = Clock::now();
  auto child = infra::Process::spawn({.argv = child_argv(o.binary, e, o.quick, dir, live_out), .log_file = log});
  if (!child) return {.name = e.name, .status = Status::kFailed, .reason = child.error().message};
  const auto budget = std::max<double>(kMinBudget.count(), expected * kBudgetFactor);
  ChildFeed feed(o.live, e.name, live_out);
  double told = 0;  // when the page last heard the time left
  std::optional<int> code;
  while (!(code = child->wait_for(o.live ? kLivePollInterval : kPollInterval))) {
    p.show(k, n, e, expected, since(t0));
    feed.pump();
    feed.pass_stop();
    if (o.live && since(t0) - told >= kLiveTourEvery) o.live->experiment(k, n, e.name, p.left(expected, told = since(t0)));
    if (since(t0) > budget) {
      r.reason = fmt::format("stopped after {:.0f}s (expected about {:.0f}s)\n", since(t0), expected);
      child->stop();
      code = -1;
      break;
    }
  }
  feed.pump();
  r.seconds = since(t0);
  r.summary = read_summary(dir / "summary.json");
  if (fs::exists(dir / "report.html")) r.report = e.name + "/report.html";
  // Exit status 3 and the like mean "ran, but some requests failed": the report is still the result.
  r.status = (*code == 0 || (r.summary.is_object() && *code > 0 && *code < 64)) ? Status::kOk : Status::kFailed;
  if (r.status == Status::kFailed) r.reason += fmt::format("exit status {}; last lines of {}:\n{}", *code, log.string(), log_tail(log));
  else if (*code != 0) r.reason = fmt::format("finished with exit status {} (see its report)", *code);
  return r;
}

}  // namespace

const char* to_string(Status s) {
  switch (s) {
    case Status::kOk: return "ok";
    case Status::kSkipped: return "skipped";
    case Status::kFailed: return "failed";
    case Status::kNotSelected: return "not selected";
  }
  return "?";
}

Result<std::vector<bool>> select(const std::vector<Experiment>& all, const std::vector<std::string>& only,
                                 const std::vector<std::string>& skip) {
  for (const auto* names : {&only, &skip}) {
    for (const auto& n : *names) {
      if (std::none_of(all.begin(), all.end(), [&](const Experiment& e) { return e.name == n; })) {
        std::string known;
        for (const auto& e : all) known += (known.empty() ? "" : ", ") + e.name;
        return Error{ErrorKind::kInvalidInput, fmt::format("tour: no experiment named '{}' (there are: {})", n, known)};
      }
    }
  }
  std::vector<bool> chosen;
  for (const auto& e : all) {
    bool in_only = only.empty() || std::find(only.begin(), only.end(), e.name) != only.end();
    chosen.push_back(in_only && std::find(skip.begin(), skip.end(), e.name) == skip.end());
  }
  return chosen;
}

std::vector<std::string> child_argv(const fs::path& binary, const Experiment& e, bool quick, const fs::path& out_dir,
                                    const fs::path& live_out) {
  std::vector<std::string> argv{binary.string(), "lab", e.name};
  const auto& args = quick ? e.quick_args : e.full_args;
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--out", out_dir.string()});
  if (!live_out.empty()) argv.insert(argv.end(), {"--live-out", live_out.string()});
  return argv;
}

std::string missing_requirement(const fs::path& binary, const Experiment& e) {
  if (!has_lab(binary, e.name)) return "not built in this binary";
  for (const auto& program : e.needs) {
    if (!on_path(program)) return fmt::format("needs {} (not found on PATH; scripts/setup.sh installs it)", program);
  }
  return "";
}

TourResult run_tour(const TourOptions& opts) {
  TourOptions o = opts;
  if (o.binary.empty()) o.binary = infra::self_executable();
  const auto& all = course();
  auto chosen = select(all, o.only, o.skip);
  TourResult result{.quick = o.quick};
  Progress p{.on = o.progress};
  std::vector<std::string> why_not(all.size());
  std::size_t n = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!chosen || !(*chosen)[i]) continue;
    why_not[i] = missing_requirement(o.binary, all[i]);
    if (why_not[i].empty()) {
      ++n;
      p.expected_left += o.quick ? all[i].quick_s : all[i].full_s;
    }
  }
  std::size_t k = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& e = all[i];
    if (!chosen || !(*chosen)[i]) {
      result.runs.push_back({.name = e.name, .status = Status::kNotSelected});
      continue;
    }
    if (why_not[i].empty() && o.live && o.live->stop_requested()) why_not[i] = "the tour was stopped from its live page";
    if (!why_not[i].empty()) {
      result.runs.push_back({.name = e.name, .status = Status::kSkipped, .reason = why_not[i]});
      p.done(result.runs.back());
      continue;
    }
    p.expected_left -= o.quick ? e.quick_s : e.full_s;
    auto r = run_one(o, e, p, ++k, n);
    if (r.status == Status::kOk && e.wants_cpu_limit && ran_unlimited(r.summary)) {
      r.reason = "no cgroup CPU controller here: the service ran without a CPU limit";
    }
    p.done(r);
    result.runs.push_back(std::move(r));
  }
  result.seconds = since(p.start_time);
  return result;
}

}  // namespace scalelab::lab::tour
