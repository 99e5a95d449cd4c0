// Internals of the load engine shared by its files: the per-request plan
// (Prepared, Rendered), a connection to the target (Conn; fast, simple and
// runtime kinds), the statistics a group of generator threads records into
// (Sink) and one generator thread with its io_context (Worker).
// Thread-safety: a Worker and its connections belong to the Worker's own
// thread, except `late` (atomic, read by the controller) and its Sink (shared
// with the controller and, with the simple client, with other Workers; its
// mutex guards it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/as_tuple.h"
#include "core/thread_annotations.h"
#include "http/client.h"
#include "load/scenario.h"
#include "load/schedule.h"
#include "load/stats.h"
#include "load/template.h"
#include "obs/histogram.h"

namespace scalelab::load::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using core::kTuple;

// What one exchange returned.
struct Outcome {
  unsigned status = 0;
  // Points into the connection's buffer: valid until its next exchange, which
  // the same user only starts after it has finished with this one.
  std::string_view body;
  std::string error;  // empty when a response arrived
};

// The per-request text a non-literal request renders into (reused).
struct Rendered {
  std::string target, body, wire;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One request of the scenario, prepared before the run.
struct Prepared {
  const RequestSpec* spec = nullptr;
  std::size_t row = 0;  // its statistics row
  std::string_view method;
  bool literal = false;  // no template: `wire` is sent as is
  bool head = false;
  std::string wire;  // the whole request, when literal
};

// Statistics of one group of generator threads; the mutex is uncontended
// with the fast client (one sink per thread) and lightly shared with the
// simple one. The controller swaps the interval out once a second.
struct Sink {
  core::Mutex mu;
  std::vector<RequestStats> rows GUARDED_BY(mu);
  obs::LogLinearHistogram interval GUARDED_BY(mu);
  std::uint64_t interval_requests GUARDED_BY(mu) = 0;
  std::uint64_t interval_failures GUARDED_BY(mu) = 0;
  std::uint64_t interval_bytes GUARDED_BY(mu) = 0;
};

// A connection a virtual user (or an open-model slot) sends through.
class Conn {
 public:
  virtual ~Conn() = default;
  // The references and `wire` are kept across the co_await: the Prepared
  // lives in the Engine for the whole run and the Rendered text (which `wire`
  // may point into) in the calling user's frame or open-model slot, which
  // awaits this call.
  virtual asio::awaitable<Outcome> exchange(const Prepared& p, const Rendered& r, std::string_view wire,
                                            Clock::time_point deadline) = 0;
  virtual void close() = 0;
};

class FastConn;

// One generator thread: its io_context, the users or open-model slots it
// runs and its counters.
struct Worker {
  Worker(std::size_t i, Sink& s) : index(i), sink(s) {}
  std::size_t index;
  Sink& sink;
  std::vector<FastConn*> conns;  // for the watchdog; before io (outlives frames)
  // An open-model slot: a connection and a user context that carry one
  // iteration at a time.
  struct Slot {
    std::unique_ptr<Conn> conn;
    UserContext ctx;
    Rendered rendered;
  };
  std::vector<std::unique_ptr<Slot>> slots;  // open model
  std::vector<Slot*> free_slots;
  std::size_t max_slots = 0;
  std::uint64_t pending = 0, pending_first = 0;  // arrivals waiting for a slot, the oldest
  std::unique_ptr<ArrivalSchedule> schedule;  // open model
  std::shared_ptr<const UserProfile> profile;  // closed model; replaced on this thread by an edit
  unsigned live = 0;  // running users, dispatcher, iterations, the live keeper
  std::uint64_t arrivals = 0, slips = 0;
  std::atomic<std::uint64_t> late{0};  // read by the controller each second
  double max_lag_ms = 0;
  asio::io_context io{1};
  std::thread thread;
  double cpu_s = 0;  // the thread's CPU time, set when it ends
};

// Where the connections go and how the request line looks.
struct Target {
  http::Endpoint endpoint;
  std::vector<tcp::endpoint> addresses;
  std::string prefix;  // the host URL's path, prepended to every target
};

// A new connection of the scenario's client kind, owned by `w`'s thread.
// `target` must outlive it (the Engine owns both).
std::unique_ptr<Conn> make_conn(ClientKind kind, Worker& w, const Target& target);

// Closes the fast connections of `w` whose request deadline has passed, every
// few milliseconds, until `w` has no live users, dispatcher or iterations.
asio::awaitable<void> watch_deadlines(Worker& w);

}  // namespace scalelab::load::detail
