// Micro-benchmarks of the request path without sockets: routing, one whole
// exchange (route + handler + store + serialization), and the histograms on
// every request's path. Run: build/release/bin/micro_bench
#include <benchmark/benchmark.h>

#include <cstdlib>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "http/detail/exchange.h"
#include "obs/histogram.h"
#include "obs/metrics.h"
#include "services/albums/albums.h"
#include "store/memory_store.h"

using namespace scalelab;

namespace {

struct AlbumsFixture {
  AlbumsFixture() {
    if (!albums::install(router, store).ok()) std::abort();
  }
  store::MemoryStore store;
  http::Router router;
};

void BM_RouterMatchAlbumById(benchmark::State& state) {
  AlbumsFixture f;
  for (auto _ : state) {
    http::Request req(http::Method::kGet, "GET", "/albums/2", {}, {}, nullptr, nullptr);
    auto m = f.router.match(req);
    benchmark::DoNotOptimize(m.route);
  }
}
BENCHMARK(BM_RouterMatchAlbumById);

void BM_ExchangeGetAlbumById(benchmark::State& state) {
  AlbumsFixture f;
  obs::Registry registry;
  http::HttpMetrics metrics(registry, f.router);
  http::detail::ExchangeContext ctx{f.router, &metrics};
  http::detail::BeastRequest req{boost::beast::http::verb::get, "/albums/2", 11};
  req.set(boost::beast::http::field::host, "bench");
  boost::asio::io_context io{1};
  std::string wire, rid;
  for (auto _ : state) {
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
          http::Response res = co_await http::detail::exchange(ctx, req, rid);
          wire.clear();
          http::detail::serialize_response(wire, res, 11, true, false, rid);
        },
        boost::asio::detached);
    io.restart();
    io.run();
    benchmark::DoNotOptimize(wire.data());
  }
}
BENCHMARK(BM_ExchangeGetAlbumById);

void BM_LogLinearHistogramRecord(benchmark::State& state) {
  obs::LogLinearHistogram h;
  std::uint64_t v = 1;
  for (auto _ : state) {
    h.record(v);
    v = (v * 7 + 13) & 0xfffff;
  }
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_LogLinearHistogramRecord);

void BM_PrometheusHistogramObserve(benchmark::State& state) {
  obs::LatencyHistogram h;
  for (auto _ : state) h.observe(std::chrono::microseconds(137));
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_PrometheusHistogramObserve);

}  // namespace
