#include "app/load_web.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "core/duration.h"

namespace scalelab::app {

namespace {

// How often the lingering main thread looks at the Ctrl-C flag.
constexpr auto kLingerPoll = std::chrono::milliseconds(100);

}  // namespace

Result<LiveWeb> start_live_web(const load::Scenario& s, const WebArgs& args, load::RunOptions& opts) {
  load::web::DashboardOptions d;
  if (auto st = load::web::parse_listen(args.listen, d); !st) return st.error();
  auto pcts = load::web::parse_percentiles(args.percentiles);
  if (!pcts) return pcts.error();
  d.percentiles = std::move(*pcts);
  if (!args.linger.empty() && !parse_duration(args.linger))
    return Error{ErrorKind::kInvalidInput, fmt::format("--web-linger: '{}' is not a duration", args.linger)};
  d.title = "scalelab load: " + s.name + " → " + s.host;
  LiveWeb web;
  web.control = std::make_unique<load::LiveControl>(s.model);
  web.dashboard = std::make_unique<load::web::Dashboard>(std::move(d), *web.control);
  if (auto st = web.dashboard->start(); !st) return st.error();
  std::fprintf(stderr, "scalelab load: live dashboard at %s\n", web.dashboard->url().c_str());
  opts.live = web.control.get();
  opts.on_progress = [own = std::move(opts.on_progress), dash = web.dashboard.get()](const load::Progress& p) {
    if (own) own(p);
    dash->publish(p);
  };
  return web;
}

Status linger_live_web(LiveWeb& web, std::vector<load::web::ReportFile> files, const WebArgs& args,
                       const std::atomic<bool>& stop) {
  web.dashboard->finish(std::move(files));
  return linger_dashboard(*web.dashboard, args, stop, "scalelab load");
}

Status linger_dashboard(load::web::Dashboard& dashboard, const WebArgs& args, const std::atomic<bool>& stop,
                        std::string_view who) {
  if (stop.load()) return {};  // Ctrl-C ended the run: the user wants out
  std::optional<load::Micros> linger;
  if (!args.linger.empty()) {
    linger = parse_duration(args.linger);
    if (!linger) return Error{ErrorKind::kInvalidInput, fmt::format("--web-linger: '{}' is not a duration", args.linger)};
  }
  const auto until = linger ? std::chrono::steady_clock::now() + *linger : std::chrono::steady_clock::time_point::max();
  if (!linger || linger->count() > 0)
    std::fprintf(stderr, "%.*s: the dashboard stays up at %s%s; Ctrl-C to exit\n", static_cast<int>(who.size()),
                 who.data(), dashboard.url().c_str(), linger ? fmt::format(" for {}", args.linger).c_str() : "");
  while (!stop.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(kLingerPoll);
  dashboard.stop();
  return {};
}

}  // namespace scalelab::app
