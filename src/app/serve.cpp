// `scalelab serve`: every service's registration, and `serve albums`.
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/options.h"
#include "http/server.h"
#include "obs/metrics.h"
#include "services/albums/albums.h"
#include "store/store.h"

namespace scalelab::app {

namespace {

struct ServeAlbums {
  http::ServerOptions server;
  std::string store_url = "memory://";

  int run() const {
    auto store = store::open_store(store_url);
    if (!store) {
      spdlog::error("{}", store.error().message);
      return 2;
    }
    http::Router router;
    if (auto installed = albums::install(router, **store); !installed) {
      spdlog::error("{}", installed.error().message);
      return 1;
    }
    obs::Registry registry;
    http::Server http_server(server, router, registry);
    spdlog::info("albums: store {}", (*store)->describe());
    http_server.run_until_signal();
    return 0;
  }
};

}  // namespace

void add_albums_serve(CLI::App& serve, int& exit_code) {
  auto albums = std::make_shared<ServeAlbums>();
  auto* cmd = serve.add_subcommand("albums", "The hw1 albums API: GET /albums, GET /albums/{id}, POST /albums");
  add_server_options(*cmd, albums->server);
  add_store_option(*cmd, albums->store_url);
  cmd->callback([albums, &exit_code] { exit_code = albums->run(); });
}

// Every service registers here, in the order `scalelab serve --help` lists them.
void add_serve_commands(CLI::App& app, int& exit_code) {
  auto* serve = app.add_subcommand("serve", "Run one of scalelab's services");
  serve->require_subcommand(1);
  add_albums_serve(*serve, exit_code);
  add_shop_serve(*serve, exit_code);
  add_wordcount_serve(*serve, exit_code);
  add_orders_serve(*serve, exit_code);
  add_stub_serve(*serve, exit_code);
}

}  // namespace scalelab::app
