// Server options for a service an experiment hosts inside its own process:
// 127.0.0.1 on a port the kernel picks, two threads, and I/O timeouts long
// enough for the experiment's slowest request (a sync order waiting out a
// payment queue, a request held by the fault proxy's hang).
// Thread-safety: a pure function.
#pragma once

#include <chrono>

#include "http/server.h"

namespace scalelab::lab {

inline http::ServerOptions loopback_server_options(std::chrono::seconds io_timeout,
                                                   std::chrono::seconds shutdown_grace) {
  http::ServerOptions so;
  so.address = "127.0.0.1";
  so.port = 0;
  so.threads = 2;
  so.read_timeout = io_timeout;
  so.write_timeout = io_timeout;
  so.shutdown_grace = shutdown_grace;
  return so;
}

}  // namespace scalelab::lab
