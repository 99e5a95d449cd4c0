#include "lab/hw3/maps.h"

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <fmt/format.h>
#include <tbb/concurrent_hash_map.h>

namespace scalelab::lab::hw3 {
namespace {

// The maps behind one interface, so every workload runs the same code.
class SharedMap {
 public:
  virtual ~SharedMap() = default;
  virtual void put(int key, int value) = 0;
  virtual bool contains(int key) = 0;
  virtual std::uint64_t size() = 0;
};

class MutexMap final : public SharedMap {
 public:
  void put(int key, int value) override {
    std::lock_guard lock(mu_);
    map_[key] = value;
  }
  bool contains(int key) override {
    std::lock_guard lock(mu_);
    return map_.contains(key);
  }
  std::uint64_t size() override {
    std::lock_guard lock(mu_);
    return map_.size();
  }

 private:
  std::mutex mu_;
  std::unordered_map<int, int> map_;  // guarded by mu_
};

// Readers share the lock; a writer holds it alone.
class SharedMutexMap final : public SharedMap {
 public:
  void put(int key, int value) override {
    std::unique_lock lock(mu_);
    map_[key] = value;
  }
  bool contains(int key) override {
    std::shared_lock lock(mu_);
    return map_.contains(key);
  }
  std::uint64_t size() override {
    std::shared_lock lock(mu_);
    return map_.size();
  }

 private:
  std::shared_mutex mu_;
  std::unordered_map<int, int> map_;  // guarded by mu_
};

// Keys spread over independent mutex maps: threads contend only when they hit
// the same shard.
class ShardedMap final : public SharedMap {
 public:
  void put(int key, int value) override { shard(key).put(key, value); }
  bool contains(int key) override { return shard(key).contains(key); }
  std::uint64_t size() override {
    std::uint64_t n = 0;
    for (auto& s : shards_) n += s.size();
    return n;
  }

 private:
  static constexpr std::size_t kShards = 64;  // more than cores, so collisions are rare
  MutexMap& shard(int key) { return shards_[std::hash<int>{}(key) % kShards]; }
  std::array<MutexMap, kShards> shards_;
};

class TbbMap final : public SharedMap {
 public:
  void put(int key, int value) override {
    Map::accessor a;
    map_.insert(a, key);
    a->second = value;
  }
  bool contains(int key) override {
    Map::const_accessor a;
    return map_.find(a, key);
  }
  std::uint64_t size() override { return map_.size(); }

 private:
  using Map = tbb::concurrent_hash_map<int, int>;
  Map map_;
};

std::unique_ptr<SharedMap> make_map(MapKind kind) {
  switch (kind) {
    case MapKind::kMutex: return std::make_unique<MutexMap>();
    case MapKind::kSharedMutex: return std::make_unique<SharedMutexMap>();
    case MapKind::kSharded: return std::make_unique<ShardedMap>();
    case MapKind::kTbb: return std::make_unique<TbbMap>();
  }
  return nullptr;
}

// 1 in kWriteEvery operations writes: the 90%-read mix.
constexpr int kWriteEvery = 10;

void mixed_ops(SharedMap& map, int thread, int keys, int ops) {
  // A cheap per-thread LCG: the same key sequence every run, no shared state.
  std::uint32_t x = 2'654'435'761u * static_cast<std::uint32_t>(thread + 1);
  for (int i = 0; i < ops; ++i) {
    x = x * 1'664'525u + 1'013'904'223u;
    const int key = static_cast<int>(x % static_cast<std::uint32_t>(keys));
    if (i % kWriteEvery == 0)
      map.put(key, i);
    else
      (void)map.contains(key);
  }
}

MapRow row_from_runs(std::string name, std::string workload, std::uint64_t expected,
                     const std::vector<double>& entries, const std::vector<double>& ms) {
  MapRow row{"C++", std::move(name), std::move(workload), expected, 0, spread(ms), "ok"};
  for (double e : entries) row.entries += e / static_cast<double>(entries.size());
  const auto short_runs =
      std::count_if(entries.begin(), entries.end(), [&](double e) { return e != static_cast<double>(expected); });
  if (short_runs > 0) row.outcome = fmt::format("{} of {} runs lost entries", short_runs, entries.size());
  return row;
}

MapRow unsync_row(const MapsOptions& o, int per_thread, const char* name) {
  const auto expected = static_cast<std::uint64_t>(o.threads) * static_cast<std::uint64_t>(per_thread);
  std::vector<double> entries, ms;
  int crashed = 0, hung = 0, last_signal = 0;
  for (int run = 0; run < o.runs; ++run) {
    const UnsyncRun u = unsync_map_in_child(o.threads, per_thread, o.unsync_timeout);
    if (u.end == UnsyncRun::End::kCrashed) ++crashed, last_signal = u.signal;
    if (u.end == UnsyncRun::End::kHung) ++hung;
    if (u.end != UnsyncRun::End::kFinished) continue;
    entries.push_back(static_cast<double>(u.entries));
    ms.push_back(u.ms);
  }
  MapRow row = row_from_runs(name, "write", expected, entries, ms);
  std::vector<std::string> parts;
  if (crashed) parts.push_back(fmt::format("{} of {} runs crashed (signal {})", crashed, o.runs, last_signal));
  if (hung) parts.push_back(fmt::format("{} of {} runs hung (killed after {} s)", hung, o.runs, o.unsync_timeout.count()));
  if (row.outcome != "ok") parts.push_back(row.outcome);
  if (!parts.empty()) row.outcome = fmt::format("{}", fmt::join(parts, "; "));
  return row;
}

}  // namespace

const char* to_string(MapKind kind) {
  switch (kind) {
    case MapKind::kMutex: return "mutex";
    case MapKind::kSharedMutex: return "shared_mutex";
    case MapKind::kSharded: return "sharded";
    case MapKind::kTbb: return "tbb";
  }
  return "?";
}

FillRun fill_map(MapKind kind, int threads, int per_thread) {
  auto map = make_map(kind);
  const double ms = run_together(threads, [&](int g) {
    for (int i = 0; i < per_thread; ++i) map->put(g * per_thread + i, i);
  });
  return {map->size(), ms};
}

FillRun read_mix(MapKind kind, int threads, int per_thread, int ops_per_thread) {
  auto map = make_map(kind);
  const int keys = threads * per_thread;
  for (int k = 0; k < keys; ++k) map->put(k, k);
  const double ms = run_together(threads, [&](int g) { mixed_ops(*map, g, keys, ops_per_thread); });
  return {map->size(), ms};
}

MapsResult run_maps(const MapsOptions& o) {
  MapsResult r;
  const auto expected = static_cast<std::uint64_t>(o.threads) * static_cast<std::uint64_t>(o.per_thread);
  r.rows.push_back(unsync_row(o, o.per_thread, "unsynchronised"));
  r.rows.push_back(unsync_row(o, o.per_thread * o.long_factor, "unsynchronised-long"));
  for (const char* workload : {"write", "read90"})
    for (MapKind kind : kMapKinds) {
      std::vector<double> entries, ms;
      for (int run = 0; run < o.runs; ++run) {
        const FillRun f = workload == std::string("write") ? fill_map(kind, o.threads, o.per_thread)
                                                            : read_mix(kind, o.threads, o.per_thread, o.read_mix_ops);
        entries.push_back(static_cast<double>(f.entries));
        ms.push_back(f.ms);
      }
      r.rows.push_back(row_from_runs(to_string(kind), workload, expected, entries, ms));
    }
  return r;
}

}  // namespace scalelab::lab::hw3
