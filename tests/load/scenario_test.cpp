#include "load/scenario.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "load/engine.h"
#include "load/stats.h"
#include "load/template.h"
#include "load/wire.h"

using namespace scalelab;
using namespace scalelab::load;
using namespace std::chrono_literals;

namespace {

std::string error_of(std::string_view yaml) {
  auto s = parse_scenario(yaml, "bad.yaml");
  return s.ok() ? std::string("(parsed)") : s.error().message;
}

}  // namespace

TEST(ScenarioFile, EveryExampleParsesAndValidates) {
  const std::filesystem::path dir = SCALELAB_SOURCE_DIR "/examples";
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    auto s = load_scenario_file(entry.path());
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_TRUE(validate(*s).ok()) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 3);
}

TEST(ScenarioFile, AlbumsExampleHasGetPostAtThreeToOne) {
  auto s = load_scenario_file(SCALELAB_SOURCE_DIR "/examples/albums.yaml");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->tasks.size(), 2u);
  EXPECT_EQ(s->tasks[0].weight, 3u);
  EXPECT_EQ(s->tasks[1].weight, 1u);
  EXPECT_EQ(s->tasks[1].requests[0].method, http::Method::kPost);
  EXPECT_EQ(s->tasks[1].requests[0].content_type, "application/json");
  EXPECT_EQ(s->users, 50u);
  EXPECT_DOUBLE_EQ(s->spawn_rate, 10);
  EXPECT_EQ(s->wait.kind, WaitSpec::Kind::kBetween);
  EXPECT_EQ(s->wait.a, 100ms);
  EXPECT_EQ(s->wait.b, 500ms);
  ASSERT_EQ(s->thresholds.size(), 4u);
  EXPECT_EQ(s->thresholds[1].name, "GET /albums/{id}");
  EXPECT_EQ(s->thresholds[1].text, "GET /albums/{id}:p99<50ms");
}

TEST(ScenarioFile, ReadsEveryField) {
  auto s = parse_scenario(R"(
name: full
host: http://127.0.0.1:9/api
model: open
rate: 250
max_in_flight: 40
duration: 1m
max_requests: 1000
timeout: 2s
client: runtime
threads: 3
seed: 7
tasks:
  - name: journey
    weight: 2
    requests:
      - method: post
        path: /items
        body: "raw {{seq}}"
        headers: {X-Trace: "t{{user}}", Content-Type: text/plain}
        expect: [201, 409]
        capture: {item: data.id}
      - path: /items/{{item}}
)");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->model, Model::kOpen);
  EXPECT_DOUBLE_EQ(s->rate, 250);
  EXPECT_EQ(s->max_in_flight, 40u);
  EXPECT_EQ(s->duration, 60s);
  EXPECT_EQ(s->max_requests, 1000u);
  EXPECT_EQ(s->timeout, 2s);
  EXPECT_EQ(s->client, ClientKind::kRuntime);
  EXPECT_EQ(s->threads, 3u);
  const auto& r = s->tasks[0].requests[0];
  EXPECT_EQ(r.name, "POST /items");
  EXPECT_EQ(r.content_type, "text/plain");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "X-Trace");
  EXPECT_EQ(r.expect, (std::vector<unsigned>{201, 409}));
  ASSERT_EQ(r.captures.size(), 1u);
  EXPECT_EQ(r.captures[0].json_path, "data.id");
  EXPECT_EQ(r.line, 17);
  EXPECT_TRUE(validate(*s).ok());
}

TEST(ScenarioFile, JsonBodyFromYamlKeepsNumbersAndRendersNumericTemplatesRaw) {
  auto s = parse_scenario(R"(
host: http://127.0.0.1:9
duration: 1s
tasks:
  - method: POST
    path: /a
    json: {id: "x{{user}}", n: "{{randint 5 5}}", price: 1.5, ok: true, name: "7", tags: [a, b]}
)");
  ASSERT_TRUE(s.ok()) << s.error().message;
  UserContext ctx;
  ctx.user = 3;
  auto body = s->tasks[0].requests[0].body.render(ctx);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, R"({"id":"x3","n":5,"price":1.5,"ok":true,"name":"7","tags":["a","b"]})");
}

