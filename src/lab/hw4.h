// The hw4 experiment: MapReduce word count with 1 vs 3 (and more) mappers on
// a Hamlet-sized text (~160 KB) and a larger synthetic text, over the
// in-process bus (mappers are threads) and over a private RabbitMQ the
// experiment starts (mappers are separate processes). Every result is checked
// against a plain single-process count of the same file. Writes an HTML report
// (per-phase times, speedup), runs.csv and summary.json.
// Thread-safety: run_hw4() is called once, from one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"

namespace scalelab::lab {

struct Hw4Options {
  std::filesystem::path out_dir = "reports/hw4";
  std::size_t small_bytes = 160 * 1024;      // "Hamlet-sized"
  std::size_t large_bytes = 16 * 1024 * 1024;  // --large-bytes 100000000 for the course's 100 MB
  std::uint64_t seed = 42;
  std::vector<int> mappers = {1, 3, 6};
  bool memory_bus = true;
  bool rabbitmq = true;          // start a private RabbitMQ and run over it too
  std::string rabbitmq_url;      // use this broker instead of starting one
  int repeats = 1;               // runs per configuration; the median total is reported
  bool progress = true;
};

struct Hw4Run {
  std::string bus;    // memory, rabbitmq
  std::string input;  // small, large
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
  std::vector<Hw4Run> runs;
  std::filesystem::path report, csv, json;
  bool all_exact = false;
};

Result<Hw4Result> run_hw4(const Hw4Options& options);

}  // namespace scalelab::lab
