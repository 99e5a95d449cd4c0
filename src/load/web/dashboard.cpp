#include "load/web/dashboard.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/host_port.h"
#include "core/json.h"
#include "report/html.h"

namespace scalelab::load::web {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// A watcher's stream looks for new events this often, and returns to the
// server (which then checks for shutdown) after kStreamIdle without any.
constexpr auto kStreamPoll = std::chrono::milliseconds(200);
constexpr auto kStreamIdle = std::chrono::seconds(1);
// A comment line this often keeps proxies from closing a quiet stream and
// makes a write find a closed tab.
constexpr int kIdleRoundsPerPing = 15;
// At most this many events per write: a late joiner catches up in pieces.
constexpr std::size_t kEventsPerPiece = 256;
constexpr std::size_t kEventsPerPoll = 4096;  // GET /progress
constexpr unsigned kDashboardConnections = 64;

double parse_number(std::string_view s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size() ? v : std::nan("");
}

// The index of q in kLocustPercentiles, or -1.
int percentile_index(double q) {
  for (std::size_t i = 0; i < std::size(kLocustPercentiles); ++i)
    if (std::abs(kLocustPercentiles[i] - q) < 1e-9) return static_cast<int>(i);
  return -1;
}

std::string sse_piece(const std::vector<std::string>& events, std::size_t first_index) {
  std::string out;
  for (std::size_t i = 0; i < events.size(); ++i)
    out += fmt::format("id: {}\ndata: {}\n\n", first_index + i + 1, events[i]);
  return out;
}

const json::value* field(const json::object& o, std::string_view key) { return o.if_contains(key); }

double tenths(double t) { return std::round(t * 10) / 10; }

json::array links(const std::vector<ReportFile>& files, const std::vector<std::string>& served) {
  json::array out;
  for (std::size_t i = 0; i < files.size(); ++i)
    out.push_back(json::object{{"label", files[i].label},
                               {"href", "/files/" + served[i]},
                               {"path", std::filesystem::absolute(files[i].path).string()}});
  return out;
}

double number_field(const json::object& o, std::string_view key) {
  const json::value* v = field(o, key);
  if (!v || !v->is_number()) throw http::HttpError(400, http::code::kInvalidInput, fmt::format("'{}' must be a number", key));
  return v->to_number<double>();
}

}  // namespace

Result<std::vector<double>> parse_percentiles(std::string_view text) {
  std::vector<double> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const double pct = parse_number(item);
    if (percentile_index(pct / 100) < 0)
      return Error{ErrorKind::kInvalidInput,
                   fmt::format("--web-percentiles: '{}' is not one of 50,66,75,80,90,95,98,99,99.9,99.99,100", item)};
    out.push_back(kLocustPercentiles[percentile_index(pct / 100)]);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  if (out.empty()) return Error{ErrorKind::kInvalidInput, "--web-percentiles: give at least one, e.g. 50,95,99"};
  return out;
}

Status parse_listen(std::string_view text, DashboardOptions& into) {
  auto at = parse_host_port(text, /*allow_port_zero=*/true);
  if (!at) return Error{ErrorKind::kInvalidInput, fmt::format("--web: '{}' is not ADDRESS:PORT (e.g. 127.0.0.1:8089)", text)};
  into.address = std::move(at->first);
  into.port = at->second;
  return {};
}

void EventLog::append(std::string json) {
  core::MutexLock lock(mu_);
  events_.push_back(std::move(json));
}

std::vector<std::string> EventLog::from(std::size_t from, std::size_t max) const {
  core::MutexLock lock(mu_);
  std::vector<std::string> out;
  for (std::size_t i = from; i < events_.size() && out.size() < max; ++i) out.push_back(events_[i]);
  return out;
}

std::size_t EventLog::size() const {
  core::MutexLock lock(mu_);
  return events_.size();
}

std::string point_event(const SecondPoint& p, const std::vector<double>& percentiles) {
  json::array ms;
  for (double q : percentiles) {
    const int i = percentile_index(q);
    ms.emplace_back(i >= 0 && static_cast<std::size_t>(i) < p.percentiles_ms.size() ? p.percentiles_ms[i] : 0.0);
  }
  const double fps = p.interval_s > 0 ? static_cast<double>(p.failures) / p.interval_s : 0;
  return to_json(json::object{{"type", "point"},
                              {"t", std::round(p.t_s * 10) / 10},
                              {"rps", p.rps()},
                              {"fps", fps},
                              {"users", p.users},
                              {"rate", p.arrival_rate},
                              {"p", ms},
                              {"total", p.total_requests},
                              {"failures", p.total_failures}});
}

