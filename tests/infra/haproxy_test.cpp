// The haproxy kind with a real HAProxy per test (it starts in milliseconds)
// and `scalelab serve stub` processes as its instances: servers join and
// leave through the runtime API without a reload, requests spread over the
// UP servers, a drained server leaves without a failed request, GETs survive
// an instance killed with SIGKILL (replayed on another server) while a POST
// in flight on it is not replayed, and the admin client's errors are clear.
// Health checks probe the stub's /stub/count, which answers without the
// stub's --delay, every 200 ms (a check times out after one interval, and
// 100 ms is tight on a loaded machine).
#include "infra/haproxy.h"

#include <csignal>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "http/client.h"
#include "support/eventually.h"
#include "support/test_server.h"

namespace scalelab {
namespace {

using namespace std::chrono_literals;

constexpr auto kRequestTimeout = 5s;
constexpr auto kUpTimeout = 10s;

struct Instance {
  infra::Process process;
  std::uint16_t port;
};

class Balancer : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = testkit::fresh_dir(std::string("haproxy_test_") + test->name());
    options_.health_path = "/stub/count";
    options_.check_interval = 200ms;
    options_.server_timeout = 5s;
    auto server = infra::start_haproxy({.dir = dir_, .start_timeout = 20s}, options_);
    ASSERT_TRUE(server) << server.error().message;
    haproxy_.emplace(std::move(*server));
    admin_.emplace(infra::haproxy_admin_socket(dir_), options_);
    instances_.reserve(4);  // start_instance hands out references
  }

  void TearDown() override {
    instances_.clear();
    haproxy_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A `scalelab serve stub` process answering every path after delay.
  Instance& start_instance(std::chrono::milliseconds delay = 0ms) {
    auto port = infra::pick_free_port();
    if (!port) throw std::runtime_error(port.error().message);
    auto p = infra::Process::spawn({
        .argv = {SCALELAB_BINARY, "serve", "stub", "--port", std::to_string(*port), "--threads", "1", "--delay",
                 std::to_string(delay.count()) + "ms"},
        .log_file = dir_ / ("stub-" + std::to_string(*port) + ".log"),
    });
    if (!p) throw std::runtime_error(p.error().message);
    if (auto s = infra::wait_for_port("127.0.0.1", *port, 10s); !s) throw std::runtime_error(s.error().message);
    instances_.push_back({std::move(*p), *port});
    return instances_.back();
  }

  // Joins an instance and waits until HAProxy sends it requests.
  void join(const std::string& name, const Instance& instance) {
    ASSERT_TRUE(admin_->add_server(name, "127.0.0.1", instance.port));
    ASSERT_TRUE(testkit::eventually([&] { return server(name).up; }, kUpTimeout)) << server(name).status;
  }

  infra::BackendServer server(const std::string& name) const {
    auto all = admin_->servers();
    if (all) {
      for (const auto& s : *all) {
        if (s.name == name) return s;
      }
    }
    return {.name = name, .status = "(absent)"};
  }

  http::ClientOptions frontend() const { return {.port = haproxy_->port()}; }

  std::filesystem::path dir_;
  infra::HaproxyOptions options_;
  std::optional<infra::Server> haproxy_;
  std::optional<infra::HaproxyAdmin> admin_;
  std::vector<Instance> instances_;
};

// Steady GETs through the balancer from a few threads until stopped.
class SteadyLoad {
 public:
  SteadyLoad(http::ClientOptions target, int threads) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, target] {
        http::BlockingClient client(target);
        while (!stop_.load()) {
          auto r = client.get("/item", kRequestTimeout);
          if (r && r->status == 200) {
            ok_.fetch_add(1);
          } else {
            failed_.fetch_add(1);
            std::lock_guard lock(mu_);
            last_failure_ = r ? "status " + std::to_string(r->status) : r.error().message;
          }
        }
      });
    }
  }
  ~SteadyLoad() { stop(); }
  void stop() {
    stop_.store(true);
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int ok() const { return ok_.load(); }
  int failed() const { return failed_.load(); }
  std::string last_failure() {
    std::lock_guard lock(mu_);
    return last_failure_;
  }
  // Waits until n more requests succeed than now.
  bool run_for(int n) {
    const int until = ok() + n;
    return testkit::eventually([&] { return ok() >= until || failed() > 0; }, 20s) && failed() == 0;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, failed_{0};
  std::mutex mu_;
  std::string last_failure_;
  std::vector<std::thread> threads_;
};

TEST_F(Balancer, AnEmptyBackendAnswers503) {
  http::BlockingClient client(frontend());
  auto r = client.get("/", kRequestTimeout);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 503u);
}

