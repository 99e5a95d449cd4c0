// `scalelab lab`: every experiment registers here, in the order
// `scalelab lab --help` lists them (app/labs.h).
#include "app/commands.h"
#include "app/labs.h"

namespace scalelab::app {

void add_lab_commands(CLI::App& app, int& exit_code) {
  auto* lab = app.add_subcommand("lab", "Run one of the course's experiments and write its report");
  lab->require_subcommand(1);
  add_hw1_lab(*lab, exit_code);
  add_hw2_lab(*lab, exit_code);
  add_hw3_lab(*lab, exit_code);
  add_hw4_lab(*lab, exit_code);
  add_hw5_clients_lab(*lab, exit_code);
  add_hw6_bottleneck_lab(*lab, exit_code);
  add_hw6_scaling_lab(*lab, exit_code);
  add_hw7_lab(*lab, exit_code);
  add_midterm_lab(*lab, exit_code);
  add_rolling_restart_lab(*lab, exit_code);
  add_redis_failover_lab(*lab, exit_code);
}

}  // namespace scalelab::app
