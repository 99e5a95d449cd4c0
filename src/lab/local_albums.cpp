#include "lab/local_albums.h"

#include <stdexcept>

#include <fmt/format.h>

#include "services/albums/albums.h"

namespace scalelab::lab {

LocalAlbums::LocalAlbums() {
  if (auto installed = albums::install(router_, store_); !installed)
    throw std::runtime_error(installed.error().message);
  http::ServerOptions opts;
  opts.port = 0;
  server_ = std::make_unique<http::Server>(opts, router_, registry_);
  server_->start();
}

LocalAlbums::~LocalAlbums() {
  server_->stop();
  server_->wait();
}

std::string LocalAlbums::base_url() const { return fmt::format("http://127.0.0.1:{}", server_->port()); }

}  // namespace scalelab::lab
