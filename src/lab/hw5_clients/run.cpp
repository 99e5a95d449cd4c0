#include "lab/hw5_clients/hw5_clients.h"

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "lab/live.h"
#include "lab/local_albums.h"
#include "load/engine.h"
#include "load/output.h"

namespace scalelab::lab {

namespace {

// The fast client's rate must beat the simple one's by more than this factor
// before the page calls the simple client the limit: below it, the two are
// within run-to-run noise.
constexpr double kClearlyFaster = 1.15;

load::Template compiled(const std::string& text) {
  auto t = load::Template::compile(text);
  if (!t) throw std::logic_error(t.error().message);
  return std::move(*t);
}

// Each request's bound: far above any loopback answer, so only a hung server times out.
constexpr std::chrono::seconds kRequestTimeout{10};

}  // namespace

load::Scenario albums_mix_scenario(const std::string& host, unsigned users, std::chrono::milliseconds duration,
                                   load::ClientKind client, const std::string& id_prefix) {
  load::Scenario s;
  s.name = fmt::format("albums GET:POST 3:1, {} users, {}", users, load::to_string(client));
  s.host = host;
  s.users = users;
  s.duration = duration;
  s.client = client;
  s.timeout = kRequestTimeout;
  load::TaskSpec get;
  get.name = "get album";
  get.weight = 3;
  load::RequestSpec g;
  g.name = "GET /albums/{id}";
  g.path = compiled("/albums/{{randint 1 3}}");
  g.expect = {200};
  get.requests.push_back(std::move(g));
  load::TaskSpec post;
  post.name = "post album";
  post.weight = 1;
  load::RequestSpec p;
  p.name = "POST /albums";
  p.method = http::Method::kPost;
  p.path = compiled("/albums");
  p.content_type = "application/json";
  p.body = compiled("{\"id\":\"" + id_prefix + R"(-{{seq}}","title":"Load Test","artist":"scalelab","price":{{randint 1 99}}.99})");
  p.expect = {201};
  post.requests.push_back(std::move(p));
  s.tasks = {std::move(get), std::move(post)};
  return s;
}

namespace {

std::string why(const load::Report& simple, const load::Report& fast, double ratio) {
  if (!simple.check.trustworthy && fast.check.trustworthy)
    return "the simple client was the bottleneck: its threads were CPU-bound opening a connection per request, "
           "while the fast client had CPU to spare";
  if (!simple.check.trustworthy && !fast.check.trustworthy)
    return "both generators were CPU-bound, so both measured themselves as much as the server";
  if (ratio < kClearlyFaster)
    return "neither client was the limit: each user spends its time waiting (for the answer and its think time), "
           "so the server's latency, the think time and the number of users, not the client, set the rate — this "
           "is why many saw no difference";
  return "the simple client's cost per request (a TCP connect and close each time, a thread switch per user) "
         "limited the rate before the server did";
}

Result<load::Report> run_one(const std::string& host, unsigned users, load::ClientKind client,
                             const Hw5ClientsOptions& options) {
  const bool tty = options.progress && isatty(STDERR_FILENO);
  // Album ids unique to this run, so that POSTs never collide (409).
  auto scenario = albums_mix_scenario(host, users, options.duration, client,
                                      fmt::format("{}-{}-{}", load::to_string(client), users, ::getpid()));
  if (options.wait.count() > 0) scenario.wait = {load::WaitSpec::Kind::kConstant, options.wait};
  load::RunOptions ro;
  if (options.progress)
    ro.on_progress = [tty, users, client](const load::Progress& p) {
      std::fprintf(stderr, "%shw5-clients %-6s %3u users %s%s", tty ? "\r" : "",
                   std::string(load::to_string(client)).c_str(), users, load::progress_line(p).c_str(),
                   tty ? "  " : "\n");
      std::fflush(stderr);
    };
  live_phase(options.live, fmt::format("{} client, {} users", load::to_string(client), users));
  watch(options.live, ro);
  auto r = load::run(scenario, ro);
  if (tty) std::fprintf(stderr, "\n");
  if (!r) return r.error();
  if (r->aggregate.count == 0) return Error{ErrorKind::kUnavailable, "no request completed against " + host};
  if (r->aggregate.failures == r->aggregate.count) {
    const auto& reasons = r->requests.front().failures_by_reason;
    return Error{ErrorKind::kUnavailable, fmt::format("every request failed against {} ({})", host,
                                                      reasons.empty() ? std::string("?") : reasons.begin()->first)};
  }
  return std::move(*r);
}

}  // namespace

std::vector<std::string> compare_clients(const std::vector<Hw5ClientsRun>& runs) {
  std::vector<std::string> reading;
  for (std::size_t i = 0; i + 1 < runs.size(); i += 2) {
    const auto& simple = runs[i].report;
    const auto& fast = runs[i + 1].report;
    const double ratio = simple.rps() > 0 ? fast.rps() / simple.rps() : 0;
    reading.push_back(fmt::format(
        "{} users: fast {:.0f} req/s vs simple {:.0f} req/s ({:.2f}x); p50 {:.2f} vs {:.2f} ms; generator CPU "
        "{:.0f}% vs {:.0f}%. {}.",
        runs[i].users, fast.rps(), simple.rps(), ratio, fast.aggregate.quantile_ms(0.5),
        simple.aggregate.quantile_ms(0.5), 100 * fast.check.generator_busy, 100 * simple.check.generator_busy,
        why(simple, fast, ratio)));
  }
  return reading;
}

Result<Hw5ClientsResult> run_hw5_clients(const Hw5ClientsOptions& options) {
  std::optional<LocalAlbums> local;
  Hw5ClientsResult result;
  result.host = options.url;
  if (result.host.empty()) {
    local.emplace();
    result.host = local->base_url();
  }
  result.duration = options.duration;
  result.wait = options.wait;
  for (unsigned users : options.users) {
    for (auto client : {load::ClientKind::kSimple, load::ClientKind::kFast}) {
      if (live_stopped(options.live)) break;
      auto r = run_one(result.host, users, client, options);
      if (!r) return r.error();
      result.runs.push_back({client, users, std::move(*r)});
    }
  }
  result.reading = compare_clients(result.runs);
  return result;
}

}  // namespace scalelab::lab
