// Part 3: the minimum workers that keep up, by bisection over probe runs.
#include <fmt/format.h>

#include "lab/hw7/internal.h"

namespace scalelab::lab::hw7_detail {

namespace {

// The bisection stops within 1% of rate x delay: finer steps cost a probe
// each and move the answer less than run-to-run noise does.
constexpr double kResolutionFraction = 0.01;
// A probe needs only the depth when its load ends; it waits at most two
// payment delays for the rest, so its counting check still sees the end.
constexpr int kProbeDrainDelays = 2;

class Bisection {
 public:
  Bisection(const Hw7Options& o, mq::Broker& broker, Hw7Search& search)
      : o_(o), broker_(broker), search_(search) {
    setup_.kind = Hw7RunKind::kProbe;
    setup_.duration = o.search_duration;
    setup_.drain_limit = std::min(o.drain_limit, o.payment_delay * kProbeDrainDelays);
  }
  // Runs a probe with `workers`; true when it kept up.
  Result<bool> probe(int workers) {
    setup_.workers = workers;
    auto r = run_async(o_, broker_, setup_);
    if (!r) return r.error();
    search_.probes.push_back(std::move(*r));
    return search_.probes.back().keeps_up;
  }

 private:
  const Hw7Options& o_;
  mq::Broker& broker_;
  Hw7Search& search_;
  AsyncSetup setup_;
};

}  // namespace

Result<Hw7Search> run_search(const Hw7Options& o, mq::Broker& broker) {
  Hw7Search search;
  search.arithmetic = o.rate * seconds(o.payment_delay);
  Bisection bisection(o, broker, search);
  int lo = o.search_min, hi = o.search_max;
  auto top = bisection.probe(hi);
  if (!top) return top.error();
  if (!*top) {
    search.note = fmt::format("{} workers did not keep up either (raise --search-max)", hi);
    return search;
  }
  auto bottom = bisection.probe(lo);
  if (!bottom) return bottom.error();
  if (*bottom) {
    search.minimum = lo;
    search.note = fmt::format("{} workers already keep up (lower --search-min)", lo);
    return search;
  }
  const int tolerance = std::max(1, static_cast<int>(search.arithmetic * kResolutionFraction));
  while (hi - lo > tolerance) {
    int mid = lo + (hi - lo) / 2;
    auto keeps = bisection.probe(mid);
    if (!keeps) return keeps.error();
    (*keeps ? hi : lo) = mid;
  }
  search.minimum = hi;
  search.note = fmt::format("{} kept up, {} did not (resolution {})", hi, lo, tolerance);
  return search;
}

}  // namespace scalelab::lab::hw7_detail
