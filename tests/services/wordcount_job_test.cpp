// Word count jobs end to end over a bus: in-process (memory://) by default,
// or over RabbitMQ when built as wordcount_rabbitmq_test.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <unistd.h>

#include "mq/broker.h"
#include "services/wordcount/wordcount.h"
#include "support/test_server.h"

namespace scalelab::wordcount {
namespace {

using namespace std::chrono_literals;

#ifdef SCALELAB_WORDCOUNT_TEST_RABBITMQ
#define WordcountJob RabbitMqWordcountJob
std::string broker_url() { return testkit::infra_url("rabbitmq"); }
#else
#define WordcountJob MemoryWordcountJob
std::string broker_url() { return "memory://"; }
#endif

std::filesystem::path write_text(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / fmt::format("scalelab-wc-{}-{}.txt", ::getpid(), name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

class WordcountJob : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = mq::open_broker(broker_url());
    ASSERT_TRUE(b) << b.error().message;
    broker = std::move(*b);
    ASSERT_TRUE(declare_topology(*broker));
  }
  std::unique_ptr<mq::Broker> broker;
};

TEST_F(WordcountJob, ResultEqualsASingleProcessCountExactly) {
  std::string text = generate_zipf_text(300'000, 21) + "\nDon't 'quote' O'Neil's x--y 42nd\n";
  auto input = write_text("exact", text);
  auto cluster = LocalCluster::start(*broker, 3);
  ASSERT_TRUE(cluster) << cluster.error().message;
  auto r = run_job(*broker, {.input = input, .chunk_bytes = 7'000, .timeout = 60s});
  ASSERT_TRUE(r) << r.error().message;
  auto expected = count_words(text);
  EXPECT_EQ(r->counts, expected);
  EXPECT_EQ(r->total_words, total_words(expected));
  EXPECT_EQ(r->unique_words, expected.size());
  EXPECT_EQ(r->chunks, static_cast<int>(split_chunks(text, 7'000).size()));
  EXPECT_EQ(r->input_bytes, text.size());
  std::filesystem::remove(input);
}

TEST_F(WordcountJob, TwoJobsAtOnceNeverMix) {
  auto a = write_text("mix-a", generate_zipf_text(100'000, 1));
  auto b = write_text("mix-b", "lonely words only here here\n");
  auto cluster = LocalCluster::start(*broker, 2);
  ASSERT_TRUE(cluster);
  auto fa = std::async(std::launch::async, [&] { return run_job(*broker, {.input = a, .chunk_bytes = 5'000, .timeout = 60s}); });
  auto fb = std::async(std::launch::async, [&] { return run_job(*broker, {.input = b, .chunk_bytes = 8, .timeout = 60s}); });
  auto ra = fa.get();
  auto rb = fb.get();
  ASSERT_TRUE(ra) << ra.error().message;
  ASSERT_TRUE(rb) << rb.error().message;
  EXPECT_EQ(ra->counts, count_words(generate_zipf_text(100'000, 1)));
  EXPECT_EQ(rb->counts, count_words("lonely words only here here\n"));
  std::filesystem::remove(a);
  std::filesystem::remove(b);
}

TEST_F(WordcountJob, ARedeliveredChunkIsCountedOnce) {
  std::string text = generate_zipf_text(40'000, 9);
  auto input = write_text("dup", text);
  // A mapper that publishes its partial and then "dies" before acking (it
  // requeues), once per chunk: every partial reaches the reducer twice.
  std::mutex m;
  std::set<std::string> seen_once;
  auto flaky = broker->subscribe(kChunksQueue, {.prefetch = 1}, [&](const mq::Delivery& d) {
    mq::Message partial{.routing_key = "partial", .body = encode_counts(count_words(d.body))};
    partial.headers = {{"job", d.headers.at("job")}, {"type", "partial"}, {"chunk", d.headers.at("chunk")},
                       {"chunks", d.headers.at("chunks")}};
    if (!broker->publish(kPartialsExchange, partial)) return mq::Outcome::kRequeue;
    std::lock_guard lock(m);
    return seen_once.insert(d.headers.at("job") + "/" + d.headers.at("chunk")).second ? mq::Outcome::kRequeue
                                                                                        : mq::Outcome::kAck;
  });
  ASSERT_TRUE(flaky);
  auto splitter = Splitter::start(*broker);
  auto reducer = Reducer::start(*broker);
  ASSERT_TRUE(splitter);
  ASSERT_TRUE(reducer);
  auto r = run_job(*broker, {.input = input, .chunk_bytes = 4'000, .timeout = 60s});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->counts, count_words(text));
  EXPECT_GE(r->redelivered_chunks, 1);
  std::filesystem::remove(input);
}

TEST_F(WordcountJob, AChunkThatKeepsFailingFailsTheJobNamingIt) {
  auto input = write_text("poison", generate_zipf_text(30'000, 4));
  auto cluster = LocalCluster::start(*broker, 2, {.fail_chunk = 2});
  ASSERT_TRUE(cluster);
  auto r = run_job(*broker, {.input = input, .chunk_bytes = 5'000, .timeout = 60s});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInternal);
  EXPECT_NE(r.error().message.find("chunk 2 of"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("dead-letter"), std::string::npos) << r.error().message;
  std::filesystem::remove(input);
}

TEST_F(WordcountJob, AMissingInputIsReportedNotHung) {
  auto r = run_job(*broker, {.input = "/nonexistent/scalelab.txt", .timeout = 30s});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
}

TEST_F(WordcountJob, AnEmptyFileCountsZeroWords) {
  auto input = write_text("empty", "");
  auto cluster = LocalCluster::start(*broker, 1);
  ASSERT_TRUE(cluster);
  auto r = run_job(*broker, {.input = input, .timeout = 30s});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->total_words, 0u);
  EXPECT_EQ(r->chunks, 0);
  std::filesystem::remove(input);
}

}  // namespace
}  // namespace scalelab::wordcount
