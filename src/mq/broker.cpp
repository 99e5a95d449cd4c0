#include "mq/broker.h"

#include <condition_variable>
#include <future>
#include <mutex>

#include <fmt/format.h>

#include "mq/amqp_broker.h"
#include "mq/memory_broker.h"

namespace scalelab::mq {

std::string_view to_string(BrokerKind kind) {
  switch (kind) {
    case BrokerKind::kMemory: return "memory";
    case BrokerKind::kAmqp: return "amqp";
  }
  return "unknown";
}

Status Broker::publish(const std::string& exchange, Message message) {
  std::promise<Status> done;
  auto result = done.get_future();
  publish_async(exchange, std::move(message), [&done](Status s) { done.set_value(std::move(s)); });
  return result.get();
}

Status Broker::publish_batch(const std::string& exchange, std::vector<Message> messages) {
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t pending = 0;
    Status first_failure;
  };
  auto state = std::make_shared<State>();
  state->pending = messages.size();
  for (auto& m : messages) {
    publish_async(exchange, std::move(m), [state](Status s) {
      std::lock_guard lock(state->mutex);
      if (!s && state->first_failure) state->first_failure = std::move(s);
      if (--state->pending == 0) state->cv.notify_all();
    });
  }
  std::unique_lock lock(state->mutex);
  state->cv.wait(lock, [&] { return state->pending == 0; });
  return state->first_failure;
}

Result<std::unique_ptr<Broker>> open_broker(const std::string& url, const BrokerOptions& options) {
  if (url == "memory://" || url == "memory" || url.empty()) {
    return std::unique_ptr<Broker>(std::make_unique<MemoryBroker>());
  }
  if (url.rfind("amqp://", 0) == 0) {
    auto broker = AmqpBroker::connect(url, options);
    if (!broker) return broker.error();
    return std::unique_ptr<Broker>(std::move(*broker));
  }
  return Error{ErrorKind::kInvalidInput,
               fmt::format("unknown broker URL '{}': use memory:// or amqp://user:pass@host:port/vhost", url)};
}

namespace {

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

bool match_from(const std::vector<std::string_view>& p, std::size_t i, const std::vector<std::string_view>& k,
                std::size_t j) {
  if (i == p.size()) return j == k.size();
  if (p[i] == "#") {
    for (std::size_t skip = j; skip <= k.size(); ++skip) {
      if (match_from(p, i + 1, k, skip)) return true;
    }
    return false;
  }
  if (j == k.size()) return false;
  if (p[i] != "*" && p[i] != k[j]) return false;
  return match_from(p, i + 1, k, j + 1);
}

}  // namespace

bool topic_matches(const std::string& pattern, const std::string& routing_key) {
  return match_from(split_words(pattern), 0, split_words(routing_key), 0);
}

}  // namespace scalelab::mq
