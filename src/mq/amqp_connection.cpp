#include "mq/amqp_connection.h"

#include <amqp_tcp_socket.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/timeval.h"

namespace scalelab::mq {

using namespace detail;

AmqpConnection::AmqpConnection(std::vector<AmqpAddress> addresses, BrokerOptions options,
                               std::shared_ptr<AmqpBroker::Declared> declared, std::optional<ConsumerSetup> consumer)
    : addresses_(std::move(addresses)), options_(options), declared_(std::move(declared)),
      consumer_(std::move(consumer)) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

AmqpConnection::~AmqpConnection() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status AmqpConnection::start() {
  std::promise<Status> first;
  auto result = first.get_future();
  thread_ = std::thread([this, p = std::move(first)]() mutable { run(&p); });
  Status s = result.get();
  if (!s) stop();
  return s;
}

void AmqpConnection::stop() {
  if (!thread_.joinable()) return;
  {
    core::MutexLock lock(mutex_);
    stopping_ = true;
    connected_cv_.notify_all();
  }
  wake();
  thread_.join();
}

void AmqpConnection::publish(std::string exchange, Message message, PublishCallback done) {
  {
    core::MutexLock lock(mutex_);
    if (!stopping_) {
      publishes_.push_back({std::move(exchange), std::move(message), std::move(done),
                            Clock::now() + options_.connect_timeout});
      wake_locked();
      return;
    }
  }
  done(Error{ErrorKind::kUnavailable, fmt::format("broker connection to {} is closed", address().display())});
}

void AmqpConnection::ack(AckRequest a) {
  core::MutexLock lock(mutex_);
  acks_.push_back(a);
  wake_locked();
}

void AmqpConnection::wake() {
  std::uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
}

void AmqpConnection::wake_locked() {
  if (!sleeping_) return;
  sleeping_ = false;
  wake();
}

void AmqpConnection::drain_wake() {
  std::uint64_t n;
  while (::read(wake_fd_, &n, sizeof n) > 0) {
  }
}


Status AmqpConnection::open() {
  conn_ = amqp_new_connection();
  amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
  if (!socket) return Error{ErrorKind::kInternal, "cannot create a socket"};
  timeval tv = core::to_timeval(options_.connect_timeout);
  int rc = amqp_socket_open_noblock(socket, address().host.c_str(), address().port, &tv);
  if (rc != AMQP_STATUS_OK) {
    return Error{ErrorKind::kUnavailable, fmt::format("cannot connect to {}: {}", address().display(), amqp_error_string2(rc))};
  }
  auto r = amqp_login(conn_, address().vhost.c_str(), 0, 131072, address().heartbeat, AMQP_SASL_METHOD_PLAIN,
                      address().user.c_str(), address().password.c_str());
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    return Error{ErrorKind::kUnavailable, fmt::format("login to {} failed: {}", address().display(), describe(r))};
  }
  for (amqp_channel_t ch : {kPublishChannel, kRpcChannel}) {
    amqp_channel_open(conn_, ch);
    r = amqp_get_rpc_reply(conn_);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
      return Error{ErrorKind::kUnavailable, fmt::format("opening a channel: {}", describe(r))};
    }
  }
  Topology topology;
  {
    core::MutexLock lock(declared_->mutex);
    topology = declared_->topology;
  }
  if (auto s = declare_on(conn_, topology, addresses_.size() > 1); !s) return s;
  if (consumer_) {
    if (auto s = declare_on(conn_, consumer_->own); !s) return s;
    amqp_basic_qos(conn_, kPublishChannel, 0, consumer_->prefetch, 0);
    r = amqp_get_rpc_reply(conn_);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) return Error{ErrorKind::kUnavailable, fmt::format("basic.qos: {}", describe(r))};
    amqp_basic_consume(conn_, kPublishChannel, amqp_cstring_bytes(consumer_->queue.c_str()), amqp_empty_bytes, 0, 0, 0,
                       amqp_empty_table);
    r = amqp_get_rpc_reply(conn_);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
      return Error{ErrorKind::kUnavailable, fmt::format("consuming from '{}': {}", consumer_->queue, describe(r))};
    }
  } else {
    amqp_confirm_select(conn_, kPublishChannel);
    r = amqp_get_rpc_reply(conn_);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
      return Error{ErrorKind::kUnavailable, fmt::format("confirm.select: {}", describe(r))};
    }
  }
  next_publish_tag_ = 1;
  ++generation_;
  heartbeat_sent_ = last_received_ = Clock::now();
  return {};
}

