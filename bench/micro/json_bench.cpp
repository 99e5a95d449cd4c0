// Micro-benchmarks of the JSON bodies on the hot paths: an album record, the
// albums list, and a catalog product (GET /products/{id}). Run:
// build/release/bin/micro_bench --benchmark_filter=Json
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "services/albums/albums.h"
#include "services/catalog/catalog.h"

using namespace scalelab;

namespace {

void BM_JsonAlbumRecord(benchmark::State& state) {
  const albums::Album& album = albums::seed_albums()[2];  // the longest title
  for (auto _ : state) {
    std::string json = albums::album_to_json(album);
    benchmark::DoNotOptimize(json.data());
  }
}
BENCHMARK(BM_JsonAlbumRecord);

// GET /albums over state.range(0) stored records.
void BM_JsonAlbumsList(benchmark::State& state) {
  std::vector<store::KeyValue> records;
  for (int i = 0; i < state.range(0); ++i) {
    const auto& album = albums::seed_albums()[static_cast<std::size_t>(i) % albums::seed_albums().size()];
    records.emplace_back("album/" + std::to_string(i), albums::album_to_json(album));
  }
  for (auto _ : state) {
    std::string json = albums::albums_list_json(records);
    benchmark::DoNotOptimize(json.data());
  }
}
BENCHMARK(BM_JsonAlbumsList)->Arg(3)->Arg(100);

// GET /products/{id}: one of the course's five (with "stock") and a generated one.
void BM_JsonCatalogProduct(benchmark::State& state) {
  static const catalog::Catalog kCatalog;
  auto id = static_cast<std::int32_t>(state.range(0));
  for (auto _ : state) {
    std::string json = catalog::generated_product_json(kCatalog, id);
    benchmark::DoNotOptimize(json.data());
  }
}
BENCHMARK(BM_JsonCatalogProduct)->Arg(3)->Arg(12345);

void BM_JsonCatalogProductRecord(benchmark::State& state) {
  static const catalog::Catalog kCatalog;
  const catalog::Product product = kCatalog.generated(12345);
  for (auto _ : state) {
    std::string json = catalog::product_to_json(product);
    benchmark::DoNotOptimize(json.data());
  }
}
BENCHMARK(BM_JsonCatalogProductRecord);

}  // namespace
