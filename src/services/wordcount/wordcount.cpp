#include "services/wordcount/wordcount.h"

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.h"

namespace scalelab::wordcount {
namespace {

constexpr const char* kJobsExchange = "wordcount.jobs";
constexpr const char* kJobsQueue = "wordcount.jobs";
constexpr const char* kChunksExchange = "wordcount.chunks";
constexpr const char* kDeadExchange = "wordcount.dead";
constexpr const char* kDeadQueue = "wordcount.chunks.dead";
constexpr const char* kPartialsQueue = "wordcount.partials";
constexpr const char* kResultsExchange = "wordcount.results";

// Wall-clock ms since the epoch: phases are timed across processes on one machine.
double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string header(const mq::Delivery& d, const std::string& key) {
  auto it = d.headers.find(key);
  return it == d.headers.end() ? std::string() : it->second;
}

long long header_int(const mq::Delivery& d, const std::string& key, long long fallback = -1) {
  auto v = header(d, key);
  if (v.empty()) return fallback;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    return fallback;
  }
}

double header_double(const mq::Delivery& d, const std::string& key) {
  auto v = header(d, key);
  try {
    return v.empty() ? 0 : std::stod(v);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string fmt_ms(double v) { return fmt::format("{:.3f}", v); }

Result<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error{ErrorKind::kInvalidInput, fmt::format("cannot read input '{}'", p.string())};
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

}  // namespace

Status declare_topology(mq::Broker& broker) {
  mq::Topology t;
  t.exchanges = {{kJobsExchange, mq::ExchangeType::kDirect},
                 {kChunksExchange, mq::ExchangeType::kDirect},
                 {kDeadExchange, mq::ExchangeType::kFanout},
                 {kPartialsExchange, mq::ExchangeType::kDirect},
                 {kResultsExchange, mq::ExchangeType::kTopic}};
  t.queues = {{kJobsQueue},
              {kChunksQueue, kDeadExchange, "", kMaxChunkDeliveries},
              {kDeadQueue},
              {kPartialsQueue}};
  t.bindings = {{kJobsQueue, kJobsExchange, "job"},
                {kChunksQueue, kChunksExchange, "chunk"},
                {kDeadQueue, kDeadExchange, ""},
                {kPartialsQueue, kPartialsExchange, "partial"}};
  return broker.declare(t);
}

// ---- splitter ----

Result<std::unique_ptr<Splitter>> Splitter::start(mq::Broker& broker) {
  auto s = std::make_unique<Splitter>();
  auto sub = broker.subscribe(kJobsQueue, {.prefetch = 1, .concurrency = 1}, [&broker](const mq::Delivery& d) {
    const std::string job = header(d, "job");
    if (job.empty()) return mq::Outcome::kReject;
    const double started = now_ms();
    auto announce = [&](int chunks, std::uint64_t bytes, const std::string& error) {
      mq::Message m{.routing_key = "partial"};
      m.headers = {{"job", job}, {"type", "announce"}, {"chunks", std::to_string(chunks)},
                   {"bytes", std::to_string(bytes)}, {"split_done_at", fmt_ms(now_ms())},
                   {"split_ms", fmt_ms(now_ms() - started)}};
      if (!error.empty()) m.headers["error"] = error;
      return broker.publish(kPartialsExchange, std::move(m));
    };
    auto text = read_file(d.body);
    if (!text) {
      return announce(0, 0, text.error().message) ? mq::Outcome::kAck : mq::Outcome::kRequeue;
    }
    auto chunk_bytes = static_cast<std::size_t>(std::max(1LL, header_int(d, "chunk_bytes", 1 << 20)));
    auto pieces = split_chunks(*text, chunk_bytes);
    const int n = static_cast<int>(pieces.size());
    std::vector<mq::Message> chunks;
    chunks.reserve(pieces.size());
    for (int i = 0; i < n; ++i) {
      mq::Message m{.routing_key = "chunk", .body = std::string(pieces[static_cast<std::size_t>(i)])};
      m.headers = {{"job", job}, {"chunk", std::to_string(i)}, {"chunks", std::to_string(n)}};
      chunks.push_back(std::move(m));
    }
    if (auto st = broker.publish_batch(kChunksExchange, std::move(chunks)); !st) {
      // Republishing the whole job is safe: the reducer counts each chunk once.
      spdlog::warn("splitter: job {}: {}; will retry", job, st.error().message);
      return mq::Outcome::kRequeue;
    }
    spdlog::debug("splitter: job {}: {} bytes in {} chunks", job, text->size(), n);
    return announce(n, text->size(), "") ? mq::Outcome::kAck : mq::Outcome::kRequeue;
  });
  if (!sub) return sub.error();
  s->sub_ = std::move(*sub);
  return s;
}

// ---- mapper ----

Result<std::unique_ptr<Mapper>> Mapper::start(mq::Broker& broker, MapperOptions options) {
  auto m = std::make_unique<Mapper>();
  int threads = std::max(1, options.threads);
  auto sub = broker.subscribe(
      kChunksQueue, {.prefetch = static_cast<std::uint16_t>(threads), .concurrency = threads},
      [&broker, options](const mq::Delivery& d) {
        const std::string job = header(d, "job");
        const auto chunk = header_int(d, "chunk");
        if (job.empty() || chunk < 0) return mq::Outcome::kReject;
        if (options.fail_chunk && *options.fail_chunk == chunk) {
          spdlog::info("mapper: failing chunk {} of job {} on purpose (delivery {})", chunk, job, d.delivery_count);
          return mq::Outcome::kRequeue;
        }
        // Which chunks a mapper held, and which came again (fault tests read it).
        spdlog::debug("mapper: job {} chunk {} delivery {}: counting", job, chunk, d.delivery_count);
        const double started = now_ms();
        if (options.chunk_delay.count() > 0) std::this_thread::sleep_for(options.chunk_delay);
        Counts counts = count_words(d.body);
        mq::Message partial{.routing_key = "partial", .body = encode_counts(counts)};
        partial.headers = {{"job", job}, {"type", "partial"}, {"chunk", std::to_string(chunk)},
                           {"chunks", header(d, "chunks")}, {"map_ms", fmt_ms(now_ms() - started)}};
        // Ack the chunk only once its partial is safely with the broker.
        if (auto st = broker.publish(kPartialsExchange, std::move(partial)); !st) {
          spdlog::warn("mapper: job {} chunk {}: {}; requeueing", job, chunk, st.error().message);
          return mq::Outcome::kRequeue;
        }
        return mq::Outcome::kAck;
      });
  if (!sub) return sub.error();
  m->sub_ = std::move(*sub);
  return m;
}

// ---- reducer ----

struct Reducer::State {
  struct Job {
    int chunks = -1;  // unknown until announced
    std::set<long long> seen;
    Counts counts;
    std::uint64_t bytes = 0;
    double split_done_at = 0, last_partial_at = 0, busy_ms = 0, split_ms = 0;
    int duplicates = 0;
    std::string error;
  };
  mq::Broker* broker = nullptr;
  std::mutex mutex;  // guards jobs and finished
  std::unordered_map<std::string, Job> jobs;
  std::unordered_set<std::string> finished;

  // Publishes the result when the job is complete or failed. REQUIRES: mutex held.
  Status maybe_finish(const std::string& id, Job& job) {
    bool complete = job.chunks >= 0 && static_cast<int>(job.seen.size()) == job.chunks;
    if (!complete && job.error.empty()) return {};
    mq::Message m{.routing_key = id};
    m.headers = {{"job", id},
                 {"status", job.error.empty() ? "ok" : "failed"},
                 {"chunks", std::to_string(job.chunks)},
                 {"bytes", std::to_string(job.bytes)},
                 {"split_done_at", fmt_ms(job.split_done_at)},
                 {"last_partial_at", fmt_ms(job.last_partial_at > 0 ? job.last_partial_at : now_ms())},
                 {"mapper_busy_ms", fmt_ms(job.busy_ms)},
                 {"duplicates", std::to_string(job.duplicates)}};
    if (job.error.empty()) m.body = encode_counts(job.counts);
    else m.headers["error"] = job.error;
    if (auto s = broker->publish(kResultsExchange, std::move(m)); !s) return s;
    finished.insert(id);
    jobs.erase(id);
    return {};
  }
};

Result<std::unique_ptr<Reducer>> Reducer::start(mq::Broker& broker) {
  auto r = std::make_unique<Reducer>();
  r->state_ = std::make_shared<State>();
  r->state_->broker = &broker;
  auto state = r->state_;
  auto partials = broker.subscribe(kPartialsQueue, {.prefetch = 32, .concurrency = 1}, [state](const mq::Delivery& d) {
    const std::string id = header(d, "job");
    if (id.empty()) return mq::Outcome::kReject;
    std::lock_guard lock(state->mutex);
    if (state->finished.contains(id)) return mq::Outcome::kAck;  // a late duplicate
    auto& job = state->jobs[id];
    if (header(d, "type") == "announce") {
      job.chunks = static_cast<int>(header_int(d, "chunks", 0));
      job.bytes = static_cast<std::uint64_t>(header_int(d, "bytes", 0));
      job.split_done_at = header_double(d, "split_done_at");
      job.split_ms = header_double(d, "split_ms");
      if (!header(d, "error").empty()) job.error = header(d, "error");
    } else {
      long long chunk = header_int(d, "chunk");
      if (chunk < 0) return mq::Outcome::kReject;
      if (job.chunks < 0) job.chunks = static_cast<int>(header_int(d, "chunks", -1));
      if (job.seen.insert(chunk).second) {
        merge_counts(job.counts, d.body);
        job.busy_ms += header_double(d, "map_ms");
        job.last_partial_at = now_ms();
      } else {
        ++job.duplicates;
      }
    }
    // The announce carries the authoritative count; until then a partial's
    // count lets us finish only if the announce arrives (checked below).
    if (!job.error.empty() || job.split_done_at > 0) {
      if (auto s = state->maybe_finish(id, job); !s) {
        spdlog::warn("reducer: job {}: cannot publish the result: {}", id, s.error().message);
        return mq::Outcome::kRequeue;
      }
    }
    return mq::Outcome::kAck;
  });
  if (!partials) return partials.error();
  r->partials_ = std::move(*partials);
  auto dead = broker.subscribe(kDeadQueue, {.prefetch = 8, .concurrency = 1}, [state](const mq::Delivery& d) {
    const std::string id = header(d, "job");
    std::lock_guard lock(state->mutex);
    if (id.empty() || state->finished.contains(id)) return mq::Outcome::kAck;
    auto& job = state->jobs[id];
    long long chunk = header_int(d, "chunk");
    if (job.seen.contains(chunk)) return mq::Outcome::kAck;  // it succeeded after all
    job.error = fmt::format("chunk {} of {} failed {} times and was dead-lettered to {}", chunk,
                            header(d, "chunks"), kMaxChunkDeliveries, kDeadQueue);
    if (auto s = state->maybe_finish(id, job); !s) return mq::Outcome::kRequeue;
    return mq::Outcome::kAck;
  });
  if (!dead) return dead.error();
  r->dead_ = std::move(*dead);
  return r;
}

void Reducer::stop() {
  partials_.reset();
  dead_.reset();
}

Reducer::~Reducer() { stop(); }

// ---- client ----

Result<JobResult> run_job(mq::Broker& broker, const JobOptions& options) {
  std::error_code ec;
  auto size = std::filesystem::file_size(options.input, ec);
  if (ec) return Error{ErrorKind::kInvalidInput, fmt::format("cannot read input '{}': {}", options.input.string(), ec.message())};
  std::size_t chunk = options.chunk_bytes;
  if (chunk == 0) {
    // A multiple of the mapper count, each chunk at most 1 MiB, so mappers
    // get even shares (3 mappers, 160 KB: 3 chunks).
    const auto m = static_cast<std::size_t>(std::max(1, options.mappers));
    const std::size_t per_mapper = (size + m - 1) / m;
    const std::size_t rounds = std::max<std::size_t>(1, (per_mapper + (1 << 20) - 1) >> 20);
    chunk = std::max<std::size_t>(1, (size + m * rounds - 1) / (m * rounds));
  }
  std::string job = options.job_id;
  if (job.empty()) {
    assign_random_hex_id(job);
    job = "job-" + job;
  }
  if (auto s = declare_topology(broker); !s) return s.error();
  const std::string reply_queue = "wordcount.result." + job;
  mq::Topology reply;
  reply.queues = {{.name = reply_queue, .auto_delete = true}};
  reply.bindings = {{reply_queue, kResultsExchange, job}};
  if (auto s = broker.declare(reply); !s) return s.error();

  std::mutex mutex;
  std::condition_variable cv;
  std::optional<mq::Delivery> result;
  double received_at = 0;
  auto sub = broker.subscribe(reply_queue, {}, [&](const mq::Delivery& d) {
    std::lock_guard lock(mutex);
    if (!result && header(d, "job") == job) {
      result = d;
      received_at = now_ms();
      cv.notify_all();
    }
    return mq::Outcome::kAck;
  });
  if (!sub) return sub.error();

  const double started = now_ms();
  mq::Message request{.routing_key = "job", .body = std::filesystem::absolute(options.input).string()};
  request.headers = {{"job", job}, {"chunk_bytes", std::to_string(chunk)}};
  if (auto s = broker.publish(kJobsExchange, std::move(request)); !s) return s.error();
  {
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, options.timeout, [&] { return result.has_value(); })) {
      return Error{ErrorKind::kTimeout, fmt::format("job {} did not finish within {} ms (are the splitter, mappers and "
                                                    "reducer running on this broker?)",
                                                    job, options.timeout.count())};
    }
  }
  sub->reset();
  const auto& d = *result;
  if (header(d, "status") != "ok") {
    return Error{ErrorKind::kInternal, fmt::format("job {} failed: {}", job, header(d, "error"))};
  }
  auto counts = decode_counts(d.body);
  if (!counts) return counts.error();
  JobResult r;
  r.job_id = job;
  r.counts = std::move(*counts);
  r.total_words = total_words(r.counts);
  r.unique_words = r.counts.size();
  r.input_bytes = static_cast<std::uint64_t>(header_int(d, "bytes", 0));
  r.chunks = static_cast<int>(header_int(d, "chunks", 0));
  double split_done = header_double(d, "split_done_at");
  double last_partial = header_double(d, "last_partial_at");
  r.split_ms = std::max(0.0, split_done - started);
  r.map_ms = std::max(0.0, last_partial - split_done);
  r.reduce_ms = std::max(0.0, received_at - last_partial);
  r.total_ms = received_at - started;
  r.mapper_busy_ms = header_double(d, "mapper_busy_ms");
  r.redelivered_chunks = static_cast<int>(header_int(d, "duplicates", 0));
  return r;
}

// ---- local cluster ----

Result<std::unique_ptr<LocalCluster>> LocalCluster::start(mq::Broker& broker, int mappers, MapperOptions options) {
  if (auto s = declare_topology(broker); !s) return s.error();
  auto c = std::make_unique<LocalCluster>();
  auto reducer = Reducer::start(broker);
  if (!reducer) return reducer.error();
  c->reducer_ = std::move(*reducer);
  for (int i = 0; i < mappers; ++i) {
    auto m = Mapper::start(broker, options);
    if (!m) return m.error();
    c->mappers_.push_back(std::move(*m));
  }
  auto splitter = Splitter::start(broker);
  if (!splitter) return splitter.error();
  c->splitter_ = std::move(*splitter);
  return c;
}

LocalCluster::~LocalCluster() {
  splitter_.reset();
  mappers_.clear();
  reducer_.reset();
}

}  // namespace scalelab::wordcount
