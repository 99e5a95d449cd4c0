#include "load/scenario.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/duration.h"
#include "core/json.h"
#include "http/client.h"

namespace scalelab::load {

std::string_view to_string(ClientKind k) {
  switch (k) {
    case ClientKind::kFast: return "fast";
    case ClientKind::kSimple: return "simple";
    case ClientKind::kRuntime: return "runtime";
  }
  return "?";
}

std::string_view to_string(Model m) { return m == Model::kClosed ? "closed" : "open"; }

namespace {

// A failure at a node: carries the line for the message.
struct ParseError {
  int line;
  std::string what;
};

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] static void fail(const YAML::Node& n, const std::string& path, const std::string& what) {
    throw ParseError{n.Mark().line + 1, path.empty() ? what : path + ": " + what};
  }

  static std::string scalar(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) fail(n, path, "expected a single value");
    return n.Scalar();
  }

  static double number(const YAML::Node& n, const std::string& path, bool positive) {
    const std::string s = scalar(n, path);
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0 || (positive && v == 0))
      fail(n, path, fmt::format("expected a {} number, got '{}'", positive ? "positive" : "non-negative", s));
    return v;
  }

  static std::uint64_t integer(const YAML::Node& n, const std::string& path, bool positive) {
    const std::string s = scalar(n, path);
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || (positive && v == 0))
      fail(n, path, fmt::format("expected a {} integer, got '{}'", positive ? "positive" : "non-negative", s));
    return v;
  }

  static Micros duration(const YAML::Node& n, const std::string& path) {
    const std::string s = scalar(n, path);
    auto d = parse_duration(s);
    if (!d) fail(n, path, fmt::format("expected a duration like 250ms, 10s or 2m, got '{}'", s));
    return *d;
  }

  static Template templ(const YAML::Node& n, const std::string& path) {
    auto t = Template::compile(scalar(n, path));
    if (!t) fail(n, path, t.error().message);
    return std::move(*t);
  }

  static void only_keys(const YAML::Node& map, const std::string& path, std::initializer_list<std::string_view> keys) {
    if (!map.IsMap()) fail(map, path, "expected a mapping (key: value lines)");
    for (const auto& kv : map) {
      const std::string k = kv.first.Scalar();
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
        std::string known;
        for (auto key : keys) known += (known.empty() ? "" : ", ") + std::string(key);
        fail(kv.first, path, fmt::format("unknown key '{}' (known: {})", k, known));
      }
    }
  }

  static http::Method method(const YAML::Node& n, const std::string& path) {
    std::string s = scalar(n, path);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    static const std::pair<const char*, http::Method> kMethods[] = {
        {"GET", http::Method::kGet},       {"HEAD", http::Method::kHead},
        {"POST", http::Method::kPost},     {"PUT", http::Method::kPut},
        {"DELETE", http::Method::kDelete}, {"PATCH", http::Method::kPatch},
        {"OPTIONS", http::Method::kOptions}};
    for (const auto& [name, m] : kMethods)
      if (s == name) return m;
    fail(n, path, fmt::format("unknown HTTP method '{}'", s));
  }

  static RequestSpec request(const YAML::Node& n, const std::string& path) {
    only_keys(n, path, {"name", "method", "path", "body", "json", "headers", "expect", "capture", "weight"});
    RequestSpec r;
    r.line = n.Mark().line + 1;
    if (n["method"]) r.method = method(n["method"], path + ".method");
    if (!n["path"]) fail(n, path, "a request needs a 'path' (e.g. path: /albums)");
    r.path = templ(n["path"], path + ".path");
    if (!r.path.source().starts_with('/')) fail(n["path"], path + ".path", "must start with '/'");
    if (n["body"] && n["json"]) fail(n, path, "give either 'body' or 'json', not both");
    if (n["body"]) r.body = templ(n["body"], path + ".body");
    if (n["json"]) {
      const auto& j = n["json"];
      // A JSON body written as a string, or as YAML that is turned into JSON text.
      std::string text = j.IsScalar() ? j.Scalar() : yaml_to_json(j);
      auto t = Template::compile(text);
      if (!t) fail(j, path + ".json", t.error().message);
      r.body = std::move(*t);
      r.content_type = "application/json";
    }
    if (const auto& h = n["headers"]) {
      if (!h.IsMap()) fail(h, path + ".headers", "expected a mapping of header: value");
      for (const auto& kv : h) {
        const std::string name = kv.first.Scalar();
        if (name.empty() || name.find_first_of(" :\r\n") != std::string::npos)
          fail(kv.first, path + ".headers", fmt::format("bad header name '{}'", name));
        if (strcasecmp(name.c_str(), "content-type") == 0) {
          r.content_type = scalar(kv.second, path + ".headers." + name);
          continue;
        }
        r.headers.emplace_back(name, templ(kv.second, path + ".headers." + name));
      }
    }
    if (const auto& e = n["expect"]) {
      auto add = [&](const YAML::Node& x) {
        auto v = integer(x, path + ".expect", true);
        if (v < 100 || v > 599) fail(x, path + ".expect", fmt::format("{} is not an HTTP status", v));
        r.expect.push_back(static_cast<unsigned>(v));
      };
      if (e.IsSequence())
        for (const auto& x : e) add(x);
      else
        add(e);
    }
    if (const auto& c = n["capture"]) {
      if (!c.IsMap()) fail(c, path + ".capture", "expected a mapping of variable: json.path");
      for (const auto& kv : c) r.captures.push_back({kv.first.Scalar(), scalar(kv.second, path + ".capture")});
    }
    r.name = n["name"] ? scalar(n["name"], path + ".name")
                       : fmt::format("{} {}", http::to_string(r.method), r.path.source());
    return r;
  }

  static std::string yaml_to_json(const YAML::Node& n) {
    std::string out;
    emit_json(n, out);
    return out;
  }

  static void emit_json(const YAML::Node& n, std::string& out) {
    if (n.IsMap()) {
      out += '{';
      bool first = true;
      for (const auto& kv : n) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, kv.first.Scalar());
        out += ':';
        emit_json(kv.second, out);
      }
      out += '}';
    } else if (n.IsSequence()) {
      out += '[';
      for (std::size_t i = 0; i < n.size(); ++i) {
        if (i) out += ',';
        emit_json(n[i], out);
      }
      out += ']';
    } else if (n.IsNull()) {
      out += "null";
    } else {
      // Plain scalars that read as numbers or booleans stay unquoted; quoted
      // YAML strings (Tag "!") stay strings. A value that is one numeric
      // template ("{{randint 1 9}}", "{{user}}", "{{seq}}", quoted or not) is
      // emitted raw, so it renders as a JSON number.
      const std::string& s = n.Scalar();
      const bool quoted = n.Tag() == "!";
      double d;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      const bool numeric = !s.empty() && ec == std::errc() && p == s.data() + s.size();
      std::string inner;
      if (s.starts_with("{{") && s.ends_with("}}") && s.find("{{", 2) == std::string::npos) {
        inner = s.substr(2, s.size() - 4);
        inner.erase(0, inner.find_first_not_of(' '));
        inner.erase(inner.find_last_not_of(' ') + 1);
      }
      const bool numeric_template =
          inner.starts_with("randint ") || inner == "user" || inner == "user_id" || inner == "seq";
      if (numeric_template || (!quoted && (numeric || s == "true" || s == "false")))
        out += s;
      else
        append_json_string(out, s);
    }
  }

  static TaskSpec task(const YAML::Node& n, const std::string& path) {
    if (!n.IsMap()) fail(n, path, "expected a task (a mapping with 'requests' or one request's keys)");
    TaskSpec t;
    if (n["requests"]) {
      only_keys(n, path, {"name", "weight", "requests"});
      const auto& rs = n["requests"];
      if (!rs.IsSequence() || rs.size() == 0)
        fail(rs, path + ".requests", "expected a non-empty list of requests");
      for (std::size_t i = 0; i < rs.size(); ++i)
        t.requests.push_back(request(rs[i], fmt::format("{}.requests[{}]", path, i)));
      t.name = n["name"] ? scalar(n["name"], path + ".name") : t.requests.front().name;
    } else {
      t.requests.push_back(request(n, path));  // a one-request task
      t.name = t.requests.front().name;
    }
    if (n["weight"]) {
      auto w = integer(n["weight"], path + ".weight", true);
      if (w > 1'000'000) fail(n["weight"], path + ".weight", "weight above 1000000");
      t.weight = static_cast<unsigned>(w);
    }
    return t;
  }

  static WaitSpec wait(const YAML::Node& n, const std::string& path) {
    WaitSpec w;
    if (n.IsScalar()) {
      if (n.Scalar() == "none" || n.Scalar() == "0") return w;
      w.kind = WaitSpec::Kind::kConstant;
      w.a = duration(n, path);
      return w;
    }
    only_keys(n, path, {"constant", "between", "pacing"});
    if (n.size() != 1) fail(n, path, "give exactly one of constant, between, pacing");
    if (n["constant"]) {
      w.kind = WaitSpec::Kind::kConstant;
      w.a = duration(n["constant"], path + ".constant");
    } else if (n["pacing"]) {
      w.kind = WaitSpec::Kind::kPacing;
      w.a = duration(n["pacing"], path + ".pacing");
    } else {
      const auto& b = n["between"];
      if (!b.IsSequence() || b.size() != 2) fail(b, path + ".between", "expected [MIN, MAX], e.g. [500ms, 2s]");
      w.kind = WaitSpec::Kind::kBetween;
      w.a = duration(b[0], path + ".between");
      w.b = duration(b[1], path + ".between");
      if (w.b < w.a) fail(b, path + ".between", "MAX is below MIN");
    }
    return w;
  }

  // thresholds: a list whose items are a rule ("p99<50ms", "GET /a:p99<50ms")
  // or a mapping of request name to a rule or a list of rules
  // ("- GET /a: [p99<50ms, errors<1%]"; YAML reads "NAME: RULE" as a mapping).
  static void thresholds(const YAML::Node& n, Scenario& s) {
    if (!n.IsSequence()) fail(n, "thresholds", "expected a list of rules, e.g. [p99<50ms, errors<1%]");
    const std::vector<std::string> names = request_names(s);
    auto add = [&](const YAML::Node& at, const std::string& path, const std::string& text) {
      auto t = parse_threshold(text);
      if (!t) fail(at, path, t.error().message);
      if (auto st = check_threshold_names({*t}, names); !st) fail(at, path, st.error().message);
      s.thresholds.push_back(std::move(*t));
    };
    for (std::size_t i = 0; i < n.size(); ++i) {
      const std::string path = fmt::format("thresholds[{}]", i);
      const auto& item = n[i];
      if (item.IsScalar()) {
        add(item, path, item.Scalar());
        continue;
      }
      if (!item.IsMap()) fail(item, path, "expected a rule (p99<50ms) or NAME: RULE");
      for (const auto& kv : item) {
        const std::string name = scalar(kv.first, path);
        const auto& rules = kv.second;
        if (rules.IsSequence()) {
          for (const auto& r : rules) add(r, path, name + ":" + scalar(r, path));
        } else {
          add(rules, path, name + ":" + scalar(rules, path));
        }
      }
    }
  }

  Scenario scenario(const YAML::Node& root) {
    if (!root.IsMap()) fail(root, "", "a scenario is a mapping (name:, host:, tasks:, ...)");
    only_keys(root, "", {"name", "host", "model", "users", "spawn_rate", "rate", "max_in_flight", "stages",
                         "duration", "max_requests", "timeout", "client", "threads", "seed", "wait", "tasks",
                         "thresholds"});
    Scenario s;
    s.source = source_;
    if (root["name"]) s.name = scalar(root["name"], "name");
    if (root["host"]) s.host = scalar(root["host"], "host");
    if (const auto& m = root["model"]) {
      const auto v = scalar(m, "model");
      if (v == "closed") s.model = Model::kClosed;
      else if (v == "open") s.model = Model::kOpen;
      else fail(m, "model", fmt::format("expected closed or open, got '{}'", v));
    } else if (root["rate"]) {
      s.model = Model::kOpen;
    }
    if (root["users"]) s.users = static_cast<unsigned>(integer(root["users"], "users", true));
    if (root["spawn_rate"]) s.spawn_rate = number(root["spawn_rate"], "spawn_rate", false);
    if (root["rate"]) s.rate = number(root["rate"], "rate", false);
    if (root["max_in_flight"])
      s.max_in_flight = static_cast<unsigned>(integer(root["max_in_flight"], "max_in_flight", true));
    if (const auto& st = root["stages"]) {
      if (!st.IsSequence() || st.size() == 0) fail(st, "stages", "expected a list of {duration, target}");
      for (std::size_t i = 0; i < st.size(); ++i) {
        const std::string p = fmt::format("stages[{}]", i);
        only_keys(st[i], p, {"duration", "target"});
        if (!st[i]["duration"] || !st[i]["target"]) fail(st[i], p, "a stage needs duration and target");
        s.stages.push_back({duration(st[i]["duration"], p + ".duration"), number(st[i]["target"], p + ".target", false)});
      }
    }
    if (root["duration"]) s.duration = duration(root["duration"], "duration");
    if (root["max_requests"]) s.max_requests = integer(root["max_requests"], "max_requests", true);
    if (root["timeout"]) {
      s.timeout = duration(root["timeout"], "timeout");
      if (s.timeout.count() == 0) fail(root["timeout"], "timeout", "must be above 0");
    }
    if (const auto& c = root["client"]) {
      const auto v = scalar(c, "client");
      if (v == "fast") s.client = ClientKind::kFast;
      else if (v == "simple") s.client = ClientKind::kSimple;
      else if (v == "runtime") s.client = ClientKind::kRuntime;
      else fail(c, "client", fmt::format("expected fast, simple or runtime, got '{}'", v));
    }
    if (root["threads"]) s.threads = static_cast<unsigned>(integer(root["threads"], "threads", true));
    if (root["seed"]) s.seed = integer(root["seed"], "seed", false);
    if (root["wait"]) s.wait = wait(root["wait"], "wait");
    const auto& tasks = root["tasks"];
    if (!tasks) fail(root, "", "no 'tasks': a scenario needs at least one task");
    if (!tasks.IsSequence() || tasks.size() == 0) fail(tasks, "tasks", "expected a non-empty list of tasks");
    for (std::size_t i = 0; i < tasks.size(); ++i) s.tasks.push_back(task(tasks[i], fmt::format("tasks[{}]", i)));
    if (const auto& th = root["thresholds"]) thresholds(th, s);
    // Variables must be captured somewhere before they can be read.
    std::set<std::string> captured;
    for (const auto& t : s.tasks)
      for (const auto& r : t.requests)
        for (const auto& c : r.captures) captured.insert(c.var);
    for (std::size_t i = 0; i < tasks.size(); ++i)
      for (const auto& r : s.tasks[i].requests) {
        std::vector<std::string> used = r.path.variables();
        for (auto& v : r.body.variables()) used.push_back(v);
        for (const auto& [k, h] : r.headers)
          for (auto& v : h.variables()) used.push_back(v);
        for (const auto& v : used)
          if (!captured.count(v))
            throw ParseError{r.line, fmt::format("{}: {{{{{}}}}} is not a template function and no request "
                                                 "captures a variable '{}'",
                                                 r.name, v, v)};
      }
    return s;
  }

 private:
  std::string source_;
};

}  // namespace

