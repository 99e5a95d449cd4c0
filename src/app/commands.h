// The subcommands of `scalelab`. Each add_* registers its subcommands and
// sets exit_code when one runs.
#pragma once

#include <CLI/CLI.hpp>

namespace scalelab::app {

void add_serve_commands(CLI::App& app, int& exit_code);
void add_lab_commands(CLI::App& app, int& exit_code);
void add_infra_commands(CLI::App& app, int& exit_code);
void add_load_commands(CLI::App& app, int& exit_code);

}  // namespace scalelab::app
