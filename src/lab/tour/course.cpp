// The course's experiments in tour order, with the figures the course
// reported (spec/SYSTEMS.md) beside the summary.json keys where scalelab
// keeps its own. Expected durations feed the tour's "time left"; the quick
// argument sets keep every experiment's shape and together fit in about
// five minutes on a 2-core machine.
#include "lab/tour/tour.h"

namespace scalelab::lab::tour {

namespace {

Experiment hw1() {
  return {"hw1", "The albums REST API: sequential GET /albums, the response-time distribution",
          {"--duration", "30s", "--no-progress"}, {"--duration", "5s", "--no-progress"}, 32, 6, {}, false,
          {{"requests sent", "as many as 30 s of sequential GETs allow", "total_requests", ""},
           {"median response time", "network plus processing time (to AWS)", "median_ms", "ms"},
           {"p95 response time", "the question: how far above the median (a long tail?)", "p95_ms", "ms"},
           {"p99 response time", "reported with p95", "p99_ms", "ms"},
           {"failed requests", "0", "failed", ""}},
          "The course's client reached the service on AWS over the network, so network time was part of every request; here client and server share the "
          "loopback, so what is left is processing time: thousands of requests per second and sub-millisecond "
          "medians. The tail (p99 far above the median) is still there: it comes from scheduling, not the network."};
}

Experiment hw2() {
  return {"hw2", "Two instances that do not share state, then shared storage (Redis)", {}, {}, 3, 3,
          {"redis-server"}, false,
          {{"instances agree after a POST to instance 2, memory store", "no: only instance 2 has album 4",
            "memory.agree", "yes/no"},
           {"instances agree with shared storage", "yes, once the storage is external", "redis.agree", "yes/no"}},
          "Same result as the course: per-process memory diverges, an external store (Redis here, the course's "
          "shared database) makes both instances agree."};
}

Experiment hw3() {
  return {"hw3", "Concurrency primitives: atomicity, maps, file I/O, context switching", {"--no-progress"},
          {"--quick", "--no-progress"}, 120, 5, {}, false,
          {{"plain counter, 50 threads x 1,000", "loses updates (below 50,000)", "counter_plain_final", ""},
           {"atomic counter", "always 50,000", "counter_atomic_final", ""},
           {"100,000 lines unbuffered", "much slower (a syscall per line)", "file_io.unbuffered_ms", "ms"},
           {"100,000 lines buffered", "one flush", "file_io.buffered_ms", "ms"},
           {"context switch, pinned to one core", "time per switch, pinned vs free", "context_switch.pinned_ns", "ns"},
           {"context switch, free on all cores", "time per switch, pinned vs free", "context_switch.free_ns", "ns"}},
          "The course's shapes, here in C++: the plain counter may lose updates (on a busy 2-core machine threads often "
          "run one after another, so fewer are lost), buffered writes win by an order of magnitude, and a "
          "thread hand-off between OS threads costs microseconds (a coroutine switch far less)."};
}

Experiment hw3_load() {
  return {"hw3-load", "Load testing the albums service: 1 user, 50 users, 4 generator processes, slow vs fast client",
          {"--no-progress"}, {"--duration", "3s", "--no-progress"}, 130, 15, {}, false,
          {{"1 user", "the baseline", "runs[name=1 user,client=fast,users=1].rps",
            "req/s"},
           {"50 users spawned at 10/s", "failures, percentiles, GET vs POST", "runs[name=50 users at 10/s,client=fast,users=50].rps",
            "req/s"},
           {"50 users, 4 generator processes", "asked: did more generator workers raise throughput?",
            "runs[name=50 users, 4 processes,client=fast,users=50].rps", "req/s"},
           {"50 users, simple client", "asked: did the faster client raise throughput?", "runs[name=50 users, simple client,client=simple,users=50].rps",
            "req/s"}},
          "Throughput here is set by the users and their waits, not by the generator: more generator "
          "processes or a faster client change little until the generator itself is busy."};
}

Experiment hw4() {
  return {"hw4", "MapReduce word count over RabbitMQ: splitter, mappers, reducer", {"--no-progress"},
          {"--large-bytes", "1000000", "--mappers", "1", "3", "--no-progress"}, 60, 14, {"rabbitmq-server"}, false,
          {{"words counted (Hamlet-sized input)", "29,604 words", "runs[bus=rabbitmq,input=small,mappers=1].total_words", ""},
           {"unique words", "4,803", "runs[bus=rabbitmq,input=small,mappers=1].unique_words", ""},
           {"1 mapper, end to end", "0.79 s", "runs[bus=rabbitmq,input=small,mappers=1].total_ms", "ms"},
           {"3 mappers, end to end", "0.55 s", "runs[bus=rabbitmq,input=small,mappers=3].total_ms", "ms"}},
          "scalelab's input is generated text of Hamlet's size, not Hamlet itself, so the counts differ. The whole "
          "job takes tens of milliseconds on one machine where the course's took most of a second across "
          "containers; at this size the broker round trips, not the counting, decide whether 3 mappers help."};
}

Experiment hw5_clients() {
  return {"hw5-clients", "The load tester's two clients, simple and fast, on the same load",
          {"--duration", "10s", "--no-progress"}, {"--duration", "2s", "--no-progress"}, 65, 13, {}, false,
          {{"simple client, 32 users", "many saw no difference", "runs[client=simple,users=32].rps", "req/s"},
           {"fast client, 32 users", "many saw no difference", "runs[client=fast,users=32].rps", "req/s"},
           {"fast client p99, 32 users", "", "runs[client=fast,users=32].p99_ms", "ms"}},
          "With no wait between requests the server answers in microseconds, so the generator is the bottleneck and "
          "the fast client shows; users that wait between requests, or a slow server far away, hide it (a likely "
          "reason many in the course saw none)."};
}

Experiment hw6_bottleneck() {
  return {"hw6-bottleneck", "A CPU bottleneck: search at a quarter of a core, 5 then 20 users",
          {"--duration-1", "2m", "--duration-2", "3m", "--no-progress"},
          {"--duration-1", "6s", "--duration-2", "6s", "--no-progress"}, 310, 13, {}, true,
          {{"one search, one user", "under 20 ms", "single_search_ms", "ms"},
           {"CPU limit applied", "a quarter of a core (ECS task)", "limited", "yes/no"},
           {"CPU (of one core; the quota is 25%), 5 users", "~60% of the quarter core", "phase_1.cpu_percent", "%"},
           {"CPU (of one core), 20 users", "near 100% of the quarter core, slower responses", "phase_2.cpu_percent", "%"},
           {"p99, 20 users", "slower than with 5", "phase_2.p99_ms", "ms"}},
          "scalelab's users send their next search at once (no wait), so a quarter of a core saturates with few "
          "users. CPU is a percent of one core: 25% is the quota's ceiling. Without a cgroup CPU controller the "
          "service runs unlimited and the report says so."};
}

Experiment hw6_scaling() {
  return {"hw6-scaling", "Behind HAProxy: target tracking at 70% CPU, 2 to 4 instances, instance loss",
          {"--no-progress"}, {"--quick", "--no-variants", "--no-sizing", "--no-progress"}, 600, 81, {"haproxy"}, true,
          {{"instances at most", "scaled out, up to the maximum of 4", "max_instances", ""},
           {"scale-out reaction", "minutes (cooldowns of 300 s)", "scale_out_reaction_s", "s"},
           {"failed GETs when an instance is killed (kill -9)", "asked: what happens when one instance stops under load",
            "failed_requests_kill9", ""},
           {"failed GETs on a graceful stop", "", "failed_requests_graceful", ""}},
          "Time is compressed (health checks and cooldowns divided by the time scale), so scaling decisions come in "
          "seconds, not minutes. In --quick the CPU-target variants and the horizontal-vs-vertical sizing are left "
          "out; the full tour runs them."};
}

Experiment rolling_restart() {
  return {"rolling-restart", "Replacing instances one at a time under load: 2 at 100%, 3 at 66%, naive kill",
          {"--no-progress"}, {"--quick", "--no-progress"}, 240, 30, {"haproxy"}, false,
          {{"downtime, 2 tasks at 100% minimum healthy", "~35 s", "variants[name=surge-2-at-100,instances=2].downtime_s",
            "s"},
           {"downtime, 3 tasks at 66% minimum healthy", "none", "variants[name=stop-first-3-at-66,instances=3].downtime_s",
            "s"},
           {"downtime, naive kill -9 first", "", "variants[name=naive-kill-first-2,instances=2].downtime_s", "s"},
           {"failed requests, naive kill -9 first", "", "variants[name=naive-kill-first-2,instances=2].failed_requests",
            ""}},
          "Health-check timing is divided by the time scale, so the course's half-minute outage becomes seconds; "
          "what matters is which deployment settings have any downtime at all."};
}

Experiment hw7() {
  return {"hw7", "The flash sale: synchronous vs asynchronous orders, workers, serverless and cost", {"--no-progress"},
          {"--quick", "--workers", "5", "100", "--search-min", "170", "--search-max", "190", "--search-duration", "30s",
           "--no-progress"},
          1800, 65,
          {}, false,
          {{"sync, normal load: success", "100%", "sync_normal.success_pct", "%"},
           {"sync, flash load: success", "far below 100%", "sync_flash.success_pct", "%"},
           {"async: accept p99", "202 in under 100 ms", "async[workers=100].accept_p99_ms", "ms"},
           {"minimum workers that keep up with 60/s", "60 x 3 s = 180", "search.minimum", ""},
           {"monthly cost of the always-on tasks", "$17", "cost.cases[name=ordinary month (5/s)].tasks_usd", "$"}},
          "Payment time is scaled (--quick divides it by 10), so the queue builds and drains faster; the arithmetic "
          "is the course's: one slow payment at a time means rate x delay workers to keep up."};
}

Experiment midterm() {
  return {"midterm", "A cart service that fails, and its fix: circuit breaker, timeout, cache", {"--no-progress"},
          {"--phase", "3s", "--no-progress"}, 110, 31, {}, false,
          {{"add-to-cart failures, vulnerable", "65%", "off.all.add_failure_pct", "%"},
           {"add-to-cart failures, fixed", "0.07%", "on.all.add_failure_pct", "%"},
           {"view-cart failures, fixed", "0%", "on.all.view_failure_pct", "%"},
           {"add-to-cart median, fixed", "110 ms (vulnerable: 1,900-2,000 ms)", "on.all.add_p50_ms", "ms"},
           {"throughput, vulnerable", "10.5 req/s", "off.rps", "req/s"},
           {"throughput, fixed", "14.6 req/s", "on.rps", "req/s"}},
          "The same story as the course: without a timeout and a breaker the cart fails with its dependency; with "
          "them it degrades (cached prices, a degraded flag) and keeps answering. Phases here are seconds, not "
          "minutes, and every request stays on one machine, so medians are far lower."};
}

// Beyond the course: it ran on ElastiCache, which hides a primary's failure.
Experiment redis_failover() {
  return {"redis-failover", "Orders and carts while the Redis primary is killed (Sentinel failover)",
          {"--no-progress"}, {"--quick", "--no-progress"}, 30, 15, {"redis-server"}, false,
          {{"lost durable records", "not measured (ElastiCache)", "lost_durable", ""},
           {"double charges", "", "double_charges", ""},
           {"requests failed during the failover", "", "failed_requests", ""},
           {"writes succeed again after kill -9", "", "recovery_s", "s"}},
          "Beyond the course: Sentinel promotes a replica within seconds of the primary's death, and what a service "
          "wrote with WAIT (an order, its charge, a paid cart) survives; plain writes may not."};
}

}  // namespace

const std::vector<Experiment>& course() {
  static const std::vector<Experiment> all{hw1(),    hw2(),         hw3(),           hw3_load(),
                                           hw4(),    hw5_clients(), hw6_bottleneck(), hw6_scaling(),
                                           rolling_restart(), hw7(), midterm(), redis_failover()};
  return all;
}

}  // namespace scalelab::lab::tour
