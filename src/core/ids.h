// Random identifiers (request ids, order ids). Thread-safe: each thread has its
// own generator, seeded from std::random_device.
#pragma once

#include <string>

namespace scalelab {

// Writes 16 lowercase hex characters (64 random bits) into `out`, reusing
// its capacity.
void assign_random_hex_id(std::string& out);

}  // namespace scalelab
