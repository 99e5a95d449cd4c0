// `scalelab faultproxy`: a fault-injecting TCP proxy in front of one upstream,
// with a JSON control API, and the commands that drive that API.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <memory>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "core/duration.h"
#include "core/host_port.h"
#include "faultproxy/faultproxy.h"
#include "http/client.h"
#include "http/server.h"

namespace scalelab::app {
namespace {

namespace json = boost::json;

struct RunArgs {
  std::uint16_t listen = 0;
  std::string upstream;
  std::uint16_t control_port = 0;
  std::vector<std::string> faults;  // JSON objects
};

struct ControlArgs {
  std::uint16_t control_port = 0;
  std::string type, name;
  double probability = 1.0;
  std::chrono::milliseconds latency{0}, jitter{0}, close_after{0};
  unsigned status = 503;
  unsigned retry_after = 0;
  std::uint64_t rate = 0;
};

int run_proxy(const RunArgs& a) {
  auto upstream = parse_host_port(a.upstream);
  if (!upstream) {
    spdlog::error("--upstream: {}", upstream.error().message);
    return 2;
  }
  faultproxy::FaultProxy proxy({.listen_port = a.listen,
                                .upstream_host = upstream->first,
                                .upstream_port = upstream->second});
  for (const auto& text : a.faults) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    auto fault = ec ? Result<faultproxy::Fault>(Error{ErrorKind::kInvalidInput, "not JSON: " + text})
                    : faultproxy::fault_from_json(value);
    if (fault) fault = proxy.add(*fault);
    if (!fault) {
      spdlog::error("--fault: {}", fault.error().message);
      return 2;
    }
  }
  // Signals are taken by sigwait below: block them before any thread starts
  // so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  proxy.start();
  http::Router router;
  proxy.register_control_routes(router);
  obs::Registry registry;
  http::ServerOptions so;
  so.address = "127.0.0.1";
  so.port = a.control_port;
  so.threads = 1;
  so.shutdown_grace = std::chrono::seconds(2);
  http::Server control(so, router, registry);
  control.start();
  std::printf("faultproxy listening on 127.0.0.1:%u -> %s, control API on 127.0.0.1:%u\n", proxy.port(),
              a.upstream.c_str(), control.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: stopping the fault proxy", sig);
  control.stop();
  control.wait();
  proxy.stop();
  return 0;
}

int control_call(std::uint16_t port, http::ClientRequest request) {
  if (port == 0) {
    std::fprintf(stderr, "--control-port is required\n");
    return 2;
  }
  http::BlockingClient client({.host = "127.0.0.1", .port = port});
  auto r = client.send(std::move(request), std::chrono::seconds(5));
  if (!r) {
    std::fprintf(stderr, "faultproxy control 127.0.0.1:%u: %s\n", port, r.error().message.c_str());
    return 1;
  }
  if (!r->body.empty()) std::printf("%s\n", r->body.c_str());
  return r->status < 300 ? 0 : 1;
}

void add_control_port(CLI::App& cmd, ControlArgs& a) {
  cmd.add_option("--control-port", a.control_port, "The proxy's control API port on 127.0.0.1")->required();
}

}  // namespace

void add_faultproxy_commands(CLI::App& app, int& exit_code) {
  auto* fp = app.add_subcommand(
      "faultproxy",
      "A TCP proxy that injects faults (latency, HTTP errors, resets, hangs, bandwidth, down) into one upstream;\n"
      "runs until Ctrl-C. Its subcommands add and remove faults at run time through the control API.");
  fp->require_subcommand(0, 1);
  auto run = std::make_shared<RunArgs>();
  add_flag_option(*fp, "--listen", run->listen, "Port on 127.0.0.1 to proxy from (0: pick one)");
  add_flag_option(*fp, "--upstream", run->upstream, "HOST:PORT of the upstream (loopback only)");
  add_flag_option(*fp, "--control-port", run->control_port, "Port on 127.0.0.1 for the JSON control API (0: pick one)");
  fp->add_option("--fault", run->faults,
                 R"(A fault to start with, as JSON, e.g. '{"type":"latency","latency_ms":200}' (repeatable))");
  fp->callback([fp, run, &exit_code] {
    if (!fp->get_subcommands().empty()) return;
    if (run->upstream.empty()) {
      std::fprintf(stderr, "faultproxy: --upstream HOST:PORT is required\n");
      exit_code = 2;
      return;
    }
    exit_code = run_proxy(*run);
  });

  auto add_args = std::make_shared<ControlArgs>();
  auto* add = fp->add_subcommand("add", "Add a fault to a running proxy");
  add_control_port(*add, *add_args);
  add->add_option("--type", add_args->type, "latency, http_error, reset, hang, bandwidth or down")
      ->required()
      ->check(CLI::IsMember({"latency", "http_error", "reset", "hang", "bandwidth", "down"}));
  add->add_option("--name", add_args->name, "Unique name (default: the type)");
  add->add_option("--probability", add_args->probability, "Chance per request/connection, 0..1")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  add_duration_option(*add, "--latency", add_args->latency, "latency: added delay");
  add_duration_option(*add, "--jitter", add_args->jitter, "latency: +- uniform jitter");
  add->add_option("--status", add_args->status, "http_error: status to answer with")->capture_default_str();
  add->add_option("--retry-after", add_args->retry_after, "http_error: Retry-After seconds (0: none)");
  add_duration_option(*add, "--close-after", add_args->close_after, "hang: close after this long (0: never)");
  add->add_option("--rate", add_args->rate, "bandwidth: bytes per second");
  add->callback([add_args, &exit_code] {
    const auto& a = *add_args;
    json::object o{{"type", a.type}, {"probability", a.probability}};
    if (!a.name.empty()) o["name"] = a.name;
    if (a.type == "latency") {
      o["latency_ms"] = a.latency.count();
      o["jitter_ms"] = a.jitter.count();
    }
    if (a.type == "http_error") {
      o["status"] = a.status;
      o["retry_after_s"] = a.retry_after;
    }
    if (a.type == "hang") o["close_after_ms"] = a.close_after.count();
    if (a.type == "bandwidth") o["rate_bytes_per_second"] = a.rate;
    exit_code = control_call(a.control_port, {.method = http::Method::kPost,
                                              .target = "/faults",
                                              .body = json::serialize(o),
                                              .content_type = "application/json"});
  });

  auto remove_args = std::make_shared<ControlArgs>();
  auto* remove = fp->add_subcommand("remove", "Remove a fault by name");
  add_control_port(*remove, *remove_args);
  remove->add_option("name", remove_args->name, "The fault's name")->required();
  remove->callback([remove_args, &exit_code] {
    exit_code = control_call(remove_args->control_port,
                             {.method = http::Method::kDelete, .target = "/faults/" + remove_args->name});
  });

  auto list_args = std::make_shared<ControlArgs>();
  auto* list = fp->add_subcommand("list", "Print the active faults as JSON");
  add_control_port(*list, *list_args);
  list->callback([list_args, &exit_code] { exit_code = control_call(list_args->control_port, {.target = "/faults"}); });

  auto clear_args = std::make_shared<ControlArgs>();
  auto* clear = fp->add_subcommand("clear", "Remove every fault");
  add_control_port(*clear, *clear_args);
  clear->callback([clear_args, &exit_code] {
    exit_code = control_call(clear_args->control_port, {.method = http::Method::kDelete, .target = "/faults"});
  });

  auto stats_args = std::make_shared<ControlArgs>();
  auto* stats = fp->add_subcommand("stats", "Print connection and fault counters as JSON");
  add_control_port(*stats, *stats_args);
  stats->callback([stats_args, &exit_code] { exit_code = control_call(stats_args->control_port, {.target = "/stats"}); });
}

}  // namespace scalelab::app
