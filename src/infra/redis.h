// The `redis` infra kind: private redis-servers (Debian's) on 127.0.0.1 and
// their own ports, each with its own directory for its config and log, no
// persistence (no RDB, no AOF).
//
//  - Options::redis_sentinels == 0: one server; ready when it answers PING;
//    URL redis://127.0.0.1:P.
//  - Otherwise a Sentinel topology: a primary, redis_replicas replicas
//    (--replicaof the primary) and redis_sentinels Sentinels (`redis-server
//    CONF --sentinel`) monitoring it as kSentinelMaster with a quorum of a
//    majority and a short down-after (Options::sentinel_down_after), so a
//    killed primary is replaced within a few seconds. Ready when every
//    replica's link is up and every Sentinel knows every replica and every
//    other Sentinel (a failover can start at once). URL
//    redis-sentinel://127.0.0.1:S1,127.0.0.1:S2,…/mymaster. All processes
//    share the primary's process group: stopping the Server (or `infra down`)
//    stops them all, even after the primary itself was killed.
#pragma once

#include "infra/servers.h"

namespace scalelab::infra {

inline constexpr const char* kSentinelMaster = "mymaster";

Result<Server> start_redis(const Options& options);

}  // namespace scalelab::infra
