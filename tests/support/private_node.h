// Test support: a private Redis or RabbitMQ node (infra/servers.h) in a temp
// directory of its own, for tests that stop, freeze or restart it and so
// cannot use the shared ctest fixture. Header-only: for test binaries that
// link scalelab_infra.
// Thread-safety: call from the test's main thread.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "infra/servers.h"

namespace scalelab::testkit {

// start() after stop() brings the same node back (same port, same data
// directory), as a restart does; the directory is removed when the object
// goes (the node is stopped first).
class PrivateNode {
 public:
  PrivateNode(std::string kind, const std::string& tag)
      : kind_(std::move(kind)),
        dir_(std::filesystem::temp_directory_path() / fmt::format("scalelab-{}-{}-{}", kind_, tag, ::getpid())) {}
  ~PrivateNode() {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PrivateNode(const PrivateNode&) = delete;
  PrivateNode& operator=(const PrivateNode&) = delete;

  Status start() {
    const auto* kind = infra::find_kind(kind_);
    if (!kind) return Error{ErrorKind::kNotFound, "no infra kind " + kind_};
    auto started = kind->start({.dir = dir_, .port = port_});
    if (!started) return started.error();
    server_ = std::make_unique<infra::Server>(std::move(*started));
    port_ = server_->port();
    url_ = server_->url();
    return {};
  }
  void stop() {
    if (server_) server_->stop();
  }
  // To the node's whole process group (SIGSTOP freezes it, SIGCONT thaws it).
  void signal(int signo) {
    if (server_) server_->process().signal(signo);
  }
  const std::string& url() const { return url_; }
  std::uint16_t port() const { return port_; }

 private:
  std::string kind_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  std::string url_;
  std::unique_ptr<infra::Server> server_;
};

}  // namespace scalelab::testkit
