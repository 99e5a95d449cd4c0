// A load scenario: who the virtual users are (weighted tasks, each a sequence
// of templated HTTP requests with checks and captures), how long they wait,
// and how load arrives (closed model: users; open model: arrival rate).
// Read from YAML (docs/load.md) or built in code by an experiment.
// Thread-safety: a Scenario is a value; the engine only reads it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/message.h"
#include "load/template.h"
#include "load/threshold.h"

namespace scalelab::load {

using Micros = std::chrono::microseconds;

struct Capture {
  std::string var;        // the variable name, read back as {{var}}
  std::string json_path;  // dotted path in the JSON body: "id", "items.0.id"
};

struct RequestSpec {
  std::string name;  // the statistics row; default "METHOD path" (the path template)
  http::Method method = http::Method::kGet;
  Template path;     // path and query, starting with '/'
  Template body;
  std::string content_type;  // sent when non-empty (json: sets application/json)
  std::vector<std::pair<std::string, Template>> headers;
  std::vector<unsigned> expect;  // accepted statuses; empty: any 2xx or 3xx
  std::vector<Capture> captures;
  int line = 0;  // in the scenario file, for messages
};

struct TaskSpec {
  std::string name;
  unsigned weight = 1;
  std::vector<RequestSpec> requests;  // run in order; a failure ends the iteration
};

struct WaitSpec {
  enum class Kind { kNone, kConstant, kBetween, kPacing } kind = Kind::kNone;
  Micros a{0}, b{0};  // constant/pacing: a; between: [a, b]
};

// A step of a staged profile: move linearly from the previous target to
// `target` over `duration` (k6 stages; Locust shapes).
struct Stage {
  Micros duration{0};
  double target = 0;  // users (closed) or arrivals per second (open)
};

enum class Model { kClosed, kOpen };
enum class ClientKind {
  kFast,     // keep-alive, async, one io_context per thread (the lean client)
  kSimple,   // a new connection per request, one OS thread per user
  kRuntime,  // src/http's http::Client (keep-alive, async), for comparison
};
std::string_view to_string(ClientKind k);
std::string_view to_string(Model m);

struct Scenario {
  std::string name = "load";
  std::string host;  // base URL: http://HOST:PORT (a path prefix is allowed)
  std::vector<TaskSpec> tasks;
  WaitSpec wait;
  Model model = Model::kClosed;
  // Closed model: `users` spawned at `spawn_rate` per second (0: all at once),
  // or `stages` of user targets when non-empty.
  unsigned users = 1;
  double spawn_rate = 0;
  // Open model: `rate` task iterations per second, or `stages` of rates;
  // at most `max_in_flight` iterations at once (arrivals beyond wait and
  // start late; their latency counts from the intended start).
  double rate = 0;
  unsigned max_in_flight = 1000;
  std::vector<Stage> stages;
  // Bounds: at least one of them is set (a run always stops by itself).
  Micros duration{0};             // 0: none (then max_requests must be set)
  std::uint64_t max_requests = 0;  // 0: none
  Micros timeout{10'000'000};      // per request, connect included
  ClientKind client = ClientKind::kFast;
  unsigned threads = 1;  // generator threads for fast/runtime clients
  std::uint64_t seed = 0;  // 0: random
  // Pass/fail rules evaluated when the run ends (the file's `thresholds:`,
  // then --threshold); every name must be a request's name.
  std::vector<Threshold> thresholds;
  std::string source;  // file name, for messages
};

// Every request's statistics row name, in scenario order (with repeats).
std::vector<std::string> request_names(const Scenario& s);

// Reads a scenario file. Errors name the file, the line and what is wrong:
// "albums.yaml:12: tasks[0].weight: expected a positive integer, got 'x'".
Result<Scenario> load_scenario_file(const std::filesystem::path& file);
// The same from text; `source` names it in messages.
Result<Scenario> parse_scenario(std::string_view yaml, std::string_view source = "scenario");

// Checks a whole scenario (a host, bounds so the run stops by itself, the
// model's settings, thresholds naming requests that exist). run() calls it
// after command-line overrides are applied.
Status validate(const Scenario& s);

// The quick mode: GET one URL (`scalelab load --url URL --users N`).
Result<Scenario> quick_scenario(std::string_view url);

}  // namespace scalelab::load
