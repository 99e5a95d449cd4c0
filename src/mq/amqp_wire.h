// The AMQP wire helpers shared by the connection and the consumer: reply
// and method descriptions, header tables, the topology declaration, and the
// work items that pass between a connection's thread and its subscription.
// Internal to src/mq (amqp_*.cpp).
// Thread-safety: functions are pure or use only the connection passed in.
#pragma once

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "mq/broker.h"

namespace scalelab::mq::detail {

using Clock = std::chrono::steady_clock;

// rabbitmq-c bytes as a string.
std::string bytes_str(amqp_bytes_t b);
// A broker's close method or an RPC reply, for logs and errors.
std::string describe_method(const amqp_method_t& m);
std::string describe(const amqp_rpc_reply_t& r);
// The AMQP name of an exchange type ("direct", "fanout", "topic").
const char* exchange_type(ExchangeType t);
// A delivery's headers as strings; sets delivery_count from a quorum
// queue's x-delivery-count (earlier returns + 1).
Headers read_headers(const amqp_basic_properties_t& p, std::uint32_t& delivery_count);
// Declares exchanges, queues (quorum with a delivery limit when
// max_deliveries > 0) and bindings on the RPC channel.
// With replicated (a cluster), every durable queue is a quorum queue.
Status declare_on(amqp_connection_state_t c, const Topology& t, bool replicated = false);

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

}  // namespace scalelab::mq::detail
