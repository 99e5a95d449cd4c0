// Helpers for the experiments' render tests: reading what render wrote (a
// fresh output directory is testkit::fresh_dir, in support/test_server.h).
#pragma once


#include <filesystem>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "support/test_server.h"

namespace scalelab::testkit {


inline boost::json::value read_json(const std::filesystem::path& file) { return boost::json::parse(read_file(file)); }

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace scalelab::testkit
