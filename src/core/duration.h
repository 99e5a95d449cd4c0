// Parsing and printing of human durations ("250ms", "10s", "2m", "1h30m", "1.5s").
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace scalelab {

using Millis = std::chrono::milliseconds;

// Accepts one or more <number><unit> parts with units us, ms, s, m, h; a bare
// number is seconds. Returns nullopt on anything else (negative, empty, junk).
std::optional<std::chrono::microseconds> parse_duration(std::string_view text);

// "1.5s", "250ms", "42us": a compact form for logs and reports.
std::string format_duration(std::chrono::microseconds d);

}  // namespace scalelab