TEST(ScenarioFile, ErrorsNameTheFileLineAndProblem) {
  EXPECT_EQ(error_of("host: http://x\ntasks:\n  - path: /a\n    weight: x\n"),
            "bad.yaml:4: tasks[0].weight: expected a positive integer, got 'x'");
  EXPECT_EQ(error_of("host: http://x\nusers: 2\ntaks: []\n").substr(0, 40),
            "bad.yaml:3: unknown key 'taks' (known: n");
  EXPECT_EQ(error_of("host: http://x\ntasks:\n  - method: GET\n"),
            "bad.yaml:3: tasks[0]: a request needs a 'path' (e.g. path: /albums)");
  EXPECT_EQ(error_of("host: http://x\ntasks:\n  - path: /a\n  - path: /b/{{rand 1 2}}\n").substr(0, 37),
            "bad.yaml:4: tasks[1].path: unknown te");
  EXPECT_EQ(error_of("host: http://x\nduration: soon\ntasks: [{path: /}]\n"),
            "bad.yaml:2: duration: expected a duration like 250ms, 10s or 2m, got 'soon'");
  EXPECT_EQ(error_of("host: http://x\ntasks:\n  - path: /a\n    method: FETCH\n"),
            "bad.yaml:4: tasks[0].method: unknown HTTP method 'FETCH'");
  EXPECT_EQ(error_of("host: http://x\ntasks:\n  - path: /a\n    expect: 999\n"),
            "bad.yaml:4: tasks[0].expect: 999 is not an HTTP status");
  EXPECT_EQ(error_of("host: http://x\nwait: {between: [2s, 1s]}\ntasks: [{path: /}]\n"),
            "bad.yaml:2: wait.between: MAX is below MIN");
  EXPECT_EQ(error_of("host: http://x\ntasks:\n  - path: a\n"), "bad.yaml:3: tasks[0].path: must start with '/'");
  EXPECT_EQ(error_of("host: http://x\n"), "bad.yaml:1: no 'tasks': a scenario needs at least one task");
}

TEST(ScenarioFile, YamlSyntaxErrorHasALine) {
  const auto e = error_of("host: http://x\ntasks:\n  - path: /a\n   bad: [unclosed\n");
  EXPECT_EQ(e.rfind("bad.yaml:", 0), 0u) << e;
  EXPECT_NE(e.find(":4:"), std::string::npos) << e;
}

TEST(ScenarioFile, AVariableNoRequestCapturesIsAnError) {
  EXPECT_EQ(error_of("host: http://x\ntasks:\n  - path: /a\n  - path: /b/{{album}}\n"),
            "bad.yaml:4: GET /b/{{album}}: {{album}} is not a template function and no request captures a "
            "variable 'album'");
}

TEST(ScenarioFile, MissingFileIsAClearError) {
  auto s = load_scenario_file("/nonexistent/x.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "/nonexistent/x.yaml: cannot read the file");
}

TEST(ScenarioValidate, RequiresHostAndABound) {
  auto s = parse_scenario("tasks: [{path: /}]\n");
  ASSERT_TRUE(s.ok());
  EXPECT_NE(validate(*s).error().message.find("no host"), std::string::npos);
  s->host = "http://127.0.0.1:1";
  EXPECT_NE(validate(*s).error().message.find("unbounded"), std::string::npos);
  s->max_requests = 5;
  EXPECT_TRUE(validate(*s).ok());
  s->model = Model::kOpen;
  EXPECT_NE(validate(*s).error().message.find("open model needs"), std::string::npos);
}

TEST(Template, RendersFunctionsWithinTheirRanges) {
  auto t = Template::compile("/a/{{randint 3 5}}/{{choice x y}}/{{user}}/{{seq}}");
  ASSERT_TRUE(t.ok()) << t.error().message;
  UserContext ctx;
  ctx.user = 9;
  ctx.seq_next = 100;
  ctx.seq_step = 4;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto s = t->render(ctx);
    ASSERT_TRUE(s.ok());
    seen.insert(s->substr(0, 7));
    EXPECT_TRUE(s->ends_with("/9/" + std::to_string(100 + 4 * i))) << *s;
  }
  EXPECT_EQ(seen, (std::set<std::string>{"/a/3/x/", "/a/3/y/", "/a/4/x/", "/a/4/y/", "/a/5/x/", "/a/5/y/"}));
}

