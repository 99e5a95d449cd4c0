// The hw5 client experiment: the same albums load (GET:POST 3:1, no wait)
// driven by the `simple` client (a new connection per request, a thread per
// user) and the `fast` one (keep-alive, async), at several user counts, side
// by side in one report that says when the client is the bottleneck.
// Thread-safety: run_hw5_clients() is called once, from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "load/stats.h"

namespace scalelab::lab {

struct Hw5ClientsOptions {
  std::string url;  // albums base URL (http://HOST:PORT); empty: start albums in this process
  std::vector<unsigned> users = {1, 8, 32};
  std::chrono::milliseconds duration{5'000};  // per run
  std::chrono::milliseconds wait{0};          // think time after each task (0: none)
  std::filesystem::path out_dir = "reports/hw5-clients";
  bool progress = true;
};

struct Hw5ClientsRun {
  std::string client;
  unsigned users = 0;
  load::Report report;
};

struct Hw5ClientsResult {
  std::vector<Hw5ClientsRun> runs;
  std::vector<std::string> reading;  // the plain-language conclusions
  std::filesystem::path report, csv, json;
};

// The scenario both clients run; POSTed album ids start with id_prefix.
load::Scenario albums_mix_scenario(const std::string& host, unsigned users, std::chrono::milliseconds duration,
                                   load::ClientKind client, const std::string& id_prefix);

Result<Hw5ClientsResult> run_hw5_clients(const Hw5ClientsOptions& options);

}  // namespace scalelab::lab
