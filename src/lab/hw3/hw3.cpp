#include "lab/hw3/hw3.h"

#include <cstdlib>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "lab/hw3/go_twin.h"
#include "lab/live.h"

namespace scalelab::lab {
namespace {

std::string machine_line() {
  double load[3] = {0, 0, 0};
  const int n = getloadavg(load, 3);
  return fmt::format("{} cores, load average {:.2f} {:.2f} {:.2f}", std::thread::hardware_concurrency(),
                     n > 0 ? load[0] : 0, n > 1 ? load[1] : 0, n > 2 ? load[2] : 0);
}

Status check(const Hw3Options& o) {
  if (o.threads < 1 || o.per_thread < 1 || o.runs < 1 || o.lines < 1 || o.round_trips < 1 ||
      o.false_sharing_increments < 1 || o.read_mix_ops < 1 || o.long_factor < 1)
    return Error{ErrorKind::kInvalidInput, "hw3: every count must be at least 1"};
  return {};
}

}  // namespace

Hw3Options quick_hw3(Hw3Options o) {
  o.runs = 3;
  o.read_mix_ops = 2'000;
  o.round_trips = 20'000;
  o.false_sharing_increments = 2'000'000;
  o.unsync_timeout = std::chrono::seconds(3);
  return o;
}

Result<Hw3Result> run_hw3(const Hw3Options& o) {
  if (auto s = check(o); !s) return s.error();
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return Error{ErrorKind::kInvalidInput, fmt::format("cannot create {}: {}", o.out_dir.string(), ec.message())};
  auto say = [&](const char* what) {
    if (o.progress) fmt::print(stderr, "hw3: {}\n", what);
    live_phase(o.live, what);
  };
  Hw3Result r;
  say("atomicity");
  r.atomicity = hw3::run_atomicity(o.threads, o.per_thread, o.long_factor);
  say("collections");
  r.maps = hw3::run_maps({o.threads, o.per_thread, o.runs, o.read_mix_ops, o.unsync_timeout, o.long_factor});
  say("file I/O");
  r.file_io = hw3::run_file_io(o.out_dir, o.lines, o.runs);
  say("context switching");
  r.context_switch = hw3::run_context_switch(o.round_trips);
  say("false sharing");
  r.false_sharing = hw3::run_false_sharing(o.false_sharing_increments, o.runs);
  if (o.go) {
    say("the Go twin");
    if (auto s = hw3::run_go_twin(o, r); !s) {
      r.go.note = s.error().message;
      spdlog::warn("hw3: Go twin: {}", r.go.note);
    }
  } else {
    r.go.note = "not run (--no-go)";
  }
  r.machine = machine_line();
  return r;
}

}  // namespace scalelab::lab
