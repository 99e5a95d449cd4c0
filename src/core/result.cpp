#include "core/result.h"

namespace scalelab {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput: return "invalid input";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kUnavailable: return "unavailable";
    case ErrorKind::kProtocol: return "protocol error";
    case ErrorKind::kInternal: return "internal error";
  }
  return "unknown";
}

}  // namespace scalelab
