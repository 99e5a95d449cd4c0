// Logging setup: one place that configures spdlog for the process.
// Thread-safety: call init_logging once at startup, before other threads log.
#pragma once

#include <string>

namespace scalelab {

// level: trace, debug, info, warn, error, off. format: "text" (default, for
// people) or "json" (one JSON object per line, for log collectors in
// containers: {"time":...,"level":...,"msg":...}). Logs go to stderr so that
// a command's stdout stays machine-readable.
void init_logging(const std::string& level, const std::string& format = "text");

}  // namespace scalelab
