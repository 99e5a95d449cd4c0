#include "load/stats.h"

namespace scalelab::load {

void RequestStats::merge(const RequestStats& other) {
  count += other.count;
  failures += other.failures;
  bytes += other.bytes;
  latency_us.merge(other.latency_us);
  for (const auto& [reason, n] : other.failures_by_reason) failures_by_reason[reason] += n;
}

}  // namespace scalelab::load
