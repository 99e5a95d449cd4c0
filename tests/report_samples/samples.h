// Hand-made results for every lab report, shaped like real runs (tens of
// seconds, phases, several series) so the pages can be checked in a browser
// without running any experiment. Deterministic: no clock, no randomness.
// Thread-safety: pure functions.
#pragma once

#include "lab/hw1/hw1.h"
#include "lab/hw2/hw2.h"
#include "lab/hw3/hw3.h"
#include "lab/hw3/load_lab.h"
#include "lab/hw4/hw4.h"
#include "lab/hw5_clients/hw5_clients.h"
#include "lab/hw6_bottleneck/hw6_bottleneck.h"
#include "lab/hw6_scaling/hw6_scaling.h"
#include "lab/hw7/hw7.h"
#include "lab/midterm/midterm.h"
#include "lab/redis_failover/redis_failover.h"
#include "lab/rolling_restart/rolling_restart.h"
#include "load/stats.h"

namespace scalelab::samples {

lab::Hw1Result hw1();
lab::Hw2Result hw2();
lab::Hw3Result hw3();
lab::Hw3LoadResult hw3_load();
lab::Hw4Result hw4();
lab::Hw5ClientsResult hw5_clients();
lab::Hw6BottleneckResult hw6_bottleneck();
lab::Hw6ScalingResult hw6_scaling();
lab::Hw7Result hw7();
lab::MidtermResult midterm();
lab::RollingRestartResult rolling_restart();
lab::RedisFailoverResult redis_failover();
// A closed-model `scalelab load` run of `seconds` with `users` users, one
// live edit of the user count half-way through.
load::Report load_run(unsigned users, int seconds, double rps_per_user);

}  // namespace scalelab::samples
