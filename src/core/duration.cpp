#include "core/duration.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace scalelab {

std::optional<std::chrono::microseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total_us = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return std::nullopt;
    double number = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + i, number);
    if (ec != std::errc{} || ptr != text.data() + i) return std::nullopt;
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale;
    if (unit.empty() || unit == "s") {
      scale = 1e6;
      if (unit.empty() && i != text.size()) return std::nullopt;
    } else if (unit == "ms") {
      scale = 1e3;
    } else if (unit == "us") {
      scale = 1;
    } else if (unit == "m") {
      scale = 60e6;
    } else if (unit == "h") {
      scale = 3600e6;
    } else {
      return std::nullopt;
    }
    total_us += number * scale;
  }
  if (!std::isfinite(total_us) || total_us > 1e15) return std::nullopt;
  return std::chrono::microseconds(static_cast<long long>(std::llround(total_us)));
}

std::string format_duration(std::chrono::microseconds d) {
  auto us = d.count();
  if (us % 1'000'000 == 0) return fmt::format("{}s", us / 1'000'000);
  if (us >= 1'000'000) return fmt::format("{:g}s", static_cast<double>(us) / 1e6);
  if (us % 1000 == 0) return fmt::format("{}ms", us / 1000);
  if (us >= 1000) return fmt::format("{:g}ms", static_cast<double>(us) / 1e3);
  return fmt::format("{}us", us);
}

}  // namespace scalelab
