#include "core/file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace scalelab {
namespace {

TEST(ReadText, ReturnsTheWholeFileBytesIncluded) {
  const auto path = std::filesystem::temp_directory_path() / ("scalelab-read-text-" + std::to_string(getpid()));
  const std::string content("line 1\nline 2\0binary\r\n", 23);
  std::ofstream(path, std::ios::binary) << content;
  EXPECT_EQ(read_text(path), content);
  std::filesystem::remove(path);
}

TEST(ReadText, AMissingFileReadsAsEmpty) {
  EXPECT_EQ(read_text("/nonexistent/scalelab/file"), "");
}

TEST(WriteText, ReplacesTheWholeContentExactly) {
  const auto path = std::filesystem::temp_directory_path() / ("scalelab-write-text-" + std::to_string(getpid()));
  ASSERT_TRUE(write_text(path, "a longer first content\n").ok());
  ASSERT_TRUE(write_text(path, "short").ok());
  EXPECT_EQ(read_text(path), "short");
  std::filesystem::remove(path);
}

TEST(WriteText, AnUnwritablePathIsUnavailableAndNamed) {
  auto st = write_text("/nonexistent/scalelab/file", "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(st.error().message.find("/nonexistent/scalelab/file"), std::string::npos);
}

}  // namespace
}  // namespace scalelab
