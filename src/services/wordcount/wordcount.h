// hw4: MapReduce word count over the message bus. Three services that talk
// only through the Broker, plus a client that runs one job:
//   client   --job request-->  wordcount.jobs     --> splitter
//   splitter --chunk i of n--> wordcount.chunks   --> mappers (any number)
//   splitter --announce n---->  wordcount.partials --> reducer
//   mapper   --partial i----->  wordcount.partials --> reducer
//   reducer  --result-------->  wordcount.results (topic, key = job id) --> client
// Every message carries the job id (header "job"), so jobs never mix. A
// mapper acks its chunk only after its partial is confirmed, so a mapper that
// dies mid-chunk loses nothing: the chunk is redelivered to another mapper.
// The reducer counts each chunk once (by chunk index), however often it
// arrives. A chunk delivered kMaxChunkDeliveries times without success is
// dead-lettered to wordcount.chunks.dead; the reducer reads that queue and
// fails the job naming the chunk, instead of waiting forever.
// The splitter reads the input file by path: all services run on one machine
// (or share the file system).
// Thread-safety: each component owns its subscriptions; stop() or the
// destructor closes them. The Broker must outlive the components.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "mq/broker.h"
#include "services/wordcount/words.h"

namespace scalelab::wordcount {

inline constexpr int kMaxChunkDeliveries = 5;
inline constexpr const char* kChunksQueue = "wordcount.chunks";
inline constexpr const char* kPartialsExchange = "wordcount.partials";

// Declares every exchange and queue the services use (idempotent).
Status declare_topology(mq::Broker& broker);

class Splitter {
 public:
  // REQUIRES: declare_topology(broker) succeeded.
  static Result<std::unique_ptr<Splitter>> start(mq::Broker& broker);
  void stop() { sub_.reset(); }

 private:
  std::unique_ptr<mq::Subscription> sub_;
};

struct MapperOptions {
  int threads = 1;  // concurrent chunks in this mapper
  // Fault injection for tests and experiments: this chunk index always fails
  // (requeued, so it ends in the dead-letter queue).
  std::optional<int> fail_chunk;
  // Fault injection: time spent per chunk on top of counting (to kill a
  // mapper mid-chunk in the fault test).
  std::chrono::milliseconds chunk_delay{0};
};

class Mapper {
 public:
  static Result<std::unique_ptr<Mapper>> start(mq::Broker& broker, MapperOptions options = {});
  void stop() { sub_.reset(); }

 private:
  std::unique_ptr<mq::Subscription> sub_;
};

class Reducer {
 public:
  static Result<std::unique_ptr<Reducer>> start(mq::Broker& broker);
  void stop();
  ~Reducer();

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<mq::Subscription> partials_, dead_;
};

struct JobOptions {
  std::filesystem::path input;
  std::size_t chunk_bytes = 0;  // 0: a multiple of `mappers` chunks of at most 1 MiB
  int mappers = 1;              // only for the default chunk size
  std::chrono::milliseconds timeout{600'000};
  std::string job_id;  // empty: a fresh one
};

struct JobResult {
  std::string job_id;
  Counts counts;
  std::uint64_t total_words = 0;
  std::uint64_t unique_words = 0;
  std::uint64_t input_bytes = 0;
  int chunks = 0;
  // Phases (ms): split = request to the last chunk confirmed by the broker;
  // map = the end of splitting to the last partial at the reducer; reduce =
  // from there to the result at the client. Mapping overlaps splitting.
  double split_ms = 0, map_ms = 0, reduce_ms = 0, total_ms = 0;
  double mapper_busy_ms = 0;  // summed over chunks
  int redelivered_chunks = 0;  // partials that arrived for a chunk already counted
};

// Runs one job through the services listening on broker (which may live in
// other processes). Fails with kInternal naming the chunk when a chunk was
// dead-lettered, kTimeout after options.timeout, kInvalidInput when the
// input cannot be read.
Result<JobResult> run_job(mq::Broker& broker, const JobOptions& options);

// In one process: a splitter, `mappers` mappers (each its own subscription)
// and a reducer on broker, for the memory:// bus and quick runs.
class LocalCluster {
 public:
  static Result<std::unique_ptr<LocalCluster>> start(mq::Broker& broker, int mappers, MapperOptions options = {});
  ~LocalCluster();

 private:
  std::unique_ptr<Splitter> splitter_;
  std::vector<std::unique_ptr<Mapper>> mappers_;
  std::unique_ptr<Reducer> reducer_;
};

}  // namespace scalelab::wordcount
