#include "mq/amqp_broker.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace scalelab::mq {

std::string AmqpAddress::display() const { return fmt::format("amqp://{}:{}/{}", host, port, vhost == "/" ? "" : vhost); }

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return Error{ErrorKind::kInvalidInput, "bad % escape"};
      int a = hex(s[i + 1]), b = hex(s[i + 2]);
      if (a < 0 || b < 0) return Error{ErrorKind::kInvalidInput, "bad % escape"};
      out.push_back(static_cast<char>(a * 16 + b));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

Result<AmqpAddress> parse_amqp_url(const std::string& url) {
  constexpr std::string_view scheme = "amqp://";
  if (url.rfind(scheme, 0) != 0) return Error{ErrorKind::kInvalidInput, fmt::format("not an amqp:// URL: '{}'", url)};
  std::string_view rest = std::string_view(url).substr(scheme.size());
  AmqpAddress a;
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    auto vhost = percent_decode(rest.substr(slash + 1));
    if (!vhost) return Error{ErrorKind::kInvalidInput, fmt::format("bad vhost in '{}'", url)};
    a.vhost = *vhost;
  }
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    if (!user) return Error{ErrorKind::kInvalidInput, fmt::format("bad user in '{}'", url)};
    a.user = *user;
    if (colon != std::string_view::npos) {
      auto pass = percent_decode(userinfo.substr(colon + 1));
      if (!pass) return Error{ErrorKind::kInvalidInput, fmt::format("bad password in '{}'", url)};
      a.password = *pass;
    }
  }
  auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    std::string port(authority.substr(colon + 1));
    authority = authority.substr(0, colon);
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p < 1 || p > 65535) {
      return Error{ErrorKind::kInvalidInput, fmt::format("bad port in '{}'", url)};
    }
    a.port = static_cast<int>(p);
  }
  if (!authority.empty()) a.host = std::string(authority);
  return a;
}

namespace {

using Clock = std::chrono::steady_clock;

std::string bytes_str(amqp_bytes_t b) { return std::string(static_cast<const char*>(b.bytes), b.len); }

std::string describe_method(const amqp_method_t& m) {
  if (m.id == AMQP_CONNECTION_CLOSE_METHOD) {
    auto* c = static_cast<amqp_connection_close_t*>(m.decoded);
    return fmt::format("connection closed by broker: {} {}", c->reply_code, bytes_str(c->reply_text));
  }
  if (m.id == AMQP_CHANNEL_CLOSE_METHOD) {
    auto* c = static_cast<amqp_channel_close_t*>(m.decoded);
    return fmt::format("channel closed by broker: {} {}", c->reply_code, bytes_str(c->reply_text));
  }
  return fmt::format("unexpected method 0x{:08x}", m.id);
}

std::string describe(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL: return "ok";
    case AMQP_RESPONSE_NONE: return "missing RPC reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION: return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION: return describe_method(r.reply);
  }
  return "unknown reply";
}

const char* exchange_type(ExchangeType t) {
  switch (t) {
    case ExchangeType::kDirect: return "direct";
    case ExchangeType::kFanout: return "fanout";
    case ExchangeType::kTopic: return "topic";
  }
  return "direct";
}

// An amqp_table_t that owns its strings.
class Table {
 public:
  void add_string(const std::string& key, const std::string& value) {
    keys_.push_back(key);
    values_.push_back(value);
    kinds_.push_back(0);
  }
  void add_int(const std::string& key, std::int64_t value) {
    keys_.push_back(key);
    values_.emplace_back();
    ints_.resize(keys_.size());
    ints_.back() = value;
    kinds_.push_back(1);
  }
  amqp_table_t get() {
    entries_.resize(keys_.size());
    ints_.resize(keys_.size());
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      entries_[i].key = amqp_cstring_bytes(keys_[i].c_str());
      if (kinds_[i] == 0) {
        entries_[i].value.kind = AMQP_FIELD_KIND_UTF8;
        entries_[i].value.value.bytes = amqp_bytes_t{values_[i].size(), const_cast<char*>(values_[i].data())};
      } else {
        entries_[i].value.kind = AMQP_FIELD_KIND_I64;
        entries_[i].value.value.i64 = ints_[i];
      }
    }
    return amqp_table_t{static_cast<int>(entries_.size()), entries_.empty() ? nullptr : entries_.data()};
  }

 private:
  std::deque<std::string> keys_, values_;
  std::vector<std::int64_t> ints_;
  std::vector<int> kinds_;
  std::vector<amqp_table_entry_t> entries_;
};

