// Logging setup: one place that configures spdlog for the process.
// Thread-safety: call init_logging once at startup, before other threads log.
#pragma once

#include <string>

namespace scalelab {

// level: trace, debug, info, warn, error, off. Logs go to stderr so that a
// command's stdout stays machine-readable.
void init_logging(const std::string& level);

}  // namespace scalelab