TEST(Template, CapturedVariableFailsUntilSet) {
  auto t = Template::compile("/albums/{{album_id}}");
  ASSERT_TRUE(t.ok());
  UserContext ctx;
  auto before = t->render(ctx);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().message, "variable 'album_id' not captured yet");
  ctx.set_var("album_id", "42");
  EXPECT_EQ(*t->render(ctx), "/albums/42");
  EXPECT_EQ(t->variables(), std::vector<std::string>{"album_id"});
  EXPECT_FALSE(t->is_literal());
  EXPECT_TRUE(Template::compile("/plain")->is_literal());
}

TEST(Template, RejectsMalformedExpressions) {
  EXPECT_FALSE(Template::compile("/a/{{randint 5 1}}").ok());
  EXPECT_FALSE(Template::compile("/a/{{randint x}}").ok());
  EXPECT_FALSE(Template::compile("/a/{{choice}}").ok());
  EXPECT_FALSE(Template::compile("/a/{{user 3}}").ok());
  EXPECT_FALSE(Template::compile("/a/{{unclosed").ok());
  EXPECT_FALSE(Template::compile("/a/{{}}").ok());
}

TEST(JsonCapture, FollowsDottedPaths) {
  const std::string body = R"({"id":"a7","n":3,"items":[{"sku":"x"},{"sku":"y"}]})";
  EXPECT_EQ(*json_capture(body, "id"), "a7");
  EXPECT_EQ(*json_capture(body, "$.n"), "3");
  EXPECT_EQ(*json_capture(body, "items.1.sku"), "y");
  EXPECT_FALSE(json_capture(body, "items.5.sku").ok());
  EXPECT_FALSE(json_capture(body, "missing").ok());
  EXPECT_FALSE(json_capture("not json", "id").ok());
}

TEST(Threshold, ParsesRules) {
  auto p99 = parse_threshold("p99<50ms");
  ASSERT_TRUE(p99.ok());
  EXPECT_EQ(p99->metric, Threshold::Metric::kQuantile);
  EXPECT_DOUBLE_EQ(p99->q, 0.99);
  EXPECT_DOUBLE_EQ(p99->limit, 50);
  auto p999 = parse_threshold("p99.9<=1s");
  ASSERT_TRUE(p999.ok());
  EXPECT_DOUBLE_EQ(p999->q, 0.999);
  EXPECT_DOUBLE_EQ(p999->limit, 1000);
  EXPECT_EQ(p999->op, Threshold::Op::kLessEq);
  auto err = parse_threshold("errors<1%");
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->metric, Threshold::Metric::kErrors);
  EXPECT_DOUBLE_EQ(err->limit, 1);
  auto rps = parse_threshold("rps>=1000");
  ASSERT_TRUE(rps.ok());
  EXPECT_EQ(rps->op, Threshold::Op::kGreaterEq);
  for (const char* bad : {"p99", "p0<1ms", "p99<fast", "errors<1", "latency<1ms", "<5ms", "p99<"})
    EXPECT_FALSE(parse_threshold(bad).ok()) << bad;
}

TEST(Threshold, EvaluatesOnTheAggregate) {
  Report r;
  r.elapsed_s = 10;
  for (int i = 1; i <= 100; ++i) r.aggregate.latency_us.record(static_cast<std::uint64_t>(i) * 1000);
  r.aggregate.count = 100;
  r.aggregate.failures = 2;
  std::vector<Threshold> rules;
  for (const char* t : {"p50<60ms", "p99<50ms", "errors<1%", "errors<5%", "rps>=10", "rps>11", "max<=101ms"})
    rules.push_back(*parse_threshold(t));
  const auto res = evaluate(rules, r);
  std::vector<bool> pass;
  for (const auto& x : res) pass.push_back(x.pass);
  EXPECT_EQ(pass, (std::vector<bool>{true, false, false, true, true, false, true}));
  EXPECT_NEAR(res[2].actual, 2.0, 1e-9);
}

TEST(Threshold, LatencyRuleFailsWhenNothingRan) {
  Report r;
  const auto res = evaluate({*parse_threshold("p99<50ms")}, r);
  EXPECT_FALSE(res[0].pass);
}

