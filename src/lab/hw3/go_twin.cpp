#include "lab/hw3/go_twin.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/file.h"
#include "infra/process.h"

namespace scalelab::lab::hw3 {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr auto kBuildTimeout = 300s;
constexpr auto kRunTimeout = 900s;

std::filesystem::path source_dir(const Hw3Options& o) {
  return o.go_source_dir.empty() ? std::filesystem::path(SCALELAB_SOURCE_DIR) / "bench/peers/go_hw3" : o.go_source_dir;
}

std::filesystem::path build_dir(const Hw3Options& o) {
  return o.go_build_dir.empty() ? std::filesystem::path(SCALELAB_BINARY_DIR) / "go_hw3" : o.go_build_dir;
}

Status run_to_end(infra::ProcessOptions p, std::chrono::milliseconds timeout, const char* what) {
  const auto log = p.log_file;
  auto proc = infra::Process::spawn(std::move(p));
  if (!proc) return proc.error();
  const auto code = proc->wait_for(timeout);
  if (!code) return Error{ErrorKind::kTimeout, fmt::format("{} did not finish in {} s", what, timeout.count() / 1000)};
  if (*code != 0)
    return Error{ErrorKind::kInternal, fmt::format("{} exited with {}: {}", what, *code, read_text(log))};
  return {};
}

Status build(const Hw3Options& o, const std::filesystem::path& go, const std::filesystem::path& binary) {
  const auto dir = build_dir(o);
  return run_to_end({.argv = {go.string(), "build", "-o", binary.string(), "."},
                     .env = {{"GO111MODULE", "off"}, {"GOPATH", (dir / "gopath").string()}, {"GOFLAGS", ""},
                             {"GOPROXY", "off"}, {"GOCACHE", (dir / "go-cache").string()}},
                     .log_file = dir / "build.log",
                     .working_dir = source_dir(o)},
                    kBuildTimeout, "go build of the Go twin");
}

std::vector<std::string> twin_args(const Hw3Options& o, const std::filesystem::path& binary,
                                   const std::filesystem::path& out) {
  return {binary.string(),
          "-out", out.string(),
          "-dir", o.out_dir.string(),
          "-threads", std::to_string(o.threads),
          "-per-thread", std::to_string(o.per_thread),
          "-runs", std::to_string(o.runs),
          "-read-mix-ops", std::to_string(o.read_mix_ops),
          "-lines", std::to_string(o.lines),
          "-round-trips", std::to_string(o.round_trips),
          "-false-sharing", std::to_string(o.false_sharing_increments),
          "-long-factor", std::to_string(o.long_factor),
          "-unsync-timeout", std::to_string(o.unsync_timeout.count())};
}

double num(const json::value& v) { return v.is_null() ? 0.0 : json::value_to<double>(v); }

Spread spread_of(const json::value& runs) {
  std::vector<double> ms;
  for (const auto& x : runs.as_array()) ms.push_back(num(x));
  return spread(ms);
}

void add_counters(const json::array& rows, Hw3Result& r) {
  for (const auto& v : rows) {
    const auto& o = v.as_object();
    r.atomicity.rows.push_back({"Go", json::value_to<std::string>(o.at("kind")),
                                static_cast<int>(num(o.at("increments"))),
                                static_cast<std::uint64_t>(num(o.at("expected"))),
                                static_cast<std::uint64_t>(num(o.at("final"))), num(o.at("ns_per_increment"))});
  }
}

void add_maps(const json::array& rows, Hw3Result& r) {
  for (const auto& v : rows) {
    const auto& o = v.as_object();
    r.maps.rows.push_back({"Go", json::value_to<std::string>(o.at("name")), json::value_to<std::string>(o.at("workload")),
                           static_cast<std::uint64_t>(num(o.at("expected"))), num(o.at("entries")),
                           spread_of(o.at("ms")), json::value_to<std::string>(o.at("outcome"))});
  }
}

void add_files(const json::array& rows, Hw3Result& r) {
  for (const auto& v : rows) {
    const auto& o = v.as_object();
    FileIoRow row{"Go", json::value_to<std::string>(o.at("name")), static_cast<int>(num(o.at("lines"))),
                  spread_of(o.at("ms")), std::nullopt};
    if (num(o.at("syscalls")) >= 0) row.syscalls = static_cast<std::uint64_t>(num(o.at("syscalls")));
    r.file_io.rows.push_back(row);
  }
}

void add_switches(const json::array& rows, Hw3Result& r) {
  for (const auto& v : rows) {
    const auto& o = v.as_object();
    r.context_switch.rows.push_back({"Go", json::value_to<std::string>(o.at("name")), o.at("pinned").as_bool(),
                                     static_cast<std::int64_t>(num(o.at("round_trips"))), num(o.at("ns_per_switch")),
                                     static_cast<std::int64_t>(num(o.at("voluntary"))),
                                     static_cast<std::int64_t>(num(o.at("involuntary")))});
  }
}

void add_false_sharing(const json::array& rows, Hw3Result& r) {
  for (const auto& v : rows) {
    const auto& o = v.as_object();
    r.false_sharing.rows.push_back({"Go", json::value_to<std::string>(o.at("layout")),
                                    static_cast<int>(num(o.at("threads"))),
                                    static_cast<std::int64_t>(num(o.at("increments"))), num(o.at("ns_per_increment")),
                                    num(o.at("ns_mean"))});
  }
}

}  // namespace

std::filesystem::path find_go() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / "go";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

Status add_go_rows(const std::string& json_text, Hw3Result& r) {
  try {
    const auto doc = json::parse(json_text).as_object();
    add_counters(doc.at("atomicity").as_array(), r);
    add_maps(doc.at("maps").as_array(), r);
    add_files(doc.at("file_io").as_array(), r);
    add_switches(doc.at("context_switch").as_array(), r);
    add_false_sharing(doc.at("false_sharing").as_array(), r);
    r.go.version = json::value_to<std::string>(doc.at("version"));
    r.go.ran = true;
  } catch (const std::exception& e) {
    return Error{ErrorKind::kProtocol, fmt::format("the Go twin's output is not what the lab reads: {}", e.what())};
  }
  return {};
}

Status run_go_twin(const Hw3Options& o, Hw3Result& r) {
  const auto go = find_go();
  if (go.empty()) return Error{ErrorKind::kUnavailable, "go is not installed (scripts/setup.sh --bench installs it)"};
  const auto dir = build_dir(o);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const auto binary = dir / "go_hw3";
  if (auto s = build(o, go, binary); !s) return s;
  const auto out = o.out_dir / "go_hw3.json";
  if (auto s = run_to_end({.argv = twin_args(o, binary, out), .log_file = o.out_dir / "go_hw3.log"}, kRunTimeout,
                          "the Go twin");
      !s)
    return s;
  return add_go_rows(read_text(out), r);
}

}  // namespace scalelab::lab::hw3
