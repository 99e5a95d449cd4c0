#include "resilience/deadline.h"

#include <charconv>

namespace scalelab::resilience {

Clock::duration Deadline::remaining(const Clock& clock) const {
  if (is_never()) return Clock::duration::max();
  const auto now = clock.now();
  return now >= at_ ? Clock::duration::zero() : at_ - now;
}

std::string Deadline::header_value(const Clock& clock) const {
  if (is_never()) return {};
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(remaining(clock)).count());
}

std::optional<std::chrono::milliseconds> parse_deadline_header(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  long long ms = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  return std::chrono::milliseconds(ms);
}

Deadline deadline_of(const http::Request& request, const Clock& clock,
                     std::chrono::milliseconds fallback, bool cap_to_fallback) {
  const auto now = clock.now();
  const Deadline own = Deadline::at(now + fallback);
  const auto sent = parse_deadline_header(request.header(http::kDeadlineHeader));
  if (!sent) return own;
  const Deadline theirs = Deadline::at(now + std::max(*sent, std::chrono::milliseconds(0)));
  return cap_to_fallback ? theirs.min(own) : theirs;
}

}  // namespace scalelab::resilience
