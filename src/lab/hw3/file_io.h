// File I/O: `lines` short lines written to a file three ways: a write(2) per
// line (unbuffered), through a 64 KiB user-space buffer flushed at the end
// (buffered), and buffered plus fsync before closing (the data on the disk,
// not just in the page cache). Time and the write system calls the kernel
// counted (/proc/self/io), mean and spread over runs.
// Thread-safety: call from one thread at a time, while no other thread of
// this process writes (the kernel's count is per process).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lab/hw3/measure.h"

namespace scalelab::lab::hw3 {

enum class WriteMode { kUnbuffered, kBuffered, kBufferedFsync };
const char* to_string(WriteMode mode);
inline constexpr WriteMode kWriteModes[] = {WriteMode::kUnbuffered, WriteMode::kBuffered, WriteMode::kBufferedFsync};

struct FileIoRow {
  std::string language = "C++";
  std::string name;  // unbuffered, buffered, buffered+fsync
  int lines = 0;
  Spread ms;
  std::optional<std::uint64_t> syscalls;  // write(2) calls in one run; nullopt: not exposed here
};

struct FileIoResult {
  std::vector<FileIoRow> rows;  // C++ rows, then the Go twin's
};

// One run: wall milliseconds and the write calls it made. The file is
// written at `file` and removed afterwards.
struct WriteRun {
  double ms = 0;
  std::optional<std::uint64_t> syscalls;
  bool ok = true;  // every write succeeded
};
WriteRun write_lines(const std::filesystem::path& file, int lines, WriteMode mode);

FileIoResult run_file_io(const std::filesystem::path& dir, int lines, int runs);

}  // namespace scalelab::lab::hw3
