// The experiments of `scalelab lab`: each add_<name>_lab adds one subcommand
// to `lab` (its flags, and a callback that runs the experiment, renders its
// report and prints the headline figures). app/lab.cpp registers them all, in
// the order `scalelab lab --help` lists them; a new experiment adds one line
// there and one file src/app/lab_<name>.cpp.
#pragma once

#include <CLI/CLI.hpp>

namespace scalelab::app {

void add_hw1_lab(CLI::App& lab, int& exit_code);
void add_hw2_lab(CLI::App& lab, int& exit_code);
void add_hw3_lab(CLI::App& lab, int& exit_code);  // hw3 and hw3-load
void add_hw4_lab(CLI::App& lab, int& exit_code);
void add_hw5_clients_lab(CLI::App& lab, int& exit_code);
void add_hw6_bottleneck_lab(CLI::App& lab, int& exit_code);
void add_hw6_scaling_lab(CLI::App& lab, int& exit_code);
void add_hw7_lab(CLI::App& lab, int& exit_code);
void add_midterm_lab(CLI::App& lab, int& exit_code);
void add_rolling_restart_lab(CLI::App& lab, int& exit_code);
void add_redis_failover_lab(CLI::App& lab, int& exit_code);

}  // namespace scalelab::app
