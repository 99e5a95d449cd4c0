#include "infra/wordcount_cluster.h"

#include <fmt/format.h>

namespace scalelab::infra {

Result<std::unique_ptr<WordcountCluster>> WordcountCluster::start(const WordcountClusterOptions& o) {
  auto exe = o.scalelab.empty() ? self_executable() : o.scalelab;
  if (auto ec = std::error_code(); !std::filesystem::create_directories(o.log_dir, ec) && ec) {
    return Error{ErrorKind::kUnavailable, fmt::format("cannot create {}: {}", o.log_dir.string(), ec.message())};
  }
  auto c = std::make_unique<WordcountCluster>();
  auto spawn = [&](const std::string& service, const std::string& log_name,
                   std::vector<std::string> extra) -> Result<Process> {
    ProcessOptions po;
    po.argv = {exe.string(), "serve", service, "--broker", o.broker_url, "--port", "0"};
    po.argv.insert(po.argv.end(), extra.begin(), extra.end());
    po.log_file = o.log_dir / (log_name + ".log");
    return Process::spawn(std::move(po));
  };
  for (const char* s : {"wordcount-reducer", "wordcount-splitter"}) {
    auto p = spawn(s, s, {});
    if (!p) return p.error();
    c->services_.push_back(std::move(*p));
  }
  for (int i = 0; i < o.mappers; ++i) {
    std::vector<std::string> extra;
    if (o.fail_chunk) extra.insert(extra.end(), {"--fail-chunk", std::to_string(*o.fail_chunk)});
    if (o.chunk_delay.count() > 0) extra.insert(extra.end(), {"--chunk-delay", fmt::format("{}ms", o.chunk_delay.count())});
    auto p = spawn("wordcount-mapper", fmt::format("wordcount-mapper-{}", i), extra);
    if (!p) return p.error();
    c->mappers_.push_back(std::move(*p));
  }
  return c;
}

WordcountCluster::~WordcountCluster() {
  for (auto& p : mappers_) p.stop(std::chrono::seconds(5));
  for (auto& p : services_) p.stop(std::chrono::seconds(5));
}

}  // namespace scalelab::infra