TEST_F(Balancer, AnAddedServerTakesRequestsOnceItsHealthCheckPasses) {
  const pid_t pid = haproxy_->process().pid();
  auto& a = start_instance();
  ASSERT_TRUE(admin_->add_server("a", "127.0.0.1", a.port));
  // Not before its checks pass (`rise` of them, 200 ms apart).
  auto joined = server("a");
  EXPECT_FALSE(joined.up) << joined.status;
  EXPECT_EQ(joined.address, "127.0.0.1:" + std::to_string(a.port));
  ASSERT_TRUE(testkit::eventually([&] { return server("a").up; }, kUpTimeout)) << server("a").status;
  EXPECT_EQ(server("a").status, "UP");
  http::BlockingClient client(frontend());
  auto r = client.get("/item", kRequestTimeout);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(server("a").total_sessions, 1u);
  // No reload: the same HAProxy process serves.
  EXPECT_TRUE(haproxy_->process().running());
  EXPECT_EQ(haproxy_->process().pid(), pid);
}

TEST_F(Balancer, AServerFailingItsHealthCheckNeverTakesRequests) {
  join("a", start_instance());
  auto port = infra::pick_free_port();  // nothing listens there
  ASSERT_TRUE(port);
  ASSERT_TRUE(admin_->add_server("ghost", "127.0.0.1", *port));
  // At once, before any check of it has run: all to "a".
  http::BlockingClient client(frontend());
  for (int i = 0; i < 10; ++i) {
    auto r = client.get("/item", kRequestTimeout);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200u);
  }
  EXPECT_EQ(server("ghost").total_sessions, 0u);
  EXPECT_EQ(server("a").total_sessions, 10u);
  EXPECT_TRUE(testkit::eventually([&] { return server("ghost").status == "DOWN"; }, kUpTimeout))
      << server("ghost").status;
}

TEST_F(Balancer, RequestsAreSpreadOverEveryUpServer) {
  const std::vector<std::string> names = {"a", "b", "c"};
  for (const auto& n : names) join(n, start_instance());
  constexpr int kRequests = 30;
  http::BlockingClient client(frontend());
  for (int i = 0; i < kRequests; ++i) {
    auto r = client.get("/item", kRequestTimeout);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->status, 200u);
  }
  // Round robin over three: a third each.
  for (const auto& n : names) EXPECT_EQ(server(n).total_sessions, kRequests / names.size()) << n;
}

TEST_F(Balancer, ConnectionsToAServerAreReused) {
  join("a", start_instance());
  constexpr int kRequests = 20;
  http::BlockingClient client(frontend());
  for (int i = 0; i < kRequests; ++i) {
    auto r = client.get("/item", kRequestTimeout);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->status, 200u);
  }
  EXPECT_EQ(server("a").total_sessions, static_cast<std::uint64_t>(kRequests));
  // One client connection, sequential requests: one server connection serves them.
  EXPECT_LE(server("a").connections_opened, 2u);
}

TEST_F(Balancer, ARemovedServerLeavesWithoutAFailedRequest) {
  for (const auto& n : {"a", "b", "c"}) join(n, start_instance(20ms));
  SteadyLoad load(frontend(), 4);
  ASSERT_TRUE(load.run_for(50)) << load.last_failure();
  ASSERT_GT(server("b").total_sessions, 0u);
  ASSERT_TRUE(admin_->remove_server("b", 5s));
  EXPECT_EQ(server("b").status, "(absent)");
  instances_[1].process.stop();  // graceful: SIGTERM once it holds no request
  EXPECT_TRUE(load.run_for(100)) << load.last_failure();
  load.stop();
  EXPECT_EQ(load.failed(), 0) << load.last_failure();
  auto left = admin_->servers();
  ASSERT_TRUE(left);
  EXPECT_EQ(left->size(), 2u);
}

