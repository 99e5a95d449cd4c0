#include "core/host_port.h"

#include <charconv>

namespace scalelab {

Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text, bool allow_port_zero) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return Error{ErrorKind::kInvalidInput, "expected HOST:PORT, got '" + std::string(text) + "'"};
  unsigned port = 0;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc() || end != last || first == last || (port == 0 && !allow_port_zero) || port > 65535)
    return Error{ErrorKind::kInvalidInput, "bad port in '" + std::string(text) + "'"};
  return std::pair{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

}  // namespace scalelab