TEST(Threshold, ParsesARuleOnOneRequestName) {
  auto t = parse_threshold("GET /albums/{id}:p99<50ms");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->name, "GET /albums/{id}");
  EXPECT_EQ(t->metric, Threshold::Metric::kQuantile);
  EXPECT_DOUBLE_EQ(t->q, 0.99);
  EXPECT_DOUBLE_EQ(t->limit, 50);
  EXPECT_EQ(t->text, "GET /albums/{id}:p99<50ms");
  // Split at the last ':' (a name may hold one), spaces around it ignored.
  auto colon = parse_threshold("GET /a:b : errors<=0.5%");
  ASSERT_TRUE(colon.ok()) << colon.error().message;
  EXPECT_EQ(colon->name, "GET /a:b");
  EXPECT_EQ(colon->metric, Threshold::Metric::kErrors);
  EXPECT_DOUBLE_EQ(colon->limit, 0.5);
  EXPECT_TRUE(parse_threshold("p99<50ms")->name.empty());
  EXPECT_EQ(parse_threshold(":p99<50ms").error().message.rfind("threshold ':p99<50ms': no request name before ':' (", 0),
            0u);
  for (const char* bad : {"GET /a:", "GET /a:p99", "GET /a:latency<1ms", "GET /a:p99<soon"})
    EXPECT_FALSE(parse_threshold(bad).ok()) << bad;
}

namespace {

// Two rows: /fast answers in 1..10 ms and never fails; /slow in 100..109 ms
// with 3 failures in 10.
Report two_row_report() {
  Report r;
  r.elapsed_s = 2;
  r.requests.resize(2);
  r.requests[0].name = "GET /fast";
  r.requests[1].name = "GET /slow";
  for (int i = 0; i < 10; ++i) {
    r.requests[0].latency_us.record(static_cast<std::uint64_t>(i + 1) * 1000);
    r.requests[1].latency_us.record(static_cast<std::uint64_t>(100 + i) * 1000);
  }
  r.requests[0].count = r.requests[1].count = 10;
  r.requests[1].failures = 3;
  for (const auto& row : r.requests) r.aggregate.merge(row);
  return r;
}

std::vector<bool> passes(const std::vector<const char*>& rules, const Report& r) {
  std::vector<Threshold> parsed;
  for (const char* t : rules) parsed.push_back(*parse_threshold(t));
  std::vector<bool> out;
  for (const auto& x : evaluate(parsed, r)) out.push_back(x.pass);
  return out;
}

}  // namespace

TEST(Threshold, EvaluatesARuleOnItsRequestNameOnly) {
  const Report r = two_row_report();
  // The aggregate's p99 is the slow row's; each name is judged on its own.
  EXPECT_EQ(passes({"GET /fast:p99<20ms", "GET /slow:p99<20ms", "p99<20ms", "GET /fast:errors<1%",
                    "GET /slow:errors<1%", "GET /slow:errors<=30%", "GET /fast:rps>=5", "GET /fast:max<=11ms"},
                   r),
            (std::vector<bool>{true, false, false, true, false, true, true, true}));
  const auto res = evaluate({*parse_threshold("GET /slow:errors<1%"), *parse_threshold("errors<1%")}, r);
  EXPECT_NEAR(res[0].actual, 30.0, 1e-9);
  EXPECT_NEAR(res[1].actual, 15.0, 1e-9);
  EXPECT_NEAR(evaluate({*parse_threshold("GET /fast:rps>1")}, r)[0].actual, 5.0, 1e-9);
}

TEST(Threshold, ANameUsedWithTwoMethodsIsJudgedOnBothRows) {
  Report r = two_row_report();
  r.requests[1].name = "GET /fast";  // e.g. name: items on a GET and a POST
  EXPECT_EQ(passes({"GET /fast:p75<20ms", "GET /fast:max<50ms", "GET /fast:errors<20%"}, r),
            (std::vector<bool>{false, false, true}));
}

TEST(Threshold, ARuleOnANameThatNeverRanFails) {
  Report r = two_row_report();
  r.requests.push_back(RequestStats{.name = "GET /never"});
  EXPECT_EQ(passes({"GET /never:p99<1s", "GET /never:errors<1%"}, r), (std::vector<bool>{false, true}));
}