std::string edit_event(const LiveEdit& e, Model model) {
  json::object o{{"type", "edit"}, {"t", std::round(e.t_s * 10) / 10}};
  if (model == Model::kClosed) {
    o["users"] = e.users;
    o["spawn_rate"] = e.spawn_rate;
  } else {
    o["rate"] = e.rate;
  }
  return to_json(o);
}

std::string phase_event(double t, std::string_view name) {
  return to_json(json::object{{"type", "phase"}, {"t", tenths(t)}, {"name", name}});
}

std::string series_event(double t, std::string_view chart, std::string_view name, double value) {
  return to_json(json::object{
      {"type", "series"}, {"t", tenths(t)}, {"chart", chart}, {"name", name}, {"value", std::isfinite(value) ? value : 0}});
}

std::string progress_event(double t, std::string_view what, double done, double total) {
  return to_json(json::object{{"type", "progress"}, {"t", tenths(t)}, {"what", what}, {"done", done}, {"total", total}});
}

std::string experiment_event(std::size_t k, std::size_t n, std::string_view name, double left_s) {
  return to_json(json::object{{"type", "experiment"}, {"k", k}, {"n", n}, {"name", name}, {"left", std::round(left_s)}});
}

Dashboard::Dashboard(DashboardOptions options, LiveControl& control)
    : opts_(std::move(options)), control_(control) {}

Dashboard::~Dashboard() { stop(); }

Status Dashboard::start() {
  const auto path = report::chartjs_path();
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error{ErrorKind::kUnavailable, "Chart.js not found at " + path.string() +
                                              "; install Debian's libjs-chart.js (scripts/setup.sh)"};
  std::ostringstream chartjs;
  chartjs << in.rdbuf();
  page_ = dashboard_page(chartjs.str(), opts_, control_.model());
  add_routes();
  http::ServerOptions so;
  so.address = opts_.address;
  so.port = opts_.port;
  so.threads = 1;  // a few watchers; leave the cores to the generator
  so.max_connections = kDashboardConnections;
  so.shutdown_grace = std::chrono::seconds(2);
  server_ = std::make_unique<http::Server>(so, router_, registry_);
  try {
    server_->start();
  } catch (const std::exception& e) {
    server_.reset();
    return Error{ErrorKind::kUnavailable, fmt::format("--web: {}", e.what())};
  }
  return {};
}

std::uint16_t Dashboard::port() const { return server_ ? server_->port() : 0; }

std::string Dashboard::url() const { return fmt::format("http://{}:{}/", opts_.address, port()); }

void Dashboard::publish(const Progress& p) {
  if (p.edits)
    for (; edits_seen_ < p.edits->size(); ++edits_seen_)
      log_.append(edit_event((*p.edits)[edits_seen_], control_.model()));
  if (p.last) log_.append(point_event(*p.last, opts_.percentiles));
}

void Dashboard::append(std::string event) { log_.append(std::move(event)); }

