#include "lab/hw3/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace scalelab::lab::hw3 {
namespace {

constexpr std::size_t kBufferBytes = 64 * 1024;

std::string line_text(int i) { return fmt::format("line {} of the hw3 file experiment\n", i); }

bool write_unbuffered(int fd, int lines) {
  bool ok = true;
  for (int i = 0; i < lines; ++i) {
    const std::string s = line_text(i);
    ok &= write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
  }
  return ok;
}

bool write_buffered(int fd, int lines, bool sync) {
  std::FILE* f = fdopen(fd, "w");
  if (!f) return false;
  std::vector<char> buffer(kBufferBytes);
  setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  bool ok = true;
  for (int i = 0; i < lines; ++i) {
    const std::string s = line_text(i);
    ok &= std::fwrite(s.data(), 1, s.size(), f) == s.size();
  }
  ok &= std::fflush(f) == 0;
  if (sync) ok &= fsync(fd) == 0;
  ok &= std::fclose(f) == 0;  // closes fd too
  return ok;
}

}  // namespace

const char* to_string(WriteMode mode) {
  switch (mode) {
    case WriteMode::kUnbuffered: return "unbuffered";
    case WriteMode::kBuffered: return "buffered";
    case WriteMode::kBufferedFsync: return "buffered+fsync";
  }
  return "?";
}

WriteRun write_lines(const std::filesystem::path& file, int lines, WriteMode mode) {
  WriteRun run;
  const auto before = write_syscalls();
  const auto start = Clock::now();
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return {0, std::nullopt, false};
  if (mode == WriteMode::kUnbuffered) {
    run.ok = write_unbuffered(fd, lines);
    run.ok &= close(fd) == 0;
  } else {
    run.ok = write_buffered(fd, lines, mode == WriteMode::kBufferedFsync);
  }
  run.ms = ms_since(start);
  const auto after = write_syscalls();
  if (before && after) run.syscalls = *after - *before;
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
  return run;
}

FileIoResult run_file_io(const std::filesystem::path& dir, int lines, int runs) {
  FileIoResult r;
  const auto file = dir / "hw3_file_io.tmp";
  for (WriteMode mode : kWriteModes) {
    std::vector<double> ms;
    FileIoRow row;
    row.name = to_string(mode);
    row.lines = lines;
    for (int i = 0; i < runs; ++i) {
      const WriteRun w = write_lines(file, lines, mode);
      ms.push_back(w.ms);
      row.syscalls = w.syscalls;
    }
    row.ms = spread(ms);
    r.rows.push_back(row);
  }
  return r;
}

}  // namespace scalelab::lab::hw3
