// `scalelab mq-bench`: the bus's raw publish throughput (src/mq/bench.h), for bench/.
#include <memory>
#include <string>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "mq/bench.h"

namespace scalelab::app {

namespace {

int run_mq_bench(const std::string& broker_url, const mq::PublishBenchOptions& o) {
  auto broker = mq::open_broker(broker_url);
  if (!broker) {
    spdlog::error("mq-bench: {}", broker.error().message);
    return 2;
  }
  auto r = mq::publish_bench(**broker, o);
  if (!r) {
    spdlog::error("mq-bench: {}", r.error().message);
    return 1;
  }
  fmt::print("scalelab mq: {} persistent confirmed messages of {} bytes in batches of {}{}: {:.3f} s, {:.0f} msg/s\n",
             r->messages, o.size, o.batch, o.quorum ? " (quorum queue)" : "", r->seconds, r->per_second());
  return 0;
}

}  // namespace

void add_mq_commands(CLI::App& app, int& exit_code) {
  auto broker_url = std::make_shared<std::string>("memory://");
  auto o = std::make_shared<mq::PublishBenchOptions>();
  auto* m = app.add_subcommand("mq-bench", "Bus throughput: persistent, confirmed publishes (for bench/)");
  add_broker_option(*m, *broker_url);
  m->add_option("--messages", o->messages, "How many")->capture_default_str();
  m->add_option("--size", o->size, "Payload bytes")->capture_default_str();
  m->add_option("--batch", o->batch, "Confirms awaited every this many")->capture_default_str();
  m->add_flag("--quorum", o->quorum,
              "Publish into a quorum queue (as a queue with a delivery limit is) instead of a classic one");
  m->callback([broker_url, o, &exit_code] { exit_code = run_mq_bench(*broker_url, *o); });
}

}  // namespace scalelab::app
