// kill -9 a mapper process mid-job over a real RabbitMQ: its unacked chunk is
// redelivered to the other mapper and the result is still exact.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <future>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "infra/wordcount_cluster.h"
#include "mq/broker.h"
#include "services/wordcount/wordcount.h"
#include "support/test_server.h"
#include "support/eventually.h"

namespace scalelab::wordcount {
namespace {

using namespace std::chrono_literals;

TEST(WordcountFaults, KillingAMapperMidJobStillGivesTheExactResult) {
  const std::string url = testkit::infra_url("rabbitmq");
  auto opened = mq::open_broker(url);
  ASSERT_TRUE(opened) << opened.error().message;
  auto& broker = **opened;
  ASSERT_TRUE(declare_topology(broker));

  std::string text = generate_zipf_text(400'000, 77);
  auto input = std::filesystem::temp_directory_path() / fmt::format("scalelab-wc-kill-{}.txt", ::getpid());
  std::ofstream(input, std::ios::binary) << text;
  const std::size_t chunk = 10'000;
  const auto chunks = split_chunks(text, chunk).size();

  // Each chunk takes >= 100 ms in a mapper, so a mapper is almost always
  // inside a chunk (unacked) when it is killed.
  auto cluster = infra::WordcountCluster::start({.scalelab = SCALELAB_BINARY,
                                               .broker_url = url,
                                               .mappers = 2,
                                               .log_dir = std::filesystem::temp_directory_path() / "scalelab-wc-kill-logs",
                                               .chunk_delay = 100ms});
  ASSERT_TRUE(cluster) << cluster.error().message;
  auto job = std::async(std::launch::async, [&] {
    return run_job(broker, {.input = input, .chunk_bytes = chunk, .timeout = 120s});
  });
  // Wait (bounded) until the mappers are well into the job.
  const bool started = scalelab::testkit::eventually(
      [&] {
        auto depth = broker.queue_depth(kChunksQueue);
        return depth && *depth > 0 && *depth + 6 <= chunks;
      },
      60s);
  ASSERT_TRUE(started) << "the mappers never got going";
  (*cluster)->mapper(0).signal(SIGKILL);
  auto code = (*cluster)->mapper(0).wait_for(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 128 + SIGKILL);

  auto r = job.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->counts, count_words(text));
  EXPECT_EQ(r->chunks, static_cast<int>(chunks));
  std::filesystem::remove(input);
}

}  // namespace
}  // namespace scalelab::wordcount