Headers read_headers(const amqp_basic_properties_t& p, std::uint32_t& delivery_count) {
  Headers h;
  if (!(p._flags & AMQP_BASIC_HEADERS_FLAG)) return h;
  for (int i = 0; i < p.headers.num_entries; ++i) {
    const auto& e = p.headers.entries[i];
    std::string key = bytes_str(e.key);
    std::optional<std::int64_t> number;
    switch (e.value.kind) {
      case AMQP_FIELD_KIND_UTF8:
      case AMQP_FIELD_KIND_BYTES: h[key] = bytes_str(e.value.value.bytes); break;
      case AMQP_FIELD_KIND_I8: number = e.value.value.i8; break;
      case AMQP_FIELD_KIND_U8: number = e.value.value.u8; break;
      case AMQP_FIELD_KIND_I16: number = e.value.value.i16; break;
      case AMQP_FIELD_KIND_U16: number = e.value.value.u16; break;
      case AMQP_FIELD_KIND_I32: number = e.value.value.i32; break;
      case AMQP_FIELD_KIND_U32: number = e.value.value.u32; break;
      case AMQP_FIELD_KIND_I64: number = e.value.value.i64; break;
      case AMQP_FIELD_KIND_U64: number = static_cast<std::int64_t>(e.value.value.u64); break;
      default: break;  // arrays and tables (x-death) are not surfaced
    }
    if (number) {
      h[key] = std::to_string(*number);
      // Quorum queues count earlier returns.
      if (key == "x-delivery-count") delivery_count = static_cast<std::uint32_t>(*number) + 1;
    }
  }
  return h;
}

struct PendingPublish {
  std::string exchange;
  Message message;
  PublishCallback done;
  std::chrono::steady_clock::time_point deadline;  // fail it if still unsent then
};

struct Work {
  std::uint64_t generation = 0;
  std::uint64_t tag = 0;
  Delivery delivery;
};

struct AckRequest {
  std::uint64_t generation = 0;
  std::uint64_t tag = 0;
  Outcome outcome = Outcome::kAck;
};

constexpr amqp_channel_t kPublishChannel = 1;  // also the consuming channel
constexpr amqp_channel_t kRpcChannel = 2;      // declarations, so their replies never mix with confirms

}  // namespace

// One AMQP connection and the thread that owns it.
class AmqpConnection {
 public:
  struct ConsumerSetup {
    std::string queue;
    std::uint16_t prefetch = 1;
    // An auto-delete queue and its bindings: declared by this connection on
    // every (re)connect, since it does not survive a broker restart.
    Topology own;
    // Called on the connection thread for each delivery.
    std::function<void(Work)> deliver;
    // Called on the connection thread when the connection is lost, so queued
    // work from it is dropped (the broker redelivers it).
    std::function<void()> lost;
  };

  AmqpConnection(AmqpAddress address, BrokerOptions options, std::shared_ptr<AmqpBroker::Declared> declared,
                 std::optional<ConsumerSetup> consumer)
      : address_(std::move(address)), options_(options), declared_(std::move(declared)),
        consumer_(std::move(consumer)) {
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  }

