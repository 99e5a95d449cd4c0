// The subcommands of `scalelab`. Each add_* registers its subcommands and
// sets exit_code when one runs. main.cpp calls the add_*_commands; `serve`
// calls every service's add_*_serve (app/serve.cpp) and `lab` every
// experiment's add_*_lab (app/lab.cpp, app/labs.h), so no registration
// depends on another having run first.
#pragma once

#include <CLI/CLI.hpp>

namespace scalelab::app {

void add_serve_commands(CLI::App& app, int& exit_code);
void add_lab_commands(CLI::App& app, int& exit_code);
void add_infra_commands(CLI::App& app, int& exit_code);
void add_faultproxy_commands(CLI::App& app, int& exit_code);
// wordcount, wordcount-gen (hw4).
void add_wordcount_commands(CLI::App& app, int& exit_code);
void add_load_commands(CLI::App& app, int& exit_code);
// mq-bench.
void add_mq_commands(CLI::App& app, int& exit_code);
// autoscale (hw6 part III): a service behind HAProxy, scaled on CPU.
void add_autoscale_commands(CLI::App& app, int& exit_code);
// compare: the deltas between two runs' summaries.
void add_compare_commands(CLI::App& app, int& exit_code);
// tour: every experiment in order, then reports/index.html.
void add_tour_commands(CLI::App& app, int& exit_code);

// The services under `serve`, one per file.
void add_albums_serve(CLI::App& serve, int& exit_code);     // albums (hw1)
void add_shop_serve(CLI::App& serve, int& exit_code);       // catalog, carts, warehouse, payments, shop (hw5/hw6)
void add_wordcount_serve(CLI::App& serve, int& exit_code);  // wordcount-splitter|mapper|reducer (hw4)
void add_orders_serve(CLI::App& serve, int& exit_code);     // orders, order-worker, order-functions (hw7)
void add_stub_serve(CLI::App& serve, int& exit_code);       // stub (a target for load tests)

}  // namespace scalelab::app
