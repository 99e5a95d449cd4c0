// Command-line wiring shared by the subcommands: every flag also reads a
// SCALELAB_* environment variable (--read-timeout -> SCALELAB_READ_TIMEOUT);
// a flag on the command line wins over the environment.
#pragma once

#include <chrono>
#include <string>

#include <CLI/CLI.hpp>

#include "http/server.h"

namespace scalelab::app {

// "--read-timeout" -> "SCALELAB_READ_TIMEOUT"
std::string env_name(const std::string& flag);

// Adds an option bound to target with its env equivalent and default shown.
template <typename T>
CLI::Option* add_flag_option(CLI::App& app, const std::string& flag, T& target, const std::string& help) {
  return app.add_option(flag, target, help)->envname(env_name(flag))->capture_default_str();
}

// A duration option: "250ms", "10s", "2m".
CLI::Option* add_duration_option(CLI::App& app, const std::string& flag,
                                 std::chrono::milliseconds& target, const std::string& help);

// --store (memory:// or redis://host:port[/db]) and --broker (memory:// or
// amqp://user:pass@host:port/vhost): one wording for every service.
CLI::Option* add_store_option(CLI::App& app, std::string& url);
CLI::Option* add_broker_option(CLI::App& app, std::string& url);

// --address --port --threads and the limits of http::ServerOptions.
void add_server_options(CLI::App& app, http::ServerOptions& options);

}  // namespace scalelab::app
