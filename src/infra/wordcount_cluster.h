// The hw4 services as separate processes (`scalelab serve wordcount-…`), for
// runs over RabbitMQ where mappers must be real processes (scaling, kill -9).
// Thread-safety: use from one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "infra/process.h"

namespace scalelab::infra {

struct WordcountClusterOptions {
  std::filesystem::path scalelab;  // the binary; empty: this one
  std::string broker_url;          // amqp://…
  int mappers = 1;
  std::filesystem::path log_dir;   // one log per process
  std::optional<int> fail_chunk;   // passed to every mapper (fault injection)
  std::chrono::milliseconds chunk_delay{0};
};

class WordcountCluster {
 public:
  static Result<std::unique_ptr<WordcountCluster>> start(const WordcountClusterOptions& options);
  Process& mapper(std::size_t i) { return mappers_.at(i); }
  std::size_t mapper_count() const { return mappers_.size(); }
  ~WordcountCluster();  // stops every process

 private:
  std::vector<Process> services_;
  std::vector<Process> mappers_;
};

}  // namespace scalelab::infra
