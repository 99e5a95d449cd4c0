// A timeout as the C libraries take it (hiredis, rabbitmq-c, setsockopt).
#pragma once

#include <sys/time.h>

#include <chrono>

namespace scalelab::core {

inline timeval to_timeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace scalelab::core
