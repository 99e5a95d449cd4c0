// The hw4 experiment: MapReduce word count with 1 vs 3 (and more) mappers on
// a Hamlet-sized text (~160 KB) and a larger synthetic text, over the
// in-process bus (mappers are threads) and over a private RabbitMQ the
// experiment starts (mappers are separate processes). Every result is checked
// against a plain single-process count of the same file. run_hw4 measures
// (run.cpp); render_hw4 writes an HTML report (per-phase times, speedup),
// runs.csv and summary.json (render.cpp).
// Thread-safety: run and render are called from one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace scalelab::lab {

class Live;

struct Hw4Options {
  std::filesystem::path out_dir = "reports/hw4";  // the inputs, logs, RabbitMQ's data; where the caller renders
  std::size_t small_bytes = 160 * 1024;      // "Hamlet-sized"
  std::size_t large_bytes = 16 * 1024 * 1024;  // --large-bytes 100000000 for the course's 100 MB
  std::uint64_t seed = 42;
  std::vector<int> mappers = {1, 3, 6};
  bool memory_bus = true;
  bool rabbitmq = true;          // start a private RabbitMQ and run over it too
  std::string rabbitmq_url;      // use this broker instead of starting one
  int repeats = 1;               // runs per configuration; the median total is reported
  bool progress = true;
  Live* live = nullptr;          // --web: the live view (lab/live.h); Stop skips the jobs not yet started
};

// The bus a run's services talk over: threads of this process on the
// in-process broker, or separate processes on RabbitMQ.
enum class Hw4Bus { kMemory, kRabbitmq };
std::string_view to_string(Hw4Bus bus);  // "memory", "rabbitmq"

// The Hamlet-sized text or the large one.
enum class Hw4Input { kSmall, kLarge };
std::string_view to_string(Hw4Input input);  // "small", "large"

struct Hw4InputInfo {
  Hw4Input input = Hw4Input::kSmall;
  std::uint64_t bytes = 0;
  double baseline_ms = 0;  // plain single-process count
};

struct Hw4Run {
  Hw4Bus bus = Hw4Bus::kMemory;
  Hw4Input input = Hw4Input::kSmall;
  std::uint64_t bytes = 0;
  int mappers = 0;
  int chunks = 0;
  double split_ms = 0, map_ms = 0, reduce_ms = 0, total_ms = 0;
  double baseline_ms = 0;  // plain single-process count of the same file
  double speedup = 0;      // total with 1 mapper / this total (same bus and input)
  std::uint64_t total_words = 0, unique_words = 0;
  bool exact = false;      // equal to the single-process count
  std::string error;
};

struct Hw4Result {
  std::uint64_t seed = 0;
  std::vector<Hw4Bus> buses;          // in the order they ran
  std::vector<Hw4InputInfo> inputs;
  std::vector<Hw4Run> runs;           // per bus, input and mapper count
  bool all_exact = false;
};

// The files render_hw4 wrote.
struct Hw4Files {
  std::filesystem::path report, csv, json;
};

// Fails when an input cannot be written, RabbitMQ cannot be started or a bus
// cannot be opened; a failed job is recorded in its run's error.
Result<Hw4Result> run_hw4(const Hw4Options& options);

// Writes report.html, runs.csv and summary.json into out_dir.
Result<Hw4Files> render_hw4(const Hw4Result& result, const std::filesystem::path& out_dir);

}  // namespace scalelab::lab
