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

}  // namespace
}  // namespace scalelab
