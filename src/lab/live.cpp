#include "lab/live.h"

namespace scalelab::lab {

void watch(Live* live, load::RunOptions& run) {
  if (!live) return;
  if (!run.stop) run.stop = live->stop_flag();
  run.on_progress = [own = std::move(run.on_progress), live](const load::Progress& p) {
    if (own) own(p);
    if (p.last) live->point(*p.last);
    live->stop_requested();  // sets the stop flag the engine reads
  };
}

std::filesystem::path live_stop_file(const std::filesystem::path& live_out) {
  return std::filesystem::path(live_out.string() + ".stop");
}

}  // namespace scalelab::lab
