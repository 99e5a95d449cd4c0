// The subcommands of `scalelab`. Each add_* registers its subcommands and
// sets exit_code when one runs.
#pragma once

#include <CLI/CLI.hpp>

namespace scalelab::app {

void add_serve_commands(CLI::App& app, int& exit_code);
void add_lab_commands(CLI::App& app, int& exit_code);
void add_infra_commands(CLI::App& app, int& exit_code);
void add_faultproxy_commands(CLI::App& app, int& exit_code);
// serve catalog|carts|warehouse|payments|shop (needs `serve`), lab hw2, lab hw6-bottleneck (needs `lab`).
void add_shop_commands(CLI::App& app, int& exit_code);
// serve wordcount-*, wordcount, wordcount-gen, lab hw4 (after serve and lab).
void add_wordcount_commands(CLI::App& app, int& exit_code);
void add_load_commands(CLI::App& app, int& exit_code);
// serve orders, serve order-worker (hw7; after serve).
void add_orders_commands(CLI::App& app, int& exit_code);
void add_midterm_commands(CLI::App& app, int& exit_code);
// lab hw7 (after lab).
void add_hw7_commands(CLI::App& app, int& exit_code);
// lab hw3 (after lab).
void add_hw3_commands(CLI::App& app, int& exit_code);

}  // namespace scalelab::app
