// Whole-file reads for the small files processes hand each other (results,
// progress, cgroup and /proc entries).
// Thread-safety: a pure function.
#pragma once

#include <filesystem>
#include <string>

namespace scalelab {

// The file's whole content; empty when it is missing or cannot be read
// (callers that must tell those apart check the file first).
std::string read_text(const std::filesystem::path& file);

}  // namespace scalelab
