#include "lab/hw3/context_switch.h"

#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "lab/hw3/measure.h"

namespace scalelab::lab::hw3 {
namespace {

namespace asio = boost::asio;

// A turn passed between two threads: each waits until it is its turn.
class Turn {
 public:
  void wait_for(int me) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return turn_ == me; });
  }
  void give_to(int other) {
    {
      std::lock_guard lock(mu_);
      turn_ = other;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int turn_ = 0;  // guarded by mu_
};

void condvar_trips(bool pinned, std::int64_t trips) {
  Turn turn;
  std::thread other([&] {
    if (pinned) pin_to_first_cpu();
    for (std::int64_t i = 0; i < trips; ++i) {
      turn.wait_for(1);
      turn.give_to(0);
    }
  });
  for (std::int64_t i = 0; i < trips; ++i) {
    turn.give_to(1);
    turn.wait_for(0);
  }
  other.join();
}

// One byte each way per round trip; read(2) blocks until the other side writes.
void pipe_trips(bool pinned, std::int64_t trips) {
  int ping[2], pong[2];
  if (pipe(ping) != 0) return;
  if (pipe(pong) != 0) {
    close(ping[0]), close(ping[1]);
    return;
  }
  std::thread other([&] {
    if (pinned) pin_to_first_cpu();
    char b = 0;
    for (std::int64_t i = 0; i < trips; ++i)
      if (read(ping[0], &b, 1) != 1 || write(pong[1], &b, 1) != 1) break;
  });
  char b = 1;
  for (std::int64_t i = 0; i < trips; ++i)
    if (write(ping[1], &b, 1) != 1 || read(pong[0], &b, 1) != 1) break;
  other.join();
  for (int fd : {ping[0], ping[1], pong[0], pong[1]}) close(fd);
}

// Capacity 0: a send completes only when the receiver takes it, as with an
// unbuffered Go channel.
using Channel = asio::experimental::channel<void(boost::system::error_code)>;

asio::awaitable<void> serve(Channel& in, Channel& out, std::int64_t trips) {
  for (std::int64_t i = 0; i < trips; ++i) {
    co_await in.async_receive(asio::use_awaitable);
    co_await out.async_send(boost::system::error_code{}, asio::use_awaitable);
  }
}

asio::awaitable<void> lead(Channel& out, Channel& in, std::int64_t trips) {
  for (std::int64_t i = 0; i < trips; ++i) {
    co_await out.async_send(boost::system::error_code{}, asio::use_awaitable);
    co_await in.async_receive(asio::use_awaitable);
  }
}

void coroutine_trips(std::int64_t trips) {
  asio::io_context io(1);
  Channel ping(io, 0), pong(io, 0);
  asio::co_spawn(io, serve(ping, pong, trips), asio::detached);
  asio::co_spawn(io, lead(ping, pong, trips), asio::detached);
  io.run();
}

}  // namespace

const char* to_string(HandOff kind) {
  switch (kind) {
    case HandOff::kCondvar: return "condvar";
    case HandOff::kPipe: return "pipe";
    case HandOff::kCoroutine: return "coroutine";
  }
  return "?";
}

SwitchRow ping_pong(HandOff kind, bool pinned, std::int64_t round_trips) {
  SwitchRow row;
  row.name = to_string(kind);
  row.pinned = pinned || kind == HandOff::kCoroutine;
  row.round_trips = round_trips;
  // Pinning the caller too puts both threads on one core; the thread runs
  // in a helper so the caller's own affinity stays as it was.
  std::thread runner([&] {
    if (pinned) pin_to_first_cpu();
    const auto before = process_switches();
    const auto start = Clock::now();
    if (kind == HandOff::kCondvar) condvar_trips(pinned, round_trips);
    if (kind == HandOff::kPipe) pipe_trips(pinned, round_trips);
    if (kind == HandOff::kCoroutine) coroutine_trips(round_trips);
    row.ns_per_switch = round_trips ? ns_since(start) / (2.0 * static_cast<double>(round_trips)) : 0;
    const auto d = process_switches() - before;
    row.voluntary = d.voluntary;
    row.involuntary = d.involuntary;
  });
  runner.join();
  return row;
}

SwitchResult run_context_switch(std::int64_t round_trips) {
  SwitchResult r;
  for (HandOff kind : {HandOff::kCondvar, HandOff::kPipe})
    for (bool pinned : {true, false}) r.rows.push_back(ping_pong(kind, pinned, round_trips));
  r.rows.push_back(ping_pong(HandOff::kCoroutine, true, round_trips));
  return r;
}

}  // namespace scalelab::lab::hw3
