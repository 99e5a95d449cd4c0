// ThreadSanitizer reports the plain counter's data race. The racy counter
// is a child binary built with TSan in every preset (tests/CMakeLists.txt),
// so this test runs everywhere, CI included; it reads the child's stderr.
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace {

std::string run_and_capture(const std::string& command) {
  std::string out;
  if (std::FILE* p = popen(command.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
  }
  return out;
}

TEST(Hw3Tsan, ThreadSanitizerReportsTheRacyCounter) {
  // exitcode=0 and no halting: the race is the expected outcome, not a failure of the child.
  const std::string out =
      run_and_capture("TSAN_OPTIONS='halt_on_error=0 exitcode=0' " + std::string(HW3_RACY_COUNTER) + " 4 10000 2>&1");
  EXPECT_NE(out.find("WARNING: ThreadSanitizer: data race"), std::string::npos) << out;
  const bool points_at_counter =
      out.find("racy_counter") != std::string::npos || out.find("RacyCounter") != std::string::npos;
  EXPECT_TRUE(points_at_counter) << "the report should point at the racy counter:\n" << out;
}

}  // namespace
