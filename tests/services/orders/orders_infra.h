// Helpers for the orders tests that run real servers: private nodes
// (testkit::PrivateNode) and `scalelab serve order-worker` processes. Only
// for test binaries that link scalelab_infra and define SCALELAB_BINARY.
// Thread-safety: call from the test's main thread.
#pragma once

#include <filesystem>
#include <string>

#include "infra/process.h"
#include "support/private_node.h"

namespace scalelab::orders::testing {

using testkit::PrivateNode;

// `scalelab serve order-worker` over broker_url and store_url, logging to log_file.
inline Result<infra::Process> spawn_order_worker(const std::string& broker_url, const std::string& store_url,
                                               const std::filesystem::path& log_file, int workers,
                                               const std::string& payment_delay) {
  return infra::Process::spawn({.argv = {SCALELAB_BINARY, "serve", "order-worker", "--port", "0", "--broker", broker_url,
                                       "--store", store_url, "--workers", std::to_string(workers), "--payment-delay",
                                       payment_delay},
                              .log_file = log_file});
}

}  // namespace scalelab::orders::testing
