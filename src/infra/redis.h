// The `redis` infra kind: a private redis-server (Debian's) on 127.0.0.1 and
// its own port, with its own directory for its config and log, no
// persistence (no RDB, no AOF). Ready when it answers PING.
#pragma once

#include "infra/servers.h"

namespace scalelab::infra {

Result<Server> start_redis(const Options& options);

}  // namespace scalelab::infra
