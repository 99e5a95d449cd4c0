#include "lab/hw2/hw2.h"
#include "lab/live.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "http/client.h"
#include "infra/process.h"
#include "infra/redis.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

constexpr const char* kAlbum4 =
    R"({"id":"4","title":"The Modern Sound of Betty Carter","artist":"Betty Carter","price":49.99})";

struct Instance {
  infra::Process process;
  std::uint16_t port;
};

Result<Instance> start_albums(const Hw2Options& o, const std::string& store, int n, std::string_view phase) {
  auto port = infra::pick_free_port();
  if (!port) return port.error();
  auto log = o.out_dir / fmt::format("albums-{}-{}.log", phase, n);
  auto exe = o.scalelab.empty() ? infra::self_executable() : o.scalelab;
  auto p = infra::Process::spawn({.argv = {exe.string(), "serve", "albums", "--port", std::to_string(*port), "--threads", "1",
                                    "--store", store, "--log-level", "warn"},
                           .log_file = log});
  if (!p) return p.error();
  if (auto up = infra::wait_for_port("127.0.0.1", *port, o.timeout); !up)
    return Error{ErrorKind::kUnavailable, fmt::format("albums instance {} ({}) did not start: {}; see {}", n, store,
                                                      up.error().message, log.string())};
  return Instance{std::move(*p), *port};
}

std::vector<std::string> ids_of(const std::string& body) {
  std::vector<std::string> ids;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_array()) return ids;
  for (const auto& a : v.as_array())
    if (a.is_object() && a.as_object().contains("id") && a.at("id").is_string())
      ids.emplace_back(a.at("id").as_string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

// The course's script against two instances.
Result<Hw2Phase> run_script(const Hw2Options& o, Hw2Store phase, const std::string& store1,
                            const std::string& store2, std::vector<Hw2Step>& steps) {
  auto a = start_albums(o, store1, 1, to_string(phase));
  if (!a) return a.error();
  auto b = start_albums(o, store2, 2, to_string(phase));
  if (!b) return b.error();
  std::vector<std::unique_ptr<http::BlockingClient>> clients;
  for (auto port : {a->port, b->port}) {
    http::ClientOptions co;
    co.port = port;
    clients.push_back(std::make_unique<http::BlockingClient>(co));
  }
  auto get = [&](int n) {
    auto r = clients[static_cast<std::size_t>(n - 1)]->get("/albums", o.timeout);
    Hw2Step s{phase, fmt::format("GET /albums on instance {}", n), n, r ? r->status : 0,
              r ? ids_of(r->body) : std::vector<std::string>{}};
    steps.push_back(s);
    return s.album_ids;
  };
  Hw2Phase p;
  p.store = store1 == store2 ? store1 : "memory:// (one per instance)";
  p.before1 = get(1);
  p.before2 = get(2);
  auto posted = clients[1]->post_json("/albums", kAlbum4, o.timeout);
  p.post_status = posted ? posted->status : 0;
  steps.push_back({phase, "POST /albums (album 4) to instance 2", 2, p.post_status, {}});
  p.after1 = get(1);
  p.after2 = get(2);
  p.agree = p.after1 == p.after2 && std::find(p.after1.begin(), p.after1.end(), "4") != p.after1.end();
  return p;
}

}  // namespace

std::string_view to_string(Hw2Store store) { return store == Hw2Store::kMemory ? "memory" : "redis"; }

Result<Hw2Result> run_hw2(const Hw2Options& options) {
  if (auto s = infra::prepare_dir(options.out_dir); !s) return s.error();
  Hw2Result result;
  live_phase(options.live, "memory: each instance its own albums");
  auto memory = run_script(options, Hw2Store::kMemory, "memory://", "memory://", result.steps);
  if (!memory) return memory.error();
  result.memory = *memory;

  live_phase(options.live, "redis: both instances on one private Redis");
  auto redis = infra::start_redis({.dir = options.out_dir / "redis"});
  if (!redis) return Error{redis.error().kind, "cannot start a private Redis: " + redis.error().message};
  auto shared = run_script(options, Hw2Store::kRedis, redis->url(), redis->url(), result.steps);
  redis->stop();
  if (!shared) return shared.error();
  result.redis = *shared;
  return result;
}

}  // namespace scalelab::lab