TEST(Threshold, AnUnknownRequestNameIsAnErrorListingTheNames) {
  const std::vector<std::string> names{"GET /a", "POST /a", "GET /a"};
  EXPECT_TRUE(check_threshold_names({*parse_threshold("GET /a:p99<1s"), *parse_threshold("p99<1s")}, names).ok());
  const auto st = check_threshold_names({*parse_threshold("GET /b:p99<1s")}, names);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message,
            "threshold 'GET /b:p99<1s': no request is named 'GET /b' (request names: GET /a, POST /a)");
}

TEST(ScenarioFile, ThresholdsAreRulesOrNameToRules) {
  auto s = parse_scenario(R"(
host: http://127.0.0.1:9
duration: 1s
tasks:
  - {name: list, path: /albums}
  - {method: POST, path: /albums}
thresholds:
  - p99<50ms
  - "list:p95<10ms"
  - POST /albums: [errors<1%, mean<=20ms]
  - list: max<1s
)");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->thresholds.size(), 5u);
  std::vector<std::string> got;
  for (const auto& t : s->thresholds) got.push_back(t.name + "|" + t.text);
  EXPECT_EQ(got, (std::vector<std::string>{"|p99<50ms", "list|list:p95<10ms", "POST /albums|POST /albums:errors<1%",
                                           "POST /albums|POST /albums:mean<=20ms", "list|list:max<1s"}));
  EXPECT_EQ(s->thresholds[2].metric, Threshold::Metric::kErrors);
  EXPECT_TRUE(validate(*s).ok());
}

TEST(ScenarioFile, ABadOrUnknownThresholdNamesTheLine) {
  const std::string head = "host: http://x\nduration: 1s\ntasks:\n  - path: /a\nthresholds:\n  - p99<1s\n";
  EXPECT_EQ(error_of(head + "  - p99<fast\n"),
            "bad.yaml:7: thresholds[1]: threshold 'p99<fast': 'fast' is not a duration like 50ms (examples: "
            "p99<50ms, mean<=20ms, errors<1%, rps>1000, 'GET /albums:p99<50ms')");
  EXPECT_EQ(error_of(head + "  - GET /b: p99<1s\n"),
            "bad.yaml:7: thresholds[1]: threshold 'GET /b:p99<1s': no request is named 'GET /b' (request names: "
            "GET /a)");
  EXPECT_EQ(error_of("host: http://x\ntasks: [{path: /a}]\nthresholds: p99<1s\n"),
            "bad.yaml:3: thresholds: expected a list of rules, e.g. [p99<50ms, errors<1%]");
}

TEST(ScenarioValidate, ThresholdsMustNameARequest) {
  auto s = parse_scenario("host: http://127.0.0.1:1\nmax_requests: 1\ntasks: [{path: /a}]\n", "s.yaml");
  ASSERT_TRUE(s.ok());
  s->thresholds.push_back(*parse_threshold("GET /a:p99<1s"));
  EXPECT_TRUE(validate(*s).ok());
  s->thresholds.push_back(*parse_threshold("GET /typo:p99<1s"));
  EXPECT_EQ(validate(*s).error().message,
            "s.yaml: threshold 'GET /typo:p99<1s': no request is named 'GET /typo' (request names: GET /a)");
}

