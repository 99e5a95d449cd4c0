// Deadline: the instant by which a whole request must be answered, carried
// from an incoming request to every downstream call it makes.
//
// On the wire it travels as the time remaining, in whole milliseconds, in the
// X-Deadline-Ms header (http::kDeadlineHeader; relative like gRPC's
// grpc-timeout, so the two machines' clocks need not agree). The http::Server
// rejects a request whose header says 0 or less with 504 DEADLINE_EXCEEDED
// before its handler runs; a handler turns the header back into a Deadline with
// deadline_of() and passes it to its downstream calls (resilience::Policy
// sends the remainder on).
// Thread-safety: a value type.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"
#include "resilience/clock.h"

namespace scalelab::resilience {

class Deadline {
 public:
  using time_point = Clock::time_point;

  // No deadline: remaining() is effectively unbounded.
  static Deadline never() { return Deadline(time_point::max()); }
  static Deadline at(time_point t) { return Deadline(t); }
  static Deadline after(const Clock& clock, Clock::duration d) { return Deadline(clock.now() + d); }

  bool is_never() const { return at_ == time_point::max(); }
  time_point when() const { return at_; }
  // Never negative; Clock::duration::max() when there is no deadline.
  Clock::duration remaining(const Clock& clock) const;
  bool expired(const Clock& clock) const { return !is_never() && clock.now() >= at_; }
  // The earlier of the two.
  Deadline min(Deadline other) const { return other.at_ < at_ ? other : *this; }

  // The header value to send downstream: remaining whole milliseconds
  // (rounded down, so the callee never believes it has more time than it has).
  // "" when there is no deadline.
  std::string header_value(const Clock& clock) const;

 private:
  explicit Deadline(time_point t) : at_(t) {}
  time_point at_;
};

// The deadline of an incoming request: now + its X-Deadline-Ms when present
// and well formed, else now + fallback (the service's own budget). The lesser
// of the two when cap_to_fallback is set, so a caller cannot make a server
// wait longer than it would on its own.
Deadline deadline_of(const http::Request& request, const Clock& clock,
                     std::chrono::milliseconds fallback, bool cap_to_fallback = true);

}  // namespace scalelab::resilience