  ~AmqpConnection() {
    stop();
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  // Starts the thread; returns the first connection attempt's outcome.
  Status start() {
    std::promise<Status> first;
    auto result = first.get_future();
    thread_ = std::thread([this, p = std::move(first)]() mutable { run(&p); });
    Status s = result.get();
    if (!s) stop();
    return s;
  }

  void stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      connected_cv_.notify_all();
    }
    wake();
    thread_.join();
  }

  // Queued even while disconnected: sent after a reconnect, or failed once
  // connect_timeout has passed without one.
  void publish(std::string exchange, Message message, PublishCallback done) {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        publishes_.push_back({std::move(exchange), std::move(message), std::move(done),
                              Clock::now() + options_.connect_timeout});
        wake_locked();
        return;
      }
    }
    done(Error{ErrorKind::kUnavailable, fmt::format("broker connection to {} is closed", address_.display())});
  }

  // Runs fn on the connection thread with the live connection.
  template <typename T>
  Result<T> call(std::function<Result<T>(amqp_connection_state_t)> fn) {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    {
      std::unique_lock lock(mutex_);
      if (!connected_cv_.wait_for(lock, options_.connect_timeout, [&] { return connected_ || stopping_; }) || stopping_) {
        return Error{ErrorKind::kUnavailable, fmt::format("not connected to {}: {}", address_.display(), last_error_)};
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

  void ack(AckRequest a) {
    std::lock_guard lock(mutex_);
    acks_.push_back(a);
    wake_locked();
  }

 private:
  void wake() {
    std::uint64_t one = 1;
    if (wake_fd_ >= 0) (void)!::write(wake_fd_, &one, sizeof one);
  }

  // Wakes the thread only when it sleeps in wait(): a busy thread finds the
  // work on its next turn, and a write is a syscall per publish and per ack.
  // REQUIRES: mutex_ held.
  void wake_locked() {
    if (!sleeping_) return;
    sleeping_ = false;
    wake();
  }

  void drain_wake() {
    std::uint64_t n;
    while (::read(wake_fd_, &n, sizeof n) > 0) {
    }
  }

  // Declares the recorded topology on the RPC channel.
  static Status declare_on(amqp_connection_state_t c, const Topology& t) {
    for (const auto& e : t.exchanges) {
      amqp_exchange_declare(c, kRpcChannel, amqp_cstring_bytes(e.name.c_str()), amqp_cstring_bytes(exchange_type(e.type)),
                            0, 1, 0, 0, amqp_empty_table);
      auto r = amqp_get_rpc_reply(c);
      if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        return Error{ErrorKind::kUnavailable, fmt::format("declaring exchange '{}': {}", e.name, describe(r))};
      }
    }
    for (const auto& q : t.queues) {
      Table args;
      if (q.max_deliveries > 0) {
        args.add_string("x-queue-type", "quorum");
        args.add_int("x-delivery-limit", q.max_deliveries - 1);
      }
      if (!q.dead_letter_exchange.empty()) args.add_string("x-dead-letter-exchange", q.dead_letter_exchange);
      if (!q.dead_letter_routing_key.empty()) args.add_string("x-dead-letter-routing-key", q.dead_letter_routing_key);
      amqp_queue_declare(c, kRpcChannel, amqp_cstring_bytes(q.name.c_str()), 0, q.auto_delete ? 0 : 1, 0,
                         q.auto_delete ? 1 : 0, args.get());
      auto r = amqp_get_rpc_reply(c);
      if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        return Error{ErrorKind::kUnavailable, fmt::format("declaring queue '{}': {}", q.name, describe(r))};
      }
    }
    for (const auto& b : t.bindings) {
      amqp_queue_bind(c, kRpcChannel, amqp_cstring_bytes(b.queue.c_str()), amqp_cstring_bytes(b.exchange.c_str()),
                      amqp_cstring_bytes(b.routing_key.c_str()), amqp_empty_table);
      auto r = amqp_get_rpc_reply(c);
      if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        return Error{ErrorKind::kUnavailable,
                     fmt::format("binding '{}' to '{}': {}", b.queue, b.exchange, describe(r))};
      }
    }
    return {};
  }

 public:
  static Status declare_topology(amqp_connection_state_t c, const Topology& t) { return declare_on(c, t); }

 private:
  Status open() {
    conn_ = amqp_new_connection();
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    if (!socket) return Error{ErrorKind::kInternal, "cannot create a socket"};
    auto ms = options_.connect_timeout.count();
    timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
    int rc = amqp_socket_open_noblock(socket, address_.host.c_str(), address_.port, &tv);
    if (rc != AMQP_STATUS_OK) {
      return Error{ErrorKind::kUnavailable, fmt::format("cannot connect to {}: {}", address_.display(), amqp_error_string2(rc))};
    }
    auto r = amqp_login(conn_, address_.vhost.c_str(), 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, address_.user.c_str(),
                        address_.password.c_str());
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
      return Error{ErrorKind::kUnavailable, fmt::format("login to {} failed: {}", address_.display(), describe(r))};
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
      std::lock_guard lock(declared_->mutex);
      topology = declared_->topology;
    }
    if (auto s = declare_on(conn_, topology); !s) return s;
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
    return {};
  }

  void close_connection(bool graceful) {
    if (!conn_) return;
    if (graceful) {
      amqp_channel_close(conn_, kRpcChannel, AMQP_REPLY_SUCCESS);
      amqp_channel_close(conn_, kPublishChannel, AMQP_REPLY_SUCCESS);
      amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn_);
    conn_ = nullptr;
  }

  // Fails every publish awaiting a confirm and everything queued.
  void fail_pending(const std::string& reason) {
    std::vector<PublishCallback> failed;
    for (auto& [tag, u] : unconfirmed_) failed.push_back(std::move(u.done));
    unconfirmed_.clear();
    std::vector<std::function<bool(amqp_connection_state_t)>> tasks;
    {
      std::lock_guard lock(mutex_);
      connected_ = false;
      last_error_ = reason;
      tasks.swap(tasks_);
      acks_.clear();
    }
    Error e{ErrorKind::kUnavailable, fmt::format("connection to {} lost before the confirm: {}", address_.display(), reason)};
    for (auto& cb : failed) cb(e);
    for (auto& t : tasks) t(nullptr);  // tasks see a null connection and fail
    if (consumer_ && consumer_->lost) consumer_->lost();
  }

  void confirm(std::uint64_t tag, bool multiple, Status status) {
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

  // Handles one method frame that is not a delivery. Returns an error when
  // the connection must be reset.
  Status handle_method(const amqp_frame_t& frame) {
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

  Status read_incoming() {
    timeval zero{0, 0};
    for (;;) {
      if (consumer_) {
        amqp_envelope_t env;
        amqp_maybe_release_buffers(conn_);
        auto r = amqp_consume_message(conn_, &env, &zero, 0);
        if (r.reply_type == AMQP_RESPONSE_NORMAL) {
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
      if (auto s = handle_method(frame); !s) return s;
    }
  }

  // Sends queued publishes, acks and tasks. Returns an error to reset.
  Status send_outgoing() {
    std::deque<PendingPublish> publishes;
    std::vector<AckRequest> acks;
    std::vector<std::function<bool(amqp_connection_state_t)>> tasks;
    {
      std::lock_guard lock(mutex_);
      publishes.swap(publishes_);
      acks.swap(acks_);
      tasks.swap(tasks_);
    }
    Status failure;
    for (auto& p : publishes) {
      if (!failure) {
        p.done(Error{ErrorKind::kUnavailable, fmt::format("connection to {} lost: {}", address_.display(), failure.error().message)});
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
        p.done(Error{ErrorKind::kUnavailable, fmt::format("publish to {} failed: {}", address_.display(), amqp_error_string2(rc))});
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
      }
    }
    return failure;
  }

  // Fails publishes sent confirm_timeout ago and still not confirmed: a
  // broker that stopped answering without closing the connection (frozen,
  // partitioned) must not hold its publishers forever. The connection is
  // kept: a late confirm finds no entry and is ignored (the message may then
  // be in the queue although its publisher was told it failed, as when the
  // connection drops before the confirm).
  void expire_unconfirmed() {
    auto now = Clock::now();
    std::vector<PublishCallback> expired;
    // Sent in tag order with the same timeout: the oldest come first.
    while (!unconfirmed_.empty() && unconfirmed_.begin()->second.deadline <= now) {
      expired.push_back(std::move(unconfirmed_.begin()->second.done));
      unconfirmed_.erase(unconfirmed_.begin());
    }
    if (expired.empty()) return;
    spdlog::warn("amqp: {} publish(es) to {} not confirmed within {} ms", expired.size(), address_.display(),
                 options_.confirm_timeout.count());
    Error e{ErrorKind::kTimeout, fmt::format("{} did not confirm the message within {} ms", address_.display(),
                                             options_.confirm_timeout.count())};
    for (auto& cb : expired) cb(e);
  }

  // Fails publishes that waited connect_timeout for a connection.
  void expire_queued_publishes() {
    std::vector<PendingPublish> expired;
    std::string reason;
    {
      std::lock_guard lock(mutex_);
      auto now = Clock::now();
      while (!publishes_.empty() && publishes_.front().deadline <= now) {
        expired.push_back(std::move(publishes_.front()));
        publishes_.pop_front();
      }
      reason = last_error_;
    }
    for (auto& p : expired) {
      p.done(Error{ErrorKind::kUnavailable, fmt::format("not connected to {}: {}", address_.display(), reason)});
    }
  }

  // Waits until the socket is readable, work is queued, or timeout. With
  // skip_if_work, returns at once when work is already queued (so no wake-up
  // is lost between the last look and the poll).
  void wait(int timeout_ms, bool skip_if_work = false) {
    {
      std::lock_guard lock(mutex_);
      if (skip_if_work && (!publishes_.empty() || !acks_.empty() || !tasks_.empty())) return;
      sleeping_ = true;
    }
    pollfd fds[2];
    int n = 0;
    fds[n++] = {wake_fd_, POLLIN, 0};
    if (conn_) fds[n++] = {amqp_get_sockfd(conn_), POLLIN, 0};
    ::poll(fds, n, timeout_ms);
    {
      std::lock_guard lock(mutex_);
      sleeping_ = false;
    }
    drain_wake();
  }

  void run(std::promise<Status>* first) {
    auto backoff = options_.reconnect_min_backoff;
    int attempts = 0;
    while (!stopping_) {
      if (!conn_) {
        Status s = open();
        ++attempts;
        if (!s) {
          close_connection(false);
          if (first) {
            first->set_value(s);
            return;
          }
          {
            std::lock_guard lock(mutex_);
            last_error_ = s.error().message;
          }
          spdlog::debug("amqp: reconnect attempt {} to {} failed: {}", attempts, address_.display(), s.error().message);
          auto next_attempt = Clock::now() + backoff;
          while (!stopping_ && Clock::now() < next_attempt) {
            expire_queued_publishes();
            wait(100);
          }
          backoff = std::min(backoff * 2, options_.reconnect_max_backoff);
          continue;
        }
        {
          std::lock_guard lock(mutex_);
          connected_ = true;
          connected_cv_.notify_all();
        }
        if (first) {
          first->set_value(Status{});
          first = nullptr;
        } else {
          spdlog::warn("amqp: reconnected to {} after {} attempt(s); topology declared again", address_.display(), attempts);
        }
        attempts = 0;
        backoff = options_.reconnect_min_backoff;
      }
      Status s = send_outgoing();
      if (s) s = read_incoming();
      if (s) expire_unconfirmed();
      if (!s) {
        spdlog::warn("amqp: connection to {} lost: {}; reconnecting", address_.display(), s.error().message);
        close_connection(false);
        fail_pending(s.error().message);
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
      std::lock_guard lock(mutex_);
      unsent.swap(publishes_);
      connected_cv_.notify_all();
    }
    for (auto& p : unsent) p.done(Error{ErrorKind::kUnavailable, "broker closed before the message was sent"});
  }

  AmqpAddress address_;
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
    Clock::time_point deadline;
  };
  std::map<std::uint64_t, Unconfirmed> unconfirmed_;

  std::mutex mutex_;  // guards the fields below
  std::condition_variable connected_cv_;
  bool connected_ = false;
  bool sleeping_ = false;  // the thread is in (or entering) wait()'s poll: a new item must wake it
  std::string last_error_ = "not connected yet";
  std::deque<PendingPublish> publishes_;
  std::vector<AckRequest> acks_;
  std::vector<std::function<bool(amqp_connection_state_t)>> tasks_;
};

namespace {

class AmqpSubscription final : public Subscription {
 public:
  AmqpSubscription(Handler handler, SubscribeOptions options) : handler_(std::move(handler)), options_(options) {}

  Status start(AmqpAddress address, BrokerOptions broker_options, std::shared_ptr<AmqpBroker::Declared> declared,
               const std::string& queue, Topology own) {
    AmqpConnection::ConsumerSetup setup;
    setup.queue = queue;
    setup.own = std::move(own);
    setup.prefetch = options_.prefetch;
    setup.deliver = [this](Work w) {
      std::lock_guard lock(mutex_);
      work_.push_back(std::move(w));
      cv_.notify_one();
    };
    setup.lost = [this] {
      std::lock_guard lock(mutex_);
      work_.clear();
    };
    connection_ = std::make_unique<AmqpConnection>(std::move(address), broker_options, std::move(declared), std::move(setup));
    for (int i = 0; i < options_.concurrency; ++i) workers_.emplace_back([this] { work(); });
    Status s = connection_->start();
    if (!s) abandon();
    return s;
  }

  // Graceful: handlers finish and their acks are sent, then the connection
  // closes (the broker requeues what was prefetched but not started).
  void close() override {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      work_.clear();
      cv_.notify_all();
    }
    join_workers();
    if (connection_) connection_->stop();
    connection_.reset();
  }

  // As if the process died: the connection closes first, so every unacked
  // message is requeued; running handlers' outcomes are dropped.
  void abandon() override {
    if (connection_) connection_->stop();
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      abandoned_ = true;
      work_.clear();
      cv_.notify_all();
    }
    join_workers();
    connection_.reset();
  }

  ~AmqpSubscription() override { close(); }

 private:
  void work() {
    for (;;) {
      Work w;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return closed_ || !work_.empty(); });
        if (closed_) return;
        w = std::move(work_.front());
        work_.pop_front();
      }
      Outcome outcome = Outcome::kRequeue;
      try {
        outcome = handler_(w.delivery);
      } catch (const std::exception& e) {
        spdlog::warn("mq handler threw: {}; requeueing", e.what());
      }
      std::lock_guard lock(mutex_);
      if (abandoned_) return;
      connection_->ack({w.generation, w.tag, outcome});
      if (closed_) return;
    }
  }

  Handler handler_;
  SubscribeOptions options_;
  std::unique_ptr<AmqpConnection> connection_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool closed_ = false;     // no new work
  bool abandoned_ = false;  // outcomes dropped
  std::deque<Work> work_;

  void join_workers() {
    for (auto& t : workers_) {
      if (t.joinable()) t.join();
    }
    workers_.clear();
  }
};

}  // namespace

