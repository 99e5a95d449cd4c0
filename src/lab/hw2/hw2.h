// The hw2 experiment: two albums instances as separate processes on their own
// ports run the course's script (GET /albums on both, POST album 4 to the
// second, GET both again), first each with its own memory store (they
// disagree), then both on one private Redis (they agree). run_hw2 measures
// (run.cpp); render_hw2 writes report.html, steps.csv and summary.json
// (render.cpp).
// Thread-safety: run and render are called from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace scalelab::lab {

class Live;

struct Hw2Options {
  std::filesystem::path scalelab;  // the binary that serves albums; empty: this one
  std::filesystem::path out_dir = "reports/hw2";  // the processes' logs, Redis' data; where the caller renders
  std::chrono::milliseconds timeout{5'000};  // per request, and per process start
  Live* live = nullptr;  // --web: the live view (lab/live.h)
};

// Where the two instances keep their albums in a phase.
enum class Hw2Store { kMemory, kRedis };
std::string_view to_string(Hw2Store store);  // "memory", "redis"

struct Hw2Step {
  Hw2Store phase = Hw2Store::kMemory;
  std::string action;    // e.g. "GET /albums on instance 1"
  int instance = 0;      // 1 or 2
  unsigned status = 0;   // 0: no response
  std::vector<std::string> album_ids;  // for GETs
};

struct Hw2Phase {
  std::string store;  // "memory://" (each its own) or the Redis URL
  std::vector<std::string> before1, before2, after1, after2;  // album ids
  unsigned post_status = 0;
  bool agree = false;  // after the POST both list the same albums, including 4
};

struct Hw2Result {
  Hw2Phase memory, redis;
  std::vector<Hw2Step> steps;
};

// The files render_hw2 wrote.
struct Hw2Files {
  std::filesystem::path report, csv, json;
};

// Fails when a process or Redis cannot be started.
Result<Hw2Result> run_hw2(const Hw2Options& options);

// Writes report.html, steps.csv and summary.json into out_dir.
Result<Hw2Files> render_hw2(const Hw2Result& result, const std::filesystem::path& out_dir);

}  // namespace scalelab::lab
