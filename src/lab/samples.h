// Statistics over raw samples, for experiments that keep every sample.
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace scalelab::lab {

// The nearest-rank q-quantile of samples already sorted ascending (0 when
// there are none).
inline double sorted_quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// The nearest-rank q-quantile of raw samples (0 when there are none).
inline double quantile(std::vector<double> samples, double q) {
  std::sort(samples.begin(), samples.end());
  return sorted_quantile(samples, q);
}

}  // namespace scalelab::lab