std::vector<std::string> request_names(const Scenario& s) {
  std::vector<std::string> names;
  for (const auto& t : s.tasks)
    for (const auto& r : t.requests) names.push_back(r.name);
  return names;
}

Status validate(const Scenario& s) {
  auto bad = [&](const std::string& what) {
    return Error{ErrorKind::kInvalidInput, fmt::format("{}: {}", s.source.empty() ? s.name : s.source, what)};
  };
  if (s.tasks.empty()) return bad("no tasks");
  for (const auto& t : s.tasks)
    if (t.requests.empty() || t.weight == 0) return bad(fmt::format("task '{}' has no requests or weight 0", t.name));
  if (s.host.empty()) return bad("no host: set 'host: http://HOST:PORT' or pass --host");
  if (auto ep = http::parse_http_url(s.host); !ep) return bad("host: " + ep.error().message);
  if (s.duration.count() == 0 && s.max_requests == 0) {
    Micros staged{0};
    for (const auto& st : s.stages) staged += st.duration;
    if (staged.count() == 0) return bad("unbounded: set duration and/or max_requests (a run must stop by itself)");
  }
  if (s.model == Model::kOpen) {
    if (s.rate <= 0 && s.stages.empty()) return bad("open model needs 'rate' or 'stages'");
    if (s.client == ClientKind::kSimple) return bad("the open model needs the fast or runtime client");
  }
  if (s.client == ClientKind::kSimple) {
    unsigned users = s.users;
    for (const auto& st : s.stages) users = std::max(users, static_cast<unsigned>(st.target));
    if (users > 2000) return bad("the simple client runs a thread per user: at most 2000 users");
  }
  if (s.threads == 0 || s.threads > 256) return bad("threads must be 1..256");
  if (auto st = check_threshold_names(s.thresholds, request_names(s)); !st) return bad(st.error().message);
  return {};
}

