// The hw5 client experiment: the same albums load (GET:POST 3:1, no wait)
// driven by the `simple` client (a new connection per request, a thread per
// user) and the `fast` one (keep-alive, async), at several user counts, side
// by side in one report that says when the client is the bottleneck.
// run_hw5_clients measures (run.cpp); render_hw5_clients draws (render.cpp).
// Thread-safety: run and render are called from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "load/scenario.h"
#include "load/stats.h"

namespace scalelab::lab {

class Live;

struct Hw5ClientsOptions {
  std::string url;  // albums base URL (http://HOST:PORT); empty: start albums in this process
  std::vector<unsigned> users = {1, 8, 32};
  std::chrono::milliseconds duration{5'000};  // per run
  std::chrono::milliseconds wait{0};          // think time after each task (0: none)
  std::filesystem::path out_dir = "reports/hw5-clients";  // where the caller renders
  bool progress = true;
  Live* live = nullptr;  // --web: the live view (lab/live.h); Stop ends the run going on, skips the rest
};

struct Hw5ClientsRun {
  load::ClientKind client = load::ClientKind::kSimple;
  unsigned users = 0;
  load::Report report;
};

struct Hw5ClientsResult {
  std::string host;  // the albums base URL the runs hit
  std::chrono::milliseconds duration{0}, wait{0};
  std::vector<Hw5ClientsRun> runs;   // per user count: simple, then fast
  std::vector<std::string> reading;  // the plain-language conclusions
};

// The files render_hw5_clients wrote.
struct Hw5ClientsFiles {
  std::filesystem::path report, csv, json;
};

// One conclusion per user count, from runs in run_hw5_clients' order
// (simple then fast at each user count).
std::vector<std::string> compare_clients(const std::vector<Hw5ClientsRun>& runs);

// The scenario both clients run; POSTed album ids start with id_prefix.
load::Scenario albums_mix_scenario(const std::string& host, unsigned users, std::chrono::milliseconds duration,
                                   load::ClientKind client, const std::string& id_prefix);

// Runs each client at each user count. Fails when a run completes no request
// or every request fails. Writes nothing.
Result<Hw5ClientsResult> run_hw5_clients(const Hw5ClientsOptions& options);

// Writes report.html, results.csv and summary.json into out_dir.
Result<Hw5ClientsFiles> render_hw5_clients(const Hw5ClientsResult& result, const std::filesystem::path& out_dir);

}  // namespace scalelab::lab