AmqpBroker::AmqpBroker(AmqpAddress address, BrokerOptions options)
    : address_(std::move(address)), options_(options), declared_(std::make_shared<Declared>()) {}

AmqpBroker::~AmqpBroker() {
  if (publisher_) publisher_->stop();
}

Result<std::unique_ptr<AmqpBroker>> AmqpBroker::connect(const std::string& url, const BrokerOptions& options) {
  auto address = parse_amqp_url(url);
  if (!address) return address.error();
  std::unique_ptr<AmqpBroker> broker(new AmqpBroker(*address, options));
  broker->publisher_ = std::make_unique<AmqpConnection>(*address, options, broker->declared_, std::nullopt);
  if (auto s = broker->publisher_->start(); !s) return s.error();
  return broker;
}

Status AmqpBroker::declare(const Topology& topology) {
  auto r = publisher_->call<bool>([topology](amqp_connection_state_t c) -> Result<bool> {
    if (!c) return Error{ErrorKind::kUnavailable, "connection lost"};
    if (auto s = AmqpConnection::declare_topology(c, topology); !s) return s.error();
    return true;
  });
  if (!r) return r.error();
  std::lock_guard lock(declared_->mutex);
  auto& t = declared_->topology;
  t.exchanges.insert(t.exchanges.end(), topology.exchanges.begin(), topology.exchanges.end());
  for (const auto& q : topology.queues) {
    if (q.auto_delete) declared_->transient[q.name].queues.push_back(q);
    else t.queues.push_back(q);
  }
  for (const auto& b : topology.bindings) {
    auto tq = declared_->transient.find(b.queue);
    if (tq != declared_->transient.end()) tq->second.bindings.push_back(b);
    else t.bindings.push_back(b);
  }
  return {};
}

