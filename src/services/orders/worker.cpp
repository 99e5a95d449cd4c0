#include "services/orders/worker.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace scalelab::orders {

namespace asio = boost::asio;

OrderWorker::OrderWorker(store::Store& store, WorkerOptions options)
    : store_(store),
      options_(options),
      payments_({.slots = options.payment.slots > 0 ? options.payment.slots : std::max(1, options.workers),
                 .delay = options.payment.delay,
                 .clock = options.payment.clock}) {}

Result<std::unique_ptr<OrderWorker>> OrderWorker::start(mq::Broker& broker, store::Store& store,
                                                        WorkerOptions options) {
  options.workers = std::max(1, options.workers);
  if (auto s = declare_topology(broker, options.max_deliveries); !s) return s.error();
  std::unique_ptr<OrderWorker> w(new OrderWorker(store, options));
  mq::SubscribeOptions so;
  so.concurrency = options.workers;
  so.threads = std::max(1, options.threads);
  so.prefetch = static_cast<std::uint16_t>(
      std::max<int>(options.workers, options.prefetch > 0 ? options.prefetch : options.workers));
  auto* self = w.get();
  auto sub = broker.subscribe(std::string(kQueue), so,
                              mq::AsyncHandler([self](mq::Delivery d) { return self->handle(std::move(d)); }));
  if (!sub) return sub.error();
  w->subscription_ = std::move(*sub);
  return w;
}

OrderWorker::~OrderWorker() { close(); }

void OrderWorker::close() {
  if (subscription_) subscription_->close();
}
void OrderWorker::abandon() {
  if (subscription_) subscription_->abandon();
}

WorkerStats OrderWorker::stats() const {
  core::MutexLock lock(mu_);
  return stats_;
}

// process_order with an exception (a store that threw) as an error, so the
// delivery takes the requeue / dead-letter path and is counted.
asio::awaitable<Result<Processed>> OrderWorker::process(std::string id) {
  Result<Processed> done = Error{ErrorKind::kInternal, "not run"};
  try {
    done = co_await process_order(store_, payments_, std::move(id));
  } catch (const std::exception& e) {
    done = Error{ErrorKind::kInternal, e.what()};
  }
  co_return done;
}

asio::awaitable<mq::Outcome> OrderWorker::handle(mq::Delivery delivery) {
  auto id = order_id_of_message(delivery, "order-worker");
  if (!id) {
    core::MutexLock lock(mu_);
    ++stats_.dead;
    co_return mq::Outcome::kReject;
  }
  // Which orders a worker held, and which came again (fault tests read it).
  spdlog::debug("order-worker: order {} delivery {}: processing", *id, delivery.delivery_count);
  auto done = co_await process(*id);
  if (done) {
    core::MutexLock lock(mu_);
    count_processed(stats_, *done);
    co_return mq::Outcome::kAck;
  }
  const bool last = options_.max_deliveries > 0 &&
                    delivery.delivery_count >= static_cast<std::uint32_t>(options_.max_deliveries);
  spdlog::warn("order-worker: order {} failed (delivery {}): {}", *id, delivery.delivery_count, done.error().message);
  if (!last) {
    core::MutexLock lock(mu_);
    ++stats_.requeued;
    co_return mq::Outcome::kRequeue;
  }
  (void)co_await mark_order_failed(
      store_, *id, fmt::format("{} (after {} deliveries)", done.error().message, delivery.delivery_count),
      "order-worker");
  core::MutexLock lock(mu_);
  ++stats_.dead;
  co_return mq::Outcome::kReject;
}

}  // namespace scalelab::orders
