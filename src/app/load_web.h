// `scalelab load --web ADDR:PORT`: the run with its live dashboard
// (load/web/dashboard.h): started before the load, fed each second, given
// the final report files, and kept up after the run until Ctrl-C or
// --web-linger.
// Thread-safety: call from the main thread only.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "load/engine.h"
#include "load/web/dashboard.h"

namespace scalelab::app {

struct WebArgs {
  std::string listen;                    // ADDR:PORT; "" without --web
  std::string percentiles = "50,95,99";  // --web-percentiles
  std::string linger;                    // --web-linger: "" until Ctrl-C
};

// The dashboard of one run and the control it edits.
struct LiveWeb {
  std::unique_ptr<load::LiveControl> control;
  std::unique_ptr<load::web::Dashboard> dashboard;
};

// Starts the dashboard and hooks it into `opts` (live control, and each
// second's progress, after the caller's own on_progress). Prints its URL.
Result<LiveWeb> start_live_web(const load::Scenario& s, const WebArgs& args, load::RunOptions& opts);

// Hands the page the report files, then keeps serving until `stop` (Ctrl-C)
// or the linger time; at once when the run itself was ended by Ctrl-C.
Status linger_live_web(LiveWeb& web, std::vector<load::web::ReportFile> files, const WebArgs& args,
                       const std::atomic<bool>& stop);

// Keeps an ended dashboard serving until `stop` or the linger time, then
// stops it; `who` names the command in the message ("scalelab lab hw1").
Status linger_dashboard(load::web::Dashboard& dashboard, const WebArgs& args, const std::atomic<bool>& stop,
                        std::string_view who);

}  // namespace scalelab::app
