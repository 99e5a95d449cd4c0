// AmqpConnection: one AMQP connection and the thread that owns it
// (rabbitmq-c is blocking and not thread-safe, so nothing else touches it).
// The publisher connection sends queued publishes and reads their confirms;
// a consumer connection (with a ConsumerSetup) also consumes one queue and
// sends the acks its subscription queues. A lost connection is reopened with
// exponential backoff and the recorded topology declared again; with several
// addresses (a cluster's nodes) each new attempt goes to the next one.
// Internal to src/mq (amqp_broker.cpp).
// Thread-safety: publish, call, ack and stop may be called from any thread.
#pragma once

#include <amqp.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/thread_annotations.h"
#include "mq/amqp_broker.h"
#include "mq/amqp_wire.h"

namespace scalelab::mq {

class AmqpConnection {
 public:
  struct ConsumerSetup {
    std::string queue;
    std::uint16_t prefetch = 1;
    // An auto-delete queue and its bindings: declared by this connection on
    // every (re)connect, since it does not survive a broker restart.
    Topology own;
    // Called on the connection thread for each delivery.
    std::function<void(detail::Work)> deliver;
    // Called on the connection thread when the connection is lost, so queued
    // work from it is dropped (the broker redelivers it).
    std::function<void()> lost;
  };

  // REQUIRES: addresses is not empty.
  AmqpConnection(std::vector<AmqpAddress> addresses, BrokerOptions options,
                 std::shared_ptr<AmqpBroker::Declared> declared, std::optional<ConsumerSetup> consumer);

  ~AmqpConnection();

  // Starts the thread; returns the first connection's outcome (each address
  // tried once, in order, until one answers).
  Status start();

  // The address in use (or being tried) now.
  const AmqpAddress& address() const { return addresses_[current_.load()]; }

  void stop();

  // Queued even while disconnected: sent after a reconnect, or failed once
  // connect_timeout has passed without one.
  void publish(std::string exchange, Message message, PublishCallback done);

  // Runs fn on the connection thread with the live connection.
  template <typename T>
  Result<T> call(std::function<Result<T>(amqp_connection_state_t)> fn) {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    {
      core::MutexLock lock(mutex_);
      const auto until = detail::Clock::now() + options_.connect_timeout;
      while (!connected_ && !stopping_ && connected_cv_.wait_until(mutex_, until) == std::cv_status::no_timeout) {
      }
      if (!connected_ || stopping_) {
        return Error{ErrorKind::kUnavailable, fmt::format("not connected to {}: {}", address().display(), last_error_)};
      }
      tasks_.push_back([promise, fn = std::move(fn)](amqp_connection_state_t c) -> bool {
        Result<T> r = fn(c);
        bool ok = r.ok();
        promise->set_value(std::move(r));
        return ok;
      });
      wake_locked();
    }
    return future.get();
  }

  void ack(detail::AckRequest a);

 private:
  void wake();

  // Wakes the thread only when it sleeps in wait(): a busy thread finds the
  // work on its next turn, and a write is a syscall per publish and per ack.
  void wake_locked() REQUIRES(mutex_);

  void drain_wake();

  Status open();

  void close_connection(bool graceful);

  // Fails every publish awaiting a confirm and everything queued.
  void fail_pending(const std::string& reason);

  void confirm(std::uint64_t tag, bool multiple, Status status);

  // Handles one method frame that is not a delivery. Returns an error when
  // the connection must be reset.
  Status handle_method(const amqp_frame_t& frame);

  Status read_incoming();

  // Sends queued publishes, acks and tasks. Returns an error to reset.
  Status send_outgoing();

  // Fails publishes sent confirm_timeout ago and still not confirmed: a
  // broker that stopped answering without closing the connection (frozen,
  // partitioned) must not hold its publishers forever. The connection is
  // kept: a late confirm finds no entry and is ignored (the message may then
  // be in the queue although its publisher was told it failed, as when the
  // connection drops before the confirm).
  void expire_unconfirmed();

  // Fails publishes that waited connect_timeout for a connection.
  void expire_queued_publishes();

  // With a heartbeat negotiated: sends one every half period itself (this
  // thread mostly polls rabbitmq-c with zero timeouts, and the heartbeat must
  // not depend on what the library does inside those) and returns an error
  // when nothing came from the broker for two periods (the broker sends
  // heartbeats too, so a silent one is cut off).
  Status keep_alive();

  // Waits until the socket is readable, work is queued, or timeout. With
  // skip_if_work, returns at once when work is already queued (so no wake-up
  // is lost between the last look and the poll).
  void wait(int timeout_ms, bool skip_if_work = false);

  // Waits before the next connection attempt, failing queued publishes
  // whose connect_timeout passes meanwhile.
  void pause(std::chrono::milliseconds how_long);

  void run(std::promise<Status>* first);

  // Moves to the next address (round robin).
  void next_address() { current_ = (current_.load() + 1) % addresses_.size(); }

  const std::vector<AmqpAddress> addresses_;
  std::atomic<std::size_t> current_{0};  // written by the connection thread only
  BrokerOptions options_;
  std::shared_ptr<AmqpBroker::Declared> declared_;
  std::optional<ConsumerSetup> consumer_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};  // also read under mutex_
  int wake_fd_ = -1;

  // Owned by the connection thread:
  amqp_connection_state_t conn_ = nullptr;
  std::uint64_t next_publish_tag_ = 1;
  std::uint64_t generation_ = 0;
  struct Unconfirmed {
    PublishCallback done;
    detail::Clock::time_point deadline;
  };
  std::map<std::uint64_t, Unconfirmed> unconfirmed_;
  detail::Clock::time_point heartbeat_sent_{};
  detail::Clock::time_point last_received_{};  // when the socket last had data or a frame was read

  core::Mutex mutex_;
  std::condition_variable_any connected_cv_;
  bool connected_ GUARDED_BY(mutex_) = false;
  // The thread is in (or entering) wait()'s poll: a new item must wake it.
  bool sleeping_ GUARDED_BY(mutex_) = false;
  std::string last_error_ GUARDED_BY(mutex_) = "not connected yet";
  std::deque<detail::PendingPublish> publishes_ GUARDED_BY(mutex_);
  std::vector<detail::AckRequest> acks_ GUARDED_BY(mutex_);
  std::vector<std::function<bool(amqp_connection_state_t)>> tasks_ GUARDED_BY(mutex_);
};

}  // namespace scalelab::mq
