#include "app/options.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "core/duration.h"

namespace scalelab::app {

std::string env_name(const std::string& flag) {
  std::string name = "SCALELAB_";
  for (char c : flag.substr(flag.find_first_not_of('-'))) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

CLI::Option* add_duration_option(CLI::App& app, const std::string& flag,
                                 std::chrono::milliseconds& target, const std::string& help) {
  const std::string shown = format_duration(target);
  return app
      .add_option_function<std::string>(
          flag,
          [&target, flag](const std::string& text) {
            auto d = parse_duration(text);
            if (!d)
              throw CLI::ValidationError(flag, "'" + text + "' is not a duration (e.g. 250ms, 10s, 2m)");
            target = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
          },
          help)
      ->envname(env_name(flag))
      ->type_name("DURATION")
      ->default_str(shown);
}

void add_server_options(CLI::App& app, http::ServerOptions& o) {
  add_flag_option(app, "--address", o.address, "Address to listen on (0.0.0.0 for every interface)");
  add_flag_option(app, "--port", o.port, "TCP port to listen on (0: pick a free one)");
  add_flag_option(app, "--threads", o.threads, "Worker threads (0: one per core)");
  add_flag_option(app, "--body-limit", o.body_limit_bytes, "Largest request body in bytes (else 413)");
  add_flag_option(app, "--header-limit", o.header_limit_bytes,
                  "Largest request head in bytes (else 431)");
  add_duration_option(app, "--read-timeout", o.read_timeout,
                      "Time a client has to send a whole request once it starts");
  add_duration_option(app, "--idle-timeout", o.idle_timeout,
                      "Keep-alive: how long an idle connection may wait for its next request");
  add_duration_option(app, "--write-timeout", o.write_timeout, "Time to send one response");
  add_flag_option(app, "--max-connections", o.max_connections,
                  "Open connections allowed; more get 503 and are closed");
  add_duration_option(app, "--shutdown-grace", o.shutdown_grace,
                      "On SIGINT/SIGTERM, how long in-flight requests may take to finish");
  app.add_option("--io-model", o.io_model,
                 "per-thread: an io_context per thread (default); shared: one io_context for all threads")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, http::IoModel>{{"per-thread", http::IoModel::kContextPerThread},
                                               {"shared", http::IoModel::kShared}},
          CLI::ignore_case))
      ->envname(env_name("--io-model"))
      ->default_str("per-thread");
  app.add_flag("--access-log,!--no-access-log", o.access_log, "Log one line per request")
      ->envname(env_name("--access-log"));
}

CLI::Option* add_store_option(CLI::App& app, std::string& url) {
  return add_flag_option(app, "--store", url, "Store URL: memory://, redis://host:port[/db] or redis-sentinel://host:port[,host:port…]/master");
}

CLI::Option* add_broker_option(CLI::App& app, std::string& url) {
  return add_flag_option(app, "--broker", url,
                         "Message bus URL: memory:// or amqp://user:pass@host:port/vhost (a cluster: its nodes' "
                         "URLs joined by commas)");
}

}  // namespace scalelab::app
