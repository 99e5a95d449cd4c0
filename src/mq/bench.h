// Raw bus throughput: persistent messages published into a fresh queue, with
// publisher confirms awaited every `batch` messages (what `scalelab mq-bench`
// and bench/orders_accept.sh measure).
// Thread-safety: run one benchmark at a time per broker.
#pragma once

#include <cstddef>

#include "core/result.h"
#include "mq/broker.h"

namespace scalelab::mq {

struct PublishBenchOptions {
  std::size_t messages = 20'000;
  std::size_t size = 1024;   // payload bytes
  std::size_t batch = 256;   // confirms awaited every this many
  bool quorum = false;       // a quorum queue (what a queue with a delivery limit is, e.g. hw7's orders queue)
};

struct PublishBenchResult {
  std::size_t messages = 0;
  double seconds = 0;
  double per_second() const { return seconds > 0 ? static_cast<double>(messages) / seconds : 0; }
};

// Declares a fresh queue and publishes into it. Fails when the queue cannot
// be declared or a batch is not confirmed.
Result<PublishBenchResult> publish_bench(Broker& broker, const PublishBenchOptions& options);

}  // namespace scalelab::mq
