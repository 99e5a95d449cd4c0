#include "lab/hw2.h"

#include <algorithm>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "core/json.h"
#include "http/client.h"
#include "lab/infra/redis.h"
#include "lab/process.h"
#include "report/output.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

constexpr const char* kAlbum4 =
    R"({"id":"4","title":"The Modern Sound of Betty Carter","artist":"Betty Carter","price":49.99})";

struct Instance {
  Process process;
  std::uint16_t port;
};

Result<Instance> start_albums(const Hw2Options& o, const std::string& store, int n, const std::string& phase) {
  auto port = pick_free_port();
  if (!port) return port.error();
  auto log = o.out_dir / fmt::format("albums-{}-{}.log", phase, n);
  auto exe = o.scalelab.empty() ? self_executable() : o.scalelab;
  auto p = Process::spawn({.argv = {exe.string(), "serve", "albums", "--port", std::to_string(*port), "--threads", "1",
                                    "--store", store, "--log-level", "warn"},
                           .log_file = log});
  if (!p) return p.error();
  if (auto up = wait_for_port("127.0.0.1", *port, o.timeout); !up)
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
Result<Hw2Phase> run_script(const Hw2Options& o, const std::string& phase, const std::string& store1,
                            const std::string& store2, std::vector<Hw2Step>& steps) {
  auto a = start_albums(o, store1, 1, phase);
  if (!a) return a.error();
  auto b = start_albums(o, store2, 2, phase);
  if (!b) return b.error();
  std::vector<std::unique_ptr<http::BlockingClient>> clients;
  for (auto port : {a->port, b->port}) {
    http::ClientOptions co;
    co.port = port;
    clients.push_back(std::make_unique<http::BlockingClient>(co));
  }
  auto get = [&](int n) {
    auto r = clients[static_cast<std::size_t>(n - 1)]->get("/albums", o.timeout);
    Hw2Step s{phase, fmt::format("GET /albums on instance {}", n), n, r ? r->status : 0, r ? ids_of(r->body) : std::vector<std::string>{}};
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

std::string ids_text(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return "[" + out + "]";
}

json::array ids_json(const std::vector<std::string>& ids) {
  json::array a;
  for (const auto& id : ids) a.emplace_back(id);
  return a;
}

json::object phase_json(const Hw2Phase& p) {
  return {{"store", p.store}, {"before_instance_1", ids_json(p.before1)}, {"before_instance_2", ids_json(p.before2)},
          {"post_status", p.post_status}, {"after_instance_1", ids_json(p.after1)},
          {"after_instance_2", ids_json(p.after2)}, {"agree", p.agree}};
}

}  // namespace

Result<Hw2Result> run_hw2(const Hw2Options& options) {
  if (auto s = infra::prepare_dir(options.out_dir); !s) return s.error();
  Hw2Result result;
  auto memory = run_script(options, "memory", "memory://", "memory://", result.steps);
  if (!memory) return memory.error();
  result.memory = *memory;

  auto redis = infra::start_redis({.dir = options.out_dir / "redis"});
  if (!redis) return Error{redis.error().kind, "cannot start a private Redis: " + redis.error().message};
  auto shared = run_script(options, "redis", redis->url(), redis->url(), result.steps);
  redis->stop();
  if (!shared) return shared.error();
  result.redis = *shared;

  std::string csv = "phase,action,instance,status,album_ids\n";
  for (const auto& s : result.steps)
    csv += fmt::format("{},{},{},{},\"{}\"\n", s.phase, s.action, s.instance, s.status, ids_text(s.album_ids));
  result.csv = options.out_dir / "steps.csv";
  if (auto w = report::write_file(result.csv, csv); !w) return w.error();
  json::object summary{{"experiment", "hw2"}, {"memory", phase_json(result.memory)}, {"redis", phase_json(result.redis)}};
  result.json = options.out_dir / "summary.json";
  if (auto w = report::write_file(result.json, to_json(summary) + "\n"); !w) return w.error();

  report::HtmlReport page("hw2: instances that do not share state");
  page.paragraph(
      "Two albums instances, each a separate scalelab process on its own port. The course's script: GET /albums "
      "on both, POST album 4 (The Modern Sound of Betty Carter) to instance 2, GET /albums on both again. Run "
      "twice: each instance with its own in-memory store, then both on one private Redis.");
  for (const auto* p : {&result.memory, &result.redis}) {
    bool mem = p == &result.memory;
    page.heading(mem ? "1. Each instance keeps albums in its own memory" : "2. Both instances share one Redis");
    page.table({"step", "instance 1 sees", "instance 2 sees"},
                 {{"before the POST", ids_text(p->before1), ids_text(p->before2)},
                  {fmt::format("POST album 4 to instance 2 -> {}", p->post_status), "", ""},
                  {"after the POST", ids_text(p->after1), ids_text(p->after2)}});
    page.paragraph(p->agree ? "They AGREE: both instances list album 4, because both read the same store."
                              : "They DISAGREE: only instance 2 has album 4. Instance 1 never heard of it, because "
                                "each process keeps its own memory; a load balancer in front would give a user "
                                "different answers depending on which instance served the request.");
  }
  page.paragraph(fmt::format(
      "Reading: with per-process memory the instances disagree ({}); with external shared storage they agree ({}), "
      "as the course found. The fix is to make the service stateless and keep its state in a shared store.",
      result.memory.agree ? "unexpectedly, they agreed" : "as expected",
      result.redis.agree ? "as expected" : "unexpectedly, they did not"));
  page.link("steps.csv", "steps.csv");
  page.link("summary.json", "summary.json");
  result.report = options.out_dir / "report.html";
  if (auto w = page.write(result.report); !w) return w.error();
  return result;
}

}  // namespace scalelab::lab
