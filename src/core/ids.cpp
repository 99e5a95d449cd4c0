#include "core/ids.h"

#include <cstdint>
#include <random>

namespace scalelab {

void assign_random_hex_id(std::string& out) {
  // splitmix64 over a randomly seeded per-thread state: ids need to be
  // unpredictable enough not to collide, not cryptographic, and they are made
  // on every request.
  thread_local std::uint64_t state = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                     std::random_device{}();
  std::uint64_t v = (state += 0x9e3779b97f4a7c15ULL);
  v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
  v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
  v ^= v >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  out.resize(16);
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[v & 0xf];
    v >>= 4;
  }
}

}  // namespace scalelab