void AmqpBroker::publish_async(const std::string& exchange, Message message, PublishCallback done) {
  publisher_->publish(exchange, std::move(message), std::move(done));
}

Result<std::unique_ptr<Subscription>> AmqpBroker::subscribe(const std::string& queue, SubscribeOptions options,
                                                            Handler handler) {
  if (options.prefetch < 1 || options.concurrency < 1) {
    return Error{ErrorKind::kInvalidInput, "prefetch and concurrency must be at least 1"};
  }
  auto sub = std::make_unique<AmqpSubscription>(std::move(handler), options);
  Topology own;
  {
    std::lock_guard lock(declared_->mutex);
    auto tq = declared_->transient.find(queue);
    if (tq != declared_->transient.end()) {
      own = std::move(tq->second);
      declared_->transient.erase(tq);
    }
  }
  if (auto s = sub->start(address_, options_, declared_, queue, std::move(own)); !s) return s.error();
  return std::unique_ptr<Subscription>(std::move(sub));
}

Result<std::uint64_t> AmqpBroker::queue_depth(const std::string& queue) {
  return publisher_->call<std::uint64_t>([queue](amqp_connection_state_t c) -> Result<std::uint64_t> {
    if (!c) return Error{ErrorKind::kUnavailable, "connection lost"};
    auto* ok = amqp_queue_declare(c, kRpcChannel, amqp_cstring_bytes(queue.c_str()), 1, 0, 0, 0, amqp_empty_table);
    auto r = amqp_get_rpc_reply(c);
    if (r.reply_type != AMQP_RESPONSE_NORMAL || !ok) {
      return Error{ErrorKind::kNotFound, fmt::format("queue '{}': {}", queue, describe(r))};
    }
    return static_cast<std::uint64_t>(ok->message_count);
  });
}

}  // namespace scalelab::mq