TEST_F(Balancer, KillingAnInstanceWithKill9FailsNoGet) {
  for (const auto& n : {"a", "b", "c"}) join(n, start_instance(20ms));
  SteadyLoad load(frontend(), 4);
  ASSERT_TRUE(load.run_for(50)) << load.last_failure();
  instances_[1].process.signal(SIGKILL);
  // Its in-flight GETs are replayed elsewhere; new ones go elsewhere once its
  // checks fail `fall` times.
  EXPECT_TRUE(testkit::eventually([&] { return server("b").status == "DOWN"; }, kUpTimeout)) << server("b").status;
  EXPECT_TRUE(load.run_for(100)) << load.last_failure();
  load.stop();
  EXPECT_EQ(load.failed(), 0) << load.last_failure();
}

// Sends one request through the balancer on its own thread; finds the server
// it is in flight on; kills that server's instance with SIGKILL.
struct InFlight {
  std::future<Result<http::ClientResponse>> answer;
  std::string killed;
};

class BalancerInFlight : public Balancer {
 protected:
  InFlight kill_while_in_flight(http::Method method) {
    join("a", start_instance(1000ms));
    join("b", start_instance(1000ms));
    InFlight f;
    f.answer = std::async(std::launch::async, [target = frontend(), method] {
      http::BlockingClient client(target);
      return client.send({.method = method, .target = "/orders", .body = "{}", .content_type = "application/json"},
                         kRequestTimeout);
    });
    EXPECT_TRUE(testkit::eventually([&] { return server("a").current_sessions + server("b").current_sessions == 1; },
                                    5s));
    f.killed = server("a").current_sessions == 1 ? "a" : "b";
    instances_[f.killed == "a" ? 0 : 1].process.signal(SIGKILL);
    return f;
  }
  std::uint64_t sessions_of_survivor(const InFlight& f) { return server(f.killed == "a" ? "b" : "a").total_sessions; }
};

TEST_F(BalancerInFlight, AGetInFlightOnAKilledInstanceIsReplayedOnAnother) {
  auto f = kill_while_in_flight(http::Method::kGet);
  auto r = f.answer.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(sessions_of_survivor(f), 1u);
}

TEST_F(BalancerInFlight, APostInFlightOnAKilledInstanceIsNotReplayed) {
  auto f = kill_while_in_flight(http::Method::kPost);
  auto r = f.answer.get();
  ASSERT_TRUE(r) << r.error().message;
  // HAProxy's 502: the instance died holding it; it may or may not have acted on it.
  EXPECT_EQ(r->status, 502u);
  EXPECT_EQ(sessions_of_survivor(f), 0u);
}

TEST_F(Balancer, RemovingAnUnknownServerSaysSo) {
  auto s = admin_->remove_server("nosuch", 1s);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(s.error().message.find("No such server"), std::string::npos) << s.error().message;
}

TEST_F(Balancer, AddingAServerTwiceIsRefused) {
  auto& a = start_instance();
  ASSERT_TRUE(admin_->add_server("a", "127.0.0.1", a.port));
  auto s = admin_->add_server("a", "127.0.0.1", a.port);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(s.error().message.find("Already exists"), std::string::npos) << s.error().message;
}

TEST_F(Balancer, AStoppedHaproxyAdminSocketGivesAClearError) {
  haproxy_->stop();
  auto r = admin_->servers();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(r.error().message.find(infra::haproxy_admin_socket(dir_).string()), std::string::npos)
      << r.error().message;
}

TEST(HaproxyStart, AStaticBalanceAlgorithmIsRefused) {
  auto dir = testkit::fresh_dir("haproxy_test_static");
  auto r = infra::start_haproxy({.dir = dir}, {.balance = "static-rr"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab
