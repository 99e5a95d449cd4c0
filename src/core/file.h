// Whole-file reads and writes for the small files processes hand each other
// (results, progress, cgroup and /proc entries, the servers' config files).
// Thread-safety: each call is independent.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"

namespace scalelab {

// The file's whole content; empty when it is missing or cannot be read
// (callers that must tell those apart check the file first).
std::string read_text(const std::filesystem::path& file);

// Replaces the file's content with `text`, exactly; kUnavailable when it
// cannot be written.
Status write_text(const std::filesystem::path& file, const std::string& text);

}  // namespace scalelab
