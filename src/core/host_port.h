// "HOST:PORT" as every command line writes an address: split at the last
// colon into a non-empty host and a decimal port in 1..65535 (0 too when
// allow_port_zero: "any free port" for a listener). One parser for the
// fault proxy, the live dashboard and the autoscaler.
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace scalelab {

// kInvalidInput when malformed: "expected HOST:PORT, got '…'" or "bad port in '…'".
Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text, bool allow_port_zero = false);

}  // namespace scalelab