Result<Scenario> parse_scenario(std::string_view yaml, std::string_view source) {
  Scenario s;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    s = Reader(std::string(source)).scenario(root);
  } catch (const ParseError& e) {
    return Error{ErrorKind::kInvalidInput, fmt::format("{}:{}: {}", source, e.line, e.what)};
  } catch (const YAML::Exception& e) {
    return Error{ErrorKind::kInvalidInput, fmt::format("{}:{}: {}", source, e.mark.line + 1, e.msg)};
  }
  return s;
}

Result<Scenario> load_scenario_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return Error{ErrorKind::kInvalidInput, fmt::format("{}: cannot read the file", file.string())};
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_scenario(ss.str(), file.string());
}

Result<Scenario> quick_scenario(std::string_view url) {
  auto ep = http::parse_http_url(url);
  if (!ep) return ep.error();
  Scenario s;
  s.name = "quick";
  s.source = "--url";
  s.host = fmt::format("http://{}:{}", ep->host, ep->port);
  TaskSpec t;
  RequestSpec r;
  auto path = Template::compile(ep->path);
  if (!path) return path.error();
  r.path = std::move(*path);
  r.name = fmt::format("GET {}", ep->path);
  t.name = r.name;
  t.requests.push_back(std::move(r));
  s.tasks.push_back(std::move(t));
  return s;
}

}  // namespace scalelab::load