TEST(Wire, ParsesContentLengthChunkedAndPartialResponses) {
  ParsedResponse p;
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  for (std::size_t cut = 0; cut < ok.size(); ++cut)
    EXPECT_EQ(parse_response(std::string_view(ok).substr(0, cut), false, false, p), ParseState::kNeedMore) << cut;
  ASSERT_EQ(parse_response(ok, false, false, p), ParseState::kComplete);
  EXPECT_EQ(p.status, 200u);
  EXPECT_EQ(p.body(ok), "hello");
  EXPECT_TRUE(p.keep_alive);
  EXPECT_EQ(p.consumed, ok.size());

  const std::string chunked =
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
  ASSERT_EQ(parse_response(chunked, false, false, p), ParseState::kComplete);
  EXPECT_EQ(p.status, 201u);
  EXPECT_EQ(p.body(chunked), "abcde");
  EXPECT_FALSE(p.keep_alive);
  EXPECT_EQ(parse_response(chunked.substr(0, chunked.size() - 2), false, false, p), ParseState::kNeedMore);

  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
  EXPECT_EQ(parse_response(head, true, false, p), ParseState::kComplete);
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n";
  ASSERT_EQ(parse_response(interim, false, false, p), ParseState::kComplete);
  EXPECT_EQ(p.status, 204u);
  const std::string until_close = "HTTP/1.0 200 OK\r\n\r\nbody";
  EXPECT_EQ(parse_response(until_close, false, false, p), ParseState::kNeedMore);
  ASSERT_EQ(parse_response(until_close, false, true, p), ParseState::kComplete);
  EXPECT_EQ(p.body(until_close), "body");
  EXPECT_EQ(parse_response("SSH-2.0-OpenSSH\r\n\r\n", false, false, p), ParseState::kError);
  EXPECT_EQ(parse_response("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, false, p), ParseState::kError);
}

TEST(Wire, SerialisesRequests) {
  std::string out;
  append_request(out, "POST", "/albums", "127.0.0.1:8080", "application/json", "{}", {{"X-A", "1"}});
  EXPECT_EQ(out,
            "POST /albums HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nX-A: 1\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\n\r\n{}");
  out.clear();
  append_request(out, "GET", "/", "h", "", "", {});
  EXPECT_EQ(out, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(UserProfile, SpawnRateStartsUsersOneByOne) {
  Scenario s;
  s.users = 10;
  s.spawn_rate = 2;
  UserProfile p(s);
  EXPECT_EQ(p.peak(), 10u);
  EXPECT_DOUBLE_EQ(p.users_at(0), 0);
  EXPECT_DOUBLE_EQ(p.users_at(2.5), 5);
  EXPECT_DOUBLE_EQ(p.users_at(60), 10);
  EXPECT_NEAR(p.next_active(0, 0), 0, 1e-3);
  EXPECT_NEAR(p.next_active(4, 0), 2.0, 1e-3);
  EXPECT_NEAR(p.next_active(9, 1), 4.5, 1e-3);
}

TEST(UserProfile, StagesRampHoldAndRampDown) {
  Scenario s;
  s.stages = {{10s, 100}, {20s, 100}, {10s, 0}};
  UserProfile p(s);
  EXPECT_EQ(p.peak(), 100u);
  EXPECT_DOUBLE_EQ(p.end_s(), 40);
  EXPECT_DOUBLE_EQ(p.users_at(5), 50);
  EXPECT_DOUBLE_EQ(p.users_at(20), 100);
  EXPECT_DOUBLE_EQ(p.users_at(35), 50);
  // User 60 stops during the ramp-down and never comes back.
  EXPECT_NEAR(p.next_active(60, 3), 6.0, 1e-3);
  EXPECT_NEAR(p.next_active(60, 20), 20, 1e-9);
  EXPECT_LT(p.next_active(60, 35), 0);
}

TEST(ArrivalSchedule, ConstantRateSpacesArrivalsEvenly) {
  Scenario s;
  s.rate = 100;
  ArrivalSchedule a(s, 1.0);
  EXPECT_DOUBLE_EQ(a.time_of(0), 0);
  EXPECT_NEAR(a.time_of(1), 0.01, 1e-12);
  EXPECT_NEAR(a.time_of(250), 2.5, 1e-9);
  ArrivalSchedule half(s, 0.5);  // one of two threads
  EXPECT_NEAR(half.time_of(50), 1.0, 1e-9);
}

TEST(ArrivalSchedule, StagedRateIntegratesTheRamp) {
  Scenario s;
  s.rate = 0;
  s.stages = {{10s, 100}, {10s, 100}, {10s, 0}};
  ArrivalSchedule a(s, 1.0);
  // A ramp 0 -> 100/s over 10 s brings 500 arrivals; arrival k is at sqrt(k/5).
  EXPECT_NEAR(a.time_of(125), 5.0, 1e-6);
  EXPECT_NEAR(a.time_of(500), 10.0, 1e-6);
  EXPECT_NEAR(a.time_of(1000), 15.0, 1e-6);
  EXPECT_NEAR(a.rate_at(25), 50, 1e-9);
  EXPECT_LT(a.time_of(2000), 0);  // the rate ends at 0 after 1500 arrivals
}
