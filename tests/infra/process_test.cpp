#include "infra/process.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "support/test_server.h"
#include "support/eventually.h"

namespace scalelab::infra {
namespace {

using namespace std::chrono_literals;

using testkit::read_file;

TEST(Process, ReportsTheExitCodeOfAProgramThatEnds) {
  auto p = Process::spawn({.argv = {"sh", "-c", "exit 7"}});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->wait_for(10s), 7);
  EXPECT_FALSE(p->running());
}

TEST(Process, FailsClearlyWhenTheProgramDoesNotExist) {
  auto p = Process::spawn({.argv = {"/nonexistent/scalelab-no-such-program"}});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(p.error().message.find("No such file"), std::string::npos) << p.error().message;
}

TEST(Process, WritesOutputAndEnvironmentToTheLogFile) {
  auto log = std::filesystem::temp_directory_path() / ("process_test_" + std::to_string(getpid()) + ".log");
  std::filesystem::remove(log);
  auto p = Process::spawn({.argv = {"sh", "-c", "echo out=$SCALELAB_PROCESS_TEST; echo err >&2"},
                           .env = {{"SCALELAB_PROCESS_TEST", "42"}},
                           .log_file = log});
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->wait_for(10s), 0);
  EXPECT_EQ(read_file(log), "out=42\nerr\n");
  EXPECT_EQ(std::getenv("SCALELAB_PROCESS_TEST"), nullptr);  // the parent's environment is unchanged
  std::filesystem::remove(log);
}

TEST(Process, StopEndsTheWholeProcessGroup) {
  // The shell starts a grandchild; stopping the shell must stop it too.
  auto pidfile = std::filesystem::temp_directory_path() / ("process_test_" + std::to_string(getpid()) + ".pid");
  std::filesystem::remove(pidfile);
  auto p = Process::spawn({.argv = {"sh", "-c", "sleep 60 & echo $! > " + pidfile.string() + "; wait"}});
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(scalelab::testkit::eventually([&] { return !read_file(pidfile).empty(); }, 2s));
  pid_t grandchild = std::stoi(read_file(pidfile));
  EXPECT_EQ(::kill(grandchild, 0), 0);
  p->stop(2s);
  EXPECT_FALSE(p->running());
  // The grandchild is reparented and reaped by init; give it a moment to go.
  EXPECT_TRUE(scalelab::testkit::eventually([&] { return ::kill(grandchild, 0) != 0; }, 2s));
  std::filesystem::remove(pidfile);
}

TEST(Process, StopKillsAProgramThatIgnoresSigterm) {
  auto p = Process::spawn({.argv = {"sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"}});
  ASSERT_TRUE(p.ok()) << p.error().message;
  std::this_thread::sleep_for(100ms);  // let the trap be installed
  EXPECT_EQ(p->stop(200ms), 128 + SIGKILL);
}

TEST(Process, PickFreePortAndWaitForPort) {
  auto port = pick_free_port();
  ASSERT_TRUE(port.ok());
  EXPECT_GT(*port, 0);
  auto status = wait_for_port("127.0.0.1", *port, 100ms);  // nothing listens there
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kTimeout);
}

}  // namespace
}  // namespace scalelab::infra
