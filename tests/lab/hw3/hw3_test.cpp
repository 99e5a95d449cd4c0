// lab hw3 at tiny sizes: each experiment's behaviour (the atomic and the
// guarded counters are exact, every synchronised map holds every entry, the
// unsynchronised map's child reports its end without harming the test,
// unbuffered writes make far more system calls than buffered ones, the
// coroutine hand-off needs no kernel switch) and summary.json's keys.
#include <chrono>
#include <filesystem>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "support/test_server.h"

#include "lab/hw3/go_twin.h"
#include "lab/hw3/hw3.h"

namespace scalelab {
namespace {

using namespace std::chrono_literals;
using namespace lab::hw3;

std::filesystem::path temp_dir(const char* name) {
  auto dir = std::filesystem::temp_directory_path() / ("scalelab_hw3_test_" + std::to_string(getpid())) / name;
  std::filesystem::create_directories(dir);
  return dir;
}

// The lab races on purpose (the plain counter); under ThreadSanitizer that
// ends the test process, so those tests run in the other presets only (the
// tsan test checks the race is reported, in a child).
#if defined(__SANITIZE_THREAD__)
#define SKIP_THE_DELIBERATE_RACE_UNDER_TSAN() GTEST_SKIP() << "races on purpose; see Hw3Tsan"
#else
#define SKIP_THE_DELIBERATE_RACE_UNDER_TSAN() (void)0
#endif

const CounterRow& row(const AtomicityResult& r, const char* kind) {
  for (const auto& c : r.rows)
    if (c.kind == kind) return c;
  throw std::runtime_error(std::string("no row ") + kind);
}

TEST(Hw3Atomicity, AtomicAndMutexCountersAreExact) {
  SKIP_THE_DELIBERATE_RACE_UNDER_TSAN();
  const auto r = run_atomicity(8, 2'000, 2);
  EXPECT_EQ(row(r, "atomic").final_value, 16'000u);
  EXPECT_EQ(row(r, "mutex").final_value, 16'000u);
  EXPECT_LE(row(r, "plain").final_value, 16'000u);
  EXPECT_EQ(row(r, "plain-long").expected, 32'000u);
  EXPECT_EQ(row(r, "plain").lost(), row(r, "plain").expected - row(r, "plain").final_value);
}

TEST(Hw3Maps, SynchronisedMapsHoldEveryEntry) {
  for (MapKind kind : kMapKinds) {
    const FillRun f = fill_map(kind, 8, 500);
    EXPECT_EQ(f.entries, 4'000u) << to_string(kind);
  }
}

TEST(Hw3Maps, ReadMixKeepsEveryEntry) {
  for (MapKind kind : kMapKinds) EXPECT_EQ(read_mix(kind, 4, 250, 1'000).entries, 1'000u) << to_string(kind);
}

TEST(Hw3Maps, ChildWithOneWriterFinishesWithEveryEntry) {
  const UnsyncRun u = unsync_map_in_child(1, 3'000, 10s);
  ASSERT_EQ(u.end, UnsyncRun::End::kFinished);
  EXPECT_EQ(u.entries, 3'000u);
}

TEST(Hw3Maps, RacingChildReportsCrashOrEntriesWithoutKillingTheTest) {
  const UnsyncRun u = unsync_map_in_child(16, 5'000, 5s);
  switch (u.end) {
    case UnsyncRun::End::kFinished: EXPECT_LE(u.entries, 80'000u); break;
    case UnsyncRun::End::kCrashed: EXPECT_EQ(u.entries, 0u); break;
    case UnsyncRun::End::kHung: EXPECT_EQ(u.signal, SIGALRM); break;
  }
}

TEST(Hw3FileIo, UnbufferedMakesFarMoreSyscallsThanBuffered) {
  const auto dir = temp_dir("file_io");
  const WriteRun u = write_lines(dir / "u.txt", 2'000, WriteMode::kUnbuffered);
  const WriteRun b = write_lines(dir / "b.txt", 2'000, WriteMode::kBuffered);
  ASSERT_TRUE(u.ok && b.ok);
  if (!u.syscalls || !b.syscalls) GTEST_SKIP() << "this kernel has no /proc/self/io syscw";
  EXPECT_GE(*u.syscalls, 2'000u);
  EXPECT_LE(*b.syscalls, 10u);
  EXPECT_FALSE(std::filesystem::exists(dir / "u.txt"));
}

TEST(Hw3ContextSwitch, CoroutinesHandOffWithoutKernelSwitches) {
  const SwitchRow co = ping_pong(HandOff::kCoroutine, true, 2'000);
  EXPECT_GT(co.ns_per_switch, 0);
  EXPECT_LT(co.voluntary, 200);  // 4,000 hand-offs, none of them blocking in the kernel
}

// On one core every hand-off is a kernel switch: voluntary when the waiter
// blocks first, involuntary when the woken thread preempts the waker.
TEST(Hw3ContextSwitch, PinnedThreadsSwitchInTheKernelForEachHandOff) {
  const SwitchRow cv = ping_pong(HandOff::kCondvar, true, 2'000);
  EXPECT_GE(cv.voluntary + cv.involuntary, 2'000);
  const SwitchRow pipe = ping_pong(HandOff::kPipe, true, 2'000);
  EXPECT_GE(pipe.voluntary + pipe.involuntary, 2'000);
}

TEST(Hw3FalseSharing, MeasuresBothLayouts) {
  const auto r = run_false_sharing(10'000, 2);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].layout, "adjacent");
  EXPECT_EQ(r.rows[1].layout, "padded");
  EXPECT_GT(r.rows[0].ns_per_increment, 0);
  EXPECT_LE(r.rows[0].ns_per_increment, r.rows[0].ns_mean);
}

TEST(Hw3GoTwin, RowsLandBesideTheCppRows) {
  lab::Hw3Result r;
  const auto s = add_go_rows(R"({"version":"go1.19","atomicity":[{"kind":"atomic","increments":10,"expected":20,
    "final":20,"ns_per_increment":3}],"maps":[{"name":"sync.Map","workload":"write","expected":20,"entries":20,
    "ms":[1,3],"outcome":"ok"}],"file_io":[{"name":"buffered","lines":5,"ms":[2],"syscalls":-1}],
    "context_switch":[{"name":"channel","pinned":true,"round_trips":7,"ns_per_switch":90,"voluntary":0,
    "involuntary":1}],"false_sharing":[{"layout":"padded","threads":2,"increments":9,"ns_per_increment":4,
    "ns_mean":5}]})",
                             r);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(r.go.ran);
  ASSERT_EQ(r.maps.rows.size(), 1u);
  EXPECT_EQ(r.maps.rows[0].language, "Go");
  EXPECT_DOUBLE_EQ(r.maps.rows[0].ms.mean, 2);
  EXPECT_FALSE(r.file_io.rows[0].syscalls.has_value());
  EXPECT_EQ(r.context_switch.rows[0].round_trips, 7);
}

TEST(Hw3GoTwin, RunsBesideCppWhenGoIsInstalled) {
  if (find_go().empty()) GTEST_SKIP() << "go is not installed (scripts/setup.sh --bench installs it)";
  lab::Hw3Options o;
  o.out_dir = temp_dir("go");
  o.threads = 4;
  o.per_thread = 100;
  o.runs = 1;
  o.read_mix_ops = 100;
  o.lines = 200;
  o.round_trips = 100;
  o.false_sharing_increments = 1'000;
  o.long_factor = 2;
  lab::Hw3Result r;
  const auto s = run_go_twin(o, r);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(r.go.ran);
  EXPECT_EQ(r.go.version.rfind("go", 0), 0u) << r.go.version;
  for (const auto& c : r.atomicity.rows) {
    if (c.kind == "atomic") {
      EXPECT_EQ(c.final_value, 400u);
    }
  }
  for (const auto& m : r.maps.rows) {
    if (m.name == "sync.Map") {
      EXPECT_EQ(m.entries, 400);
    }
  }
  EXPECT_EQ(r.context_switch.rows.size(), 2u);
}

TEST(Hw3GoTwin, MalformedOutputIsAnError) {
  lab::Hw3Result r;
  EXPECT_FALSE(add_go_rows(R"({"version":"go1.19"})", r));
  EXPECT_FALSE(r.go.ran);
}

TEST(Hw3Lab, SummaryJsonHasTheCourseKeys) {
  SKIP_THE_DELIBERATE_RACE_UNDER_TSAN();
  lab::Hw3Options o;
  o.out_dir = temp_dir("lab");
  o.threads = 4;
  o.per_thread = 200;
  o.runs = 2;
  o.read_mix_ops = 200;
  o.lines = 500;
  o.round_trips = 200;
  o.false_sharing_increments = 10'000;
  o.long_factor = 2;
  o.go = false;
  o.progress = false;
  auto r = lab::run_hw3(o);
  ASSERT_TRUE(r) << r.error().message;
  auto files = lab::render_hw3(*r, o.out_dir);
  ASSERT_TRUE(files) << files.error().message;
  const auto doc = boost::json::parse(testkit::read_file(files->json)).as_object();
  EXPECT_EQ(boost::json::value_to<std::uint64_t>(doc.at("counter_atomic_final")), 800u);
  EXPECT_TRUE(doc.contains("counter_plain_final"));
  const auto& maps = doc.at("maps").as_array();
  EXPECT_EQ(maps.size(), 10u);  // 2 unsynchronised, 4 kinds x (write, read90)
  for (const char* key : {"name", "entries", "ms"}) EXPECT_TRUE(maps[0].as_object().contains(key)) << key;
  const auto& io = doc.at("file_io").as_object();
  for (const char* key : {"unbuffered_ms", "buffered_ms", "unbuffered_syscalls", "buffered_syscalls"})
    EXPECT_TRUE(io.contains(key)) << key;
  const auto& cs = doc.at("context_switch").as_object();
  for (const char* key : {"pinned_ns", "free_ns", "coroutine_ns"}) EXPECT_TRUE(cs.contains(key)) << key;
  EXPECT_FALSE(doc.at("go").as_object().at("ran").as_bool());
  EXPECT_TRUE(std::filesystem::exists(files->report));
  EXPECT_EQ(files->csv.size(), 5u);
}

}  // namespace
}  // namespace scalelab
