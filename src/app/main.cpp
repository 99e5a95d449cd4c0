// scalelab: one binary, subcommands only. Wiring lives in app/; everything
// else is in the libraries under src/.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "app/commands.h"
#include "app/options.h"
#include "core/log.h"

int main(int argc, char** argv) {
  CLI::App app{"scalelab: scalable distributed systems you can build, run and measure on one machine"};
  app.set_version_flag("--version", "scalelab 0.1.0");
  app.require_subcommand(1);
  app.fallthrough();  // subcommands inherit it: --log-level works after them too
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->envname(scalelab::app::env_name("--log-level"))
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  std::string log_format = "text";
  app.add_option("--log-format", log_format, "text (for people) or json (one object per line, for log collectors)")
      ->envname(scalelab::app::env_name("--log-format"))
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app.parse_complete_callback([&] { scalelab::init_logging(log_level, log_format); });

  int exit_code = 0;
  scalelab::app::add_serve_commands(app, exit_code);
  scalelab::app::add_lab_commands(app, exit_code);
  scalelab::app::add_infra_commands(app, exit_code);
  scalelab::app::add_faultproxy_commands(app, exit_code);
  scalelab::app::add_wordcount_commands(app, exit_code);
  scalelab::app::add_load_commands(app, exit_code);
  scalelab::app::add_mq_commands(app, exit_code);
  scalelab::app::add_autoscale_commands(app, exit_code);
  scalelab::app::add_compare_commands(app, exit_code);
  scalelab::app::add_tour_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scalelab: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
