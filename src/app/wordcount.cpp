// hw4 commands: `serve wordcount-splitter|wordcount-mapper|wordcount-reducer`,
// `wordcount INPUT` (one job end to end) and `wordcount-gen` (synthetic text).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "core/duration.h"
#include "http/server.h"
#include "report/output.h"
#include "infra/wordcount_cluster.h"
#include "mq/broker.h"
#include "obs/metrics.h"
#include "services/wordcount/wordcount.h"

namespace scalelab::app {
namespace {

struct ServeWordcount {
  std::string role;  // splitter, mapper, reducer
  http::ServerOptions server;
  std::string broker_url = "memory://";
  int threads = 1;
  int fail_chunk = -1;
  std::chrono::milliseconds chunk_delay{0};

  int run() const {
    auto broker = mq::open_broker(broker_url);
    if (!broker) {
      spdlog::error("wordcount-{}: {}", role, broker.error().message);
      return 2;
    }
    if (auto s = wordcount::declare_topology(**broker); !s) {
      spdlog::error("wordcount-{}: {}", role, s.error().message);
      return 2;
    }
    std::unique_ptr<wordcount::Splitter> splitter;
    std::unique_ptr<wordcount::Mapper> mapper;
    std::unique_ptr<wordcount::Reducer> reducer;
    Status started;
    if (role == "splitter") {
      auto s = wordcount::Splitter::start(**broker);
      if (s) splitter = std::move(*s);
      else started = s.error();
    } else if (role == "mapper") {
      wordcount::MapperOptions mo{.threads = threads, .chunk_delay = chunk_delay};
      if (fail_chunk >= 0) mo.fail_chunk = fail_chunk;
      auto m = wordcount::Mapper::start(**broker, mo);
      if (m) mapper = std::move(*m);
      else started = m.error();
    } else {
      auto r = wordcount::Reducer::start(**broker);
      if (r) reducer = std::move(*r);
      else started = r.error();
    }
    if (!started) {
      spdlog::error("wordcount-{}: {}", role, started.error().message);
      return 1;
    }
    // /health and /metrics, like every service.
    http::Router router;
    obs::Registry registry;
    http::Server http_server(server, router, registry);
    spdlog::info("wordcount-{}: running on the {} bus", role, mq::to_string((*broker)->kind()));
    http_server.run_until_signal();
    splitter.reset();
    mapper.reset();
    reducer.reset();
    return 0;
  }
};

struct WordcountArgs {
  std::string input;
  int mappers = 3;
  std::size_t chunk_size = 0;
  std::string broker_url = "memory://";
  std::string output;
  std::string services = "local";
  std::chrono::milliseconds timeout{600'000};
  int top = 20;

  bool plain = false;

  // The baseline: read and count in this thread, no bus.
  int run_plain() const {
    auto t = std::chrono::steady_clock::now();
    std::ifstream in(input, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto counts = wordcount::count_words(text);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    fmt::print("plain count: {} ({} bytes, one thread, no bus)\n", input, text.size());
    fmt::print("  total words   {}\n  unique words  {}\n", wordcount::total_words(counts), counts.size());
    fmt::print("  phases        total {:.1f} ms\n", ms);
    if (!output.empty()) {
      if (auto s = report::write_file(output, wordcount::counts_csv(counts)); !s) {
        spdlog::error("wordcount: {}", s.error().message);
        return 1;
      }
    }
    return 0;
  }

  int run() const {
    if (plain) return run_plain();
    auto broker = mq::open_broker(broker_url);
    if (!broker) {
      spdlog::error("wordcount: {}", broker.error().message);
      return 2;
    }
    std::unique_ptr<wordcount::LocalCluster> local;
    std::unique_ptr<infra::WordcountCluster> spawned;
    if (services == "local") {
      auto c = wordcount::LocalCluster::start(**broker, mappers);
      if (!c) {
        spdlog::error("wordcount: {}", c.error().message);
        return 1;
      }
      local = std::move(*c);
    } else if (services == "spawn") {
      if ((*broker)->kind() == mq::BrokerKind::kMemory) {
        spdlog::error("wordcount: --services spawn needs an amqp:// broker (processes cannot share memory://)");
        return 2;
      }
      auto c = infra::WordcountCluster::start(
          {.broker_url = broker_url, .mappers = mappers, .log_dir = std::filesystem::temp_directory_path() / "scalelab-wordcount"});
      if (!c) {
        spdlog::error("wordcount: {}", c.error().message);
        return 1;
      }
      spawned = std::move(*c);
    }
    auto result = wordcount::run_job(**broker, {.input = input, .chunk_bytes = chunk_size, .mappers = mappers,
                                                .timeout = timeout});
    if (!result) {
      spdlog::error("wordcount: {}", result.error().message);
      return result.error().kind == ErrorKind::kInvalidInput ? 2 : 1;
    }
    const auto& r = *result;
    fmt::print("job {}: {} ({} bytes, {} chunks, {} mappers, {} bus)\n", r.job_id, input, r.input_bytes, r.chunks,
               mappers, mq::to_string((*broker)->kind()));
    fmt::print("  total words   {}\n  unique words  {}\n", r.total_words, r.unique_words);
    fmt::print("  phases        split {:.1f} ms, map {:.1f} ms, reduce {:.1f} ms; total {:.1f} ms\n", r.split_ms,
               r.map_ms, r.reduce_ms, r.total_ms);
    fmt::print("  mapper busy   {:.1f} ms over all chunks; duplicate partials ignored: {}\n", r.mapper_busy_ms,
               r.redelivered_chunks);
    fmt::print("  top {}:\n", top);
    int rank = 1;
    for (const auto& [w, c] : wordcount::top_words(r.counts, static_cast<std::size_t>(top))) {
      fmt::print("  {:>4}. {:<20} {}\n", rank++, w, c);
    }
    if (!output.empty()) {
      if (auto s = report::write_file(output, wordcount::counts_csv(r.counts)); !s) {
        spdlog::error("wordcount: {}", s.error().message);
        return 1;
      }
      fmt::print("counts: {}\n", output);
    }
    return 0;
  }
};

struct GenArgs {
  std::string output;
  std::size_t bytes = 1 << 20;
  std::uint64_t seed = 1;
  std::size_t vocabulary = 20'000;

  int run() const {
    auto text = wordcount::generate_zipf_text(bytes, seed, vocabulary);
    if (auto s = report::write_file(output, text); !s) {
      spdlog::error("wordcount-gen: {}", s.error().message);
      return 1;
    }
    fmt::print("{}: {} bytes (seed {}, vocabulary {})\n", output, text.size(), seed, vocabulary);
    return 0;
  }
};

}  // namespace

void add_wordcount_serve(CLI::App& serve, int& exit_code) {
  for (const char* role : {"splitter", "mapper", "reducer"}) {
    auto args = std::make_shared<ServeWordcount>();
    args->role = role;
    args->server.port = 0;
    auto* cmd = serve.add_subcommand(
        fmt::format("wordcount-{}", role),
        std::string(role == std::string("splitter") ? "hw4: cut input files into chunks for the mappers"
                    : role == std::string("mapper") ? "hw4: count the words of chunks (run N of them)"
                                                     : "hw4: merge partial counts into each job's result"));
    add_server_options(*cmd, args->server);
    add_broker_option(*cmd, args->broker_url);
    if (role == std::string("mapper")) {
      add_flag_option(*cmd, "--concurrency", args->threads, "Chunks counted at once (handler threads)");
      cmd->add_option("--fail-chunk", args->fail_chunk, "Fault injection: always fail this chunk index");
      add_duration_option(*cmd, "--chunk-delay", args->chunk_delay, "Fault injection: extra time per chunk");
    }
    cmd->callback([args, &exit_code] { exit_code = args->run(); });
  }
}

void add_wordcount_commands(CLI::App& app, int& exit_code) {
  auto wc = std::make_shared<WordcountArgs>();
  auto* cmd = app.add_subcommand("wordcount", "hw4: count the words of a file with MapReduce over the message bus");
  cmd->add_option("input", wc->input, "Text file")->required()->check(CLI::ExistingFile);
  add_flag_option(*cmd, "--mappers", wc->mappers, "Mappers (in-process or spawned)")->check(CLI::Range(1, 256));
  add_flag_option(*cmd, "--chunk-size", wc->chunk_size, "Bytes per chunk (0: input size / mappers, at most 1 MiB)");
  add_broker_option(*cmd, wc->broker_url);
  add_flag_option(*cmd, "--output", wc->output, "Write all counts as CSV (word,count)");
  add_flag_option(*cmd, "--services", wc->services,
                  "local: run the services in this process; spawn: as child processes (amqp only); external: "
                  "already running")
      ->check(CLI::IsMember({"local", "spawn", "external"}));
  add_duration_option(*cmd, "--timeout", wc->timeout, "Give up on the job after this long");
  add_flag_option(*cmd, "--top", wc->top, "How many top words to print");
  cmd->add_flag("--plain", wc->plain, "Count in this thread without the bus (the baseline)");
  cmd->callback([wc, &exit_code] { exit_code = wc->run(); });

  auto gen = std::make_shared<GenArgs>();
  auto* g = app.add_subcommand("wordcount-gen", "hw4: write synthetic text (Zipf-distributed vocabulary, seedable)");
  g->add_option("output", gen->output, "File to write")->required();
  g->add_option("--bytes", gen->bytes, "Size (about)")->capture_default_str();
  g->add_option("--seed", gen->seed, "Random seed: the same seed gives the same text")->capture_default_str();
  g->add_option("--vocabulary", gen->vocabulary, "Distinct words to draw from")->capture_default_str();
  g->callback([gen, &exit_code] { exit_code = gen->run(); });
}

}  // namespace scalelab::app
