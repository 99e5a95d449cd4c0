#include "mq/amqp_wire.h"

#include <optional>

#include <fmt/format.h>

namespace scalelab::mq::detail {

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

Status declare_on(amqp_connection_state_t c, const Topology& t, bool replicated) {
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
    if (q.max_deliveries > 0 || (replicated && !q.auto_delete)) args.add_string("x-queue-type", "quorum");
    if (q.max_deliveries > 0) args.add_int("x-delivery-limit", q.max_deliveries - 1);
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

}  // namespace scalelab::mq::detail
