#include "core/ids.h"

#include <cstdint>
#include <random>

namespace scalelab {

std::string random_hex_id() {
  std::string out;
  assign_random_hex_id(out);
  return out;
}

void assign_random_hex_id(std::string& out) {
  thread_local std::mt19937_64 rng{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}()};
  std::uint64_t v = rng();
  static constexpr char kHex[] = "0123456789abcdef";
  out.resize(16);
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[v & 0xf];
    v >>= 4;
  }
}

}  // namespace scalelab