void AmqpConnection::close_connection(bool graceful) {
  if (!conn_) return;
  if (graceful) {
    amqp_channel_close(conn_, kRpcChannel, AMQP_REPLY_SUCCESS);
    amqp_channel_close(conn_, kPublishChannel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
}

void AmqpConnection::fail_pending(const std::string& reason) {
  std::vector<PublishCallback> failed;
  for (auto& [tag, u] : unconfirmed_) failed.push_back(std::move(u.done));
  unconfirmed_.clear();
  std::vector<std::function<bool(amqp_connection_state_t)>> tasks;
  {
    core::MutexLock lock(mutex_);
    connected_ = false;
    last_error_ = reason;
    tasks.swap(tasks_);
    acks_.clear();
  }
  Error e{ErrorKind::kUnavailable, fmt::format("connection to {} lost before the confirm: {}", address().display(), reason)};
  for (auto& cb : failed) cb(e);
  for (auto& t : tasks) t(nullptr);  // tasks see a null connection and fail
  if (consumer_ && consumer_->lost) consumer_->lost();
}

void AmqpConnection::confirm(std::uint64_t tag, bool multiple, Status status) {
  auto end = multiple ? unconfirmed_.upper_bound(tag) : unconfirmed_.find(tag);
  if (!multiple) {
    if (end == unconfirmed_.end()) return;
    auto cb = std::move(end->second.done);
    unconfirmed_.erase(end);
    cb(status);
    return;
  }
  std::vector<PublishCallback> done;
  for (auto it = unconfirmed_.begin(); it != end; ++it) done.push_back(std::move(it->second.done));
  unconfirmed_.erase(unconfirmed_.begin(), end);
  for (auto& cb : done) cb(status);
}

Status AmqpConnection::handle_method(const amqp_frame_t& frame) {
  if (frame.frame_type != AMQP_FRAME_METHOD) return {};
  const auto& m = frame.payload.method;
  switch (m.id) {
    case AMQP_BASIC_ACK_METHOD: {
      auto* a = static_cast<amqp_basic_ack_t*>(m.decoded);
      confirm(a->delivery_tag, a->multiple, {});
      return {};
    }
    case AMQP_BASIC_NACK_METHOD: {
      auto* n = static_cast<amqp_basic_nack_t*>(m.decoded);
      confirm(n->delivery_tag, n->multiple, Error{ErrorKind::kUnavailable, "the broker refused the message (basic.nack)"});
      return {};
    }
    case AMQP_CHANNEL_CLOSE_METHOD: {
      amqp_channel_close_ok_t ok{};
      amqp_send_method(conn_, frame.channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      return Error{ErrorKind::kUnavailable, describe_method(m)};
    }
    case AMQP_CONNECTION_CLOSE_METHOD: {
      amqp_connection_close_ok_t ok{};
      amqp_send_method(conn_, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
      return Error{ErrorKind::kUnavailable, describe_method(m)};
    }
    case AMQP_BASIC_CANCEL_METHOD:
      return Error{ErrorKind::kUnavailable, "the broker cancelled the consumer (queue deleted?)"};
    default:
      return {};
  }
}

Status AmqpConnection::read_incoming() {
  timeval zero{0, 0};
  for (;;) {
    if (consumer_) {
      amqp_envelope_t env;
      amqp_maybe_release_buffers(conn_);
      auto r = amqp_consume_message(conn_, &env, &zero, 0);
      if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        last_received_ = Clock::now();
        Work w;
        w.generation = generation_;
        w.tag = env.delivery_tag;
        w.delivery.exchange = bytes_str(env.exchange);
        w.delivery.routing_key = bytes_str(env.routing_key);
        w.delivery.body = bytes_str(env.message.body);
        w.delivery.redelivered = env.redelivered != 0;
        w.delivery.delivery_count = w.delivery.redelivered ? 2 : 1;
        w.delivery.headers = read_headers(env.message.properties, w.delivery.delivery_count);
        amqp_destroy_envelope(&env);
        consumer_->deliver(std::move(w));
        continue;
      }
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) return {};
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        amqp_frame_t frame;
        int rc = amqp_simple_wait_frame_noblock(conn_, &frame, &zero);
        if (rc == AMQP_STATUS_TIMEOUT) return {};
        if (rc != AMQP_STATUS_OK) return Error{ErrorKind::kUnavailable, amqp_error_string2(rc)};
        last_received_ = Clock::now();
        if (auto s = handle_method(frame); !s) return s;
        continue;
      }
      return Error{ErrorKind::kUnavailable, describe(r)};
    }
    amqp_frame_t frame;
    int rc = amqp_simple_wait_frame_noblock(conn_, &frame, &zero);
    if (rc == AMQP_STATUS_TIMEOUT) {
      amqp_maybe_release_buffers(conn_);
      return {};
    }
    if (rc != AMQP_STATUS_OK) return Error{ErrorKind::kUnavailable, amqp_error_string2(rc)};
    last_received_ = Clock::now();
    if (auto s = handle_method(frame); !s) return s;
  }
}

Status AmqpConnection::send_outgoing() {
  std::deque<PendingPublish> publishes;
  std::vector<AckRequest> acks;
  std::vector<std::function<bool(amqp_connection_state_t)>> tasks;
  {
    core::MutexLock lock(mutex_);
    publishes.swap(publishes_);
    acks.swap(acks_);
    tasks.swap(tasks_);
  }
  Status failure;
  for (auto& p : publishes) {
    if (!failure) {
      p.done(Error{ErrorKind::kUnavailable, fmt::format("connection to {} lost: {}", address().display(), failure.error().message)});
      continue;
    }
    Table headers;
    for (const auto& [k, v] : p.message.headers) headers.add_string(k, v);
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = p.message.persistent ? 2 : 1;
    if (!p.message.headers.empty()) {
      props._flags |= AMQP_BASIC_HEADERS_FLAG;
      props.headers = headers.get();
    }
    int rc = amqp_basic_publish(conn_, kPublishChannel, amqp_cstring_bytes(p.exchange.c_str()),
                                amqp_cstring_bytes(p.message.routing_key.c_str()), 0, 0, &props,
                                amqp_bytes_t{p.message.body.size(), p.message.body.data()});
    if (rc != AMQP_STATUS_OK) {
      failure = Error{ErrorKind::kUnavailable, amqp_error_string2(rc)};
      p.done(Error{ErrorKind::kUnavailable, fmt::format("publish to {} failed: {}", address().display(), amqp_error_string2(rc))});
      continue;
    }
    unconfirmed_.emplace(next_publish_tag_++, Unconfirmed{std::move(p.done), Clock::now() + options_.confirm_timeout});
  }
  for (const auto& a : acks) {
    if (!failure) break;
    if (a.generation != generation_) continue;  // that connection is gone; the broker requeued it
    int rc = a.outcome == Outcome::kAck
                 ? amqp_basic_ack(conn_, kPublishChannel, a.tag, 0)
                 : amqp_basic_nack(conn_, kPublishChannel, a.tag, 0, a.outcome == Outcome::kRequeue ? 1 : 0);
    if (rc != AMQP_STATUS_OK) failure = Error{ErrorKind::kUnavailable, amqp_error_string2(rc)};
  }
  // Every task runs (with no connection after a failure) so its caller
  // always gets an answer.
  for (auto& t : tasks) {
    if (!failure) {
      t(nullptr);
    } else if (!t(conn_)) {
      failure = Error{ErrorKind::kUnavailable, "a declaration failed (see its error)"};
    } else {
      // The broker answered; rabbitmq-c took any heartbeats that came while
      // the task waited (a declare can wait seconds), unseen by keep_alive.
      last_received_ = Clock::now();
    }
  }
  return failure;
}

void AmqpConnection::expire_unconfirmed() {
  auto now = Clock::now();
  std::vector<PublishCallback> expired;
  // Sent in tag order with the same timeout: the oldest come first.
  while (!unconfirmed_.empty() && unconfirmed_.begin()->second.deadline <= now) {
    expired.push_back(std::move(unconfirmed_.begin()->second.done));
    unconfirmed_.erase(unconfirmed_.begin());
  }
  if (expired.empty()) return;
  spdlog::warn("amqp: {} publish(es) to {} not confirmed within {} ms", expired.size(), address().display(),
               options_.confirm_timeout.count());
  Error e{ErrorKind::kTimeout, fmt::format("{} did not confirm the message within {} ms", address().display(),
                                           options_.confirm_timeout.count())};
  for (auto& cb : expired) cb(e);
}

void AmqpConnection::expire_queued_publishes() {
  std::vector<PendingPublish> expired;
  std::string reason;
  {
    core::MutexLock lock(mutex_);
    auto now = Clock::now();
    while (!publishes_.empty() && publishes_.front().deadline <= now) {
      expired.push_back(std::move(publishes_.front()));
      publishes_.pop_front();
    }
    reason = last_error_;
  }
  for (auto& p : expired) {
    p.done(Error{ErrorKind::kUnavailable, fmt::format("not connected to {}: {}", address().display(), reason)});
  }
}

Status AmqpConnection::keep_alive() {
  const int period_s = amqp_get_heartbeat(conn_);
  if (period_s <= 0) return {};
  const auto period = std::chrono::seconds(period_s);
  const auto now = Clock::now();
  if (now - last_received_ > 2 * period) {
    return Error{ErrorKind::kUnavailable,
                 fmt::format("nothing from the broker for {} s (heartbeat {} s)", 2 * period_s, period_s)};
  }
  if (now - heartbeat_sent_ < period / 2) return {};
  amqp_frame_t beat{};
  beat.frame_type = AMQP_FRAME_HEARTBEAT;
  beat.channel = 0;
  if (int rc = amqp_send_frame(conn_, &beat); rc != AMQP_STATUS_OK) {
    return Error{ErrorKind::kUnavailable, fmt::format("sending a heartbeat: {}", amqp_error_string2(rc))};
  }
  heartbeat_sent_ = now;
  return {};
}

void AmqpConnection::wait(int timeout_ms, bool skip_if_work) {
  {
    core::MutexLock lock(mutex_);
    if (skip_if_work && (!publishes_.empty() || !acks_.empty() || !tasks_.empty())) return;
    sleeping_ = true;
  }
  pollfd fds[2];
  int n = 0;
  fds[n++] = {wake_fd_, POLLIN, 0};
  if (conn_) fds[n++] = {amqp_get_sockfd(conn_), POLLIN, 0};
  ::poll(fds, n, timeout_ms);
  if (n == 2 && (fds[1].revents & POLLIN)) last_received_ = Clock::now();  // a heartbeat is data too
  {
    core::MutexLock lock(mutex_);
    sleeping_ = false;
  }
  drain_wake();
}

void AmqpConnection::pause(std::chrono::milliseconds how_long) {
  auto until = Clock::now() + how_long;
  while (!stopping_ && Clock::now() < until) {
    expire_queued_publishes();
    wait(static_cast<int>(std::min<std::chrono::milliseconds>(how_long, std::chrono::milliseconds(100)).count()));
  }
}

void AmqpConnection::run(std::promise<Status>* first) {
  auto backoff = options_.reconnect_min_backoff;
  int attempts = 0;
  std::size_t first_tries = 0;
  while (!stopping_) {
    if (!conn_) {
      Status s = open();
      ++attempts;
      if (!s) {
        close_connection(false);
        if (first) {
          // The first connection tries each address once before giving up.
          if (++first_tries < addresses_.size()) {
            next_address();
            continue;
          }
          first->set_value(s);
          return;
        }
        {
          core::MutexLock lock(mutex_);
          last_error_ = s.error().message;
        }
        spdlog::debug("amqp: reconnect attempt {} to {} failed: {}", attempts, address().display(), s.error().message);
        next_address();
        pause(backoff);
        backoff = std::min(backoff * 2, options_.reconnect_max_backoff);
        continue;
      }
      {
        core::MutexLock lock(mutex_);
        connected_ = true;
        connected_cv_.notify_all();
      }
      if (first) {
        first->set_value(Status{});
        first = nullptr;
      } else {
        spdlog::warn("amqp: reconnected to {} after {} attempt(s); topology declared again", address().display(), attempts);
      }
      attempts = 0;
      backoff = options_.reconnect_min_backoff;
    }
    Status s = send_outgoing();
    if (s) s = read_incoming();
    if (s) s = keep_alive();
    if (s) expire_unconfirmed();
    if (!s) {
      spdlog::warn("amqp: connection to {} lost: {}; reconnecting", address().display(), s.error().message);
      close_connection(false);
      fail_pending(s.error().message);
      if (addresses_.size() > 1) {
        next_address();  // a cluster: go on through another node
        pause(options_.failover_delay);
      }
      continue;
    }
    bool pending_input = amqp_frames_enqueued(conn_) || amqp_data_in_buffer(conn_);
    if (!pending_input) wait(200, true);
  }
  if (conn_) {
    (void)send_outgoing();  // acks handlers gave before the close
    close_connection(true);
  }
  fail_pending("broker closed");
  std::deque<PendingPublish> unsent;
  {
    core::MutexLock lock(mutex_);
    unsent.swap(publishes_);
    connected_cv_.notify_all();
  }
  for (auto& p : unsent) p.done(Error{ErrorKind::kUnavailable, "broker closed before the message was sent"});
}

}  // namespace scalelab::mq
