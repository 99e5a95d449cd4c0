// LocalAlbums: an albums service on 127.0.0.1:<free port> inside this
// process, for experiments run without a --url. Stops with the object.
// Thread-safety: construct and destroy on one thread; the server runs its own.
#pragma once

#include <memory>
#include <string>

#include "http/router.h"
#include "http/server.h"
#include "obs/metrics.h"
#include "store/memory_store.h"

namespace scalelab::lab {

class LocalAlbums {
 public:
  LocalAlbums();  // throws std::runtime_error when the store cannot be seeded
  ~LocalAlbums();
  LocalAlbums(const LocalAlbums&) = delete;
  LocalAlbums& operator=(const LocalAlbums&) = delete;

  std::string base_url() const;  // "http://127.0.0.1:PORT"

 private:
  store::MemoryStore store_;
  http::Router router_;
  obs::Registry registry_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace scalelab::lab
