// Helpers for the orders tests that run real servers: a private Redis or
// RabbitMQ node (lab::infra) in a directory of its own, and `scalelab serve
// order-worker` processes. Only for test binaries that link scalelab_infra
// and define SCALELAB_BINARY.
// Thread-safety: call from the test's main thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "lab/infra/infra.h"
#include "lab/process.h"

namespace scalelab::orders::testing {

// One private node. start() after stop() brings the same node back (same
// port, same data directory), as a restart does; the directory is removed
// when the object goes.
class PrivateNode {
 public:
  PrivateNode(std::string kind, const std::string& tag)
      : kind_(std::move(kind)),
        dir_(std::filesystem::temp_directory_path() / fmt::format("scalelab-orders-{}-{}-{}", kind_, tag, ::getpid())) {}
  ~PrivateNode() {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Status start() {
    const auto* kind = lab::infra::find_kind(kind_);
    if (!kind) return Error{ErrorKind::kNotFound, "no infra kind " + kind_};
    auto started = kind->start({.dir = dir_, .port = port_});
    if (!started) return started.error();
    server_ = std::make_unique<lab::infra::Server>(std::move(*started));
    port_ = server_->port();
    url_ = server_->url();
    return {};
  }
  void stop() {
    if (server_) server_->stop();
  }
  const std::string& url() const { return url_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::string kind_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::string url_;
  std::unique_ptr<lab::infra::Server> server_;
};

// `scalelab serve order-worker` over broker_url and store_url, logging to log_file.
inline Result<lab::Process> spawn_order_worker(const std::string& broker_url, const std::string& store_url,
                                               const std::filesystem::path& log_file, int workers,
                                               const std::string& payment_delay) {
  return lab::Process::spawn({.argv = {SCALELAB_BINARY, "serve", "order-worker", "--port", "0", "--broker", broker_url,
                                       "--store", store_url, "--workers", std::to_string(workers), "--payment-delay",
                                       payment_delay},
                              .log_file = log_file});
}

}  // namespace scalelab::orders::testing
