// HandlerPool: the executor a subscription with coroutine handlers owns. A
// small thread pool (SubscribeOptions::threads) on which each delivery's
// handler coroutine runs; when the coroutine completes, `done` gets its
// outcome (kRequeue when it threw, as a throwing synchronous handler does).
// Used by both brokers, which count the coroutines in flight and settle the
// message (ack, requeue, reject) from `done`.
// Thread-safety: start() may be called from any thread; join() once, after
// every started handler has completed.
#pragma once

#include <functional>

#include <boost/asio/thread_pool.hpp>

#include "mq/broker.h"

namespace scalelab::mq {

class HandlerPool {
 public:
  HandlerPool(AsyncHandler handler, int threads);
  ~HandlerPool();
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Runs handler(delivery) on the pool; done(outcome) runs on a pool thread
  // when it completes.
  void start(Delivery delivery, std::function<void(Outcome)> done);
  // Waits for the pool's threads to finish their work and exit.
  void join();

 private:
  AsyncHandler handler_;
  boost::asio::thread_pool pool_;
};

}  // namespace scalelab::mq
