// Helpers for the experiments' render tests: a fresh output directory and
// reading what render wrote.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "support/test_server.h"

namespace scalelab::testkit {

inline std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("scalelab-render-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

inline boost::json::value read_json(const std::filesystem::path& file) { return boost::json::parse(read_file(file)); }

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace scalelab::testkit