std::vector<std::string> Dashboard::register_files(const std::vector<ReportFile>& files) {
  core::MutexLock lock(files_mu_);
  std::vector<std::string> names;  // served already
  for (const auto& served : files_) names.push_back(served.first);
  auto taken = [&names](const std::string& name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  std::vector<std::string> out;
  for (const auto& f : files) {
    std::string name = f.path.filename().string();
    if (taken(name)) name = f.path.parent_path().filename().string() + "-" + name;
    for (int i = 2; taken(name); ++i) name = fmt::format("{}-{}", i, f.path.filename().string());
    files_.emplace_back(name, f.path);
    names.push_back(name);
    out.push_back(name);
  }
  return out;
}

std::string Dashboard::files_event(std::string_view experiment, const std::vector<ReportFile>& files) {
  return to_json(json::object{{"type", "files"}, {"experiment", experiment}, {"files", links(files, register_files(files))}});
}

void Dashboard::finish(std::vector<ReportFile> files) {
  json::array linked = links(files, register_files(files));
  ended_ = true;
  log_.append(to_json(json::object{{"type", "end"}, {"files", linked}}));
}

void Dashboard::stop() {
  if (!server_) return;
  server_->stop();
  server_->wait();
  server_.reset();
}

void Dashboard::add_routes() {
  router_.get("/", [this](http::Request&) -> asio::awaitable<http::Response> {
    co_return http::Response::text(200, page_, "text/html; charset=utf-8");
  });
  router_.get("/progress", [this](http::Request& req) -> asio::awaitable<http::Response> {
    const double after = parse_number(req.query_param("after").value_or("0"));
    if (!(after >= 0) || after != std::floor(after))
      throw http::HttpError(400, http::code::kInvalidInput, "after must be a whole number >= 0");
    std::string body = "[";
    for (const auto& e : log_.from(static_cast<std::size_t>(after), kEventsPerPoll)) {
      if (body.size() > 1) body += ',';
      body += e;
    }
    co_return http::Response::json_text(200, body + "]");
  });
  router_.get("/events", [this](http::Request& req) -> asio::awaitable<http::Response> {
    // A reconnecting EventSource says where it was.
    const double last = parse_number(req.header("Last-Event-ID"));
    auto next = std::make_shared<std::size_t>(last >= 0 ? static_cast<std::size_t>(last) : 0);
    auto idle_rounds = std::make_shared<int>(0);
    co_return http::Response::event_stream(
        [this, next, idle_rounds]() -> asio::awaitable<std::optional<std::string>> {
          asio::steady_timer timer(co_await asio::this_coro::executor);
          for (auto waited = std::chrono::milliseconds(0); waited < kStreamIdle; waited += kStreamPoll) {
            const bool ended = ended_.load();  // read before the log: the end event is then in it
            auto events = log_.from(*next, kEventsPerPiece);
            if (!events.empty()) {
              std::string piece = sse_piece(events, *next);
              *next += events.size();
              *idle_rounds = 0;
              co_return piece;
            }
            if (ended) co_return std::nullopt;
            timer.expires_after(kStreamPoll);
            co_await timer.async_wait(asio::use_awaitable);
          }
          co_return ++*idle_rounds % kIdleRoundsPerPing == 0 ? std::string(": ping\n\n") : std::string();
        });
  });
  router_.post("/control", [this](http::Request& req) -> asio::awaitable<http::Response> {
    const json::value body = req.json();
    if (!body.is_object()) throw http::HttpError(400, http::code::kInvalidInput, "expected a JSON object");
    const json::object& o = body.as_object();
    if (ended_.load()) throw http::HttpError(409, http::code::kConflict, "the run has ended");
    Status st;
    if (const auto* stop = field(o, "stop"); stop && stop->is_bool() && stop->as_bool()) {
      control_.stop();
    } else if (opts_.kind != DashboardKind::kLoad) {
      throw http::HttpError(409, http::code::kConflict, R"(an experiment's load is its own: only {"stop": true})");
    } else if (field(o, "users")) {
      const double users = number_field(o, "users");
      const double spawn = field(o, "spawn_rate") ? number_field(o, "spawn_rate") : 0;
      if (!(users >= 0) || users != std::floor(users) || users > LiveControl::kMaxUsers)
        throw http::HttpError(400, http::code::kInvalidInput,
                              fmt::format("users must be a whole number from 0 to {}", LiveControl::kMaxUsers));
      st = control_.set_users(static_cast<unsigned>(users), spawn);
    } else if (field(o, "rate")) {
      st = control_.set_rate(number_field(o, "rate"));
    } else {
      throw http::HttpError(400, http::code::kInvalidInput,
                            R"(expected {"users": N, "spawn_rate": R}, {"rate": R} or {"stop": true})");
    }
    if (!st) {
      const bool conflict = st.error().kind == ErrorKind::kConflict;
      throw http::HttpError(conflict ? 409 : 400, conflict ? http::code::kConflict : http::code::kInvalidInput,
                            st.error().message);
    }
    co_return http::Response::json(202, json::object{{"accepted", o}});
  });
  router_.get("/files/{name}", [this](http::Request& req) -> asio::awaitable<http::Response> {
    std::filesystem::path path;
    {
      core::MutexLock lock(files_mu_);
      for (const auto& [served, file] : files_)
        if (served == req.param("name")) path = file;
    }
    std::ifstream in(path, std::ios::binary);
    if (path.empty() || !in) throw http::HttpError(404, http::code::kNotFound, "no such report file (yet)");
    std::ostringstream content;
    content << in.rdbuf();
    const auto ext = path.extension();
    const std::string_view type = ext == ".html"  ? "text/html; charset=utf-8"
                                  : ext == ".json" ? "application/json"
                                                   : "text/csv; charset=utf-8";
    co_return http::Response::text(200, content.str(), type);
  });
}

}  // namespace scalelab::load::web
