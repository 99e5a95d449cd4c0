#include "resilience/deadline.h"

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

Deadline deadline_of(const http::Request& request, const Clock& clock,
                     std::chrono::milliseconds fallback, bool cap_to_fallback) {
  const auto now = clock.now();
  const Deadline own = Deadline::at(now + fallback);
  const auto sent = http::deadline_ms(request);
  if (!sent) return own;
  const Deadline theirs = Deadline::at(now + std::max(*sent, std::chrono::milliseconds(0)));
  return cap_to_fallback ? theirs.min(own) : theirs;
}

}  // namespace scalelab::resilience
