#include "core/file.h"

#include <fstream>
#include <iterator>

#include <fmt/format.h>

namespace scalelab {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Status write_text(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Error{ErrorKind::kUnavailable, fmt::format("cannot write {}", file.string())};
  return {};
}

}  // namespace scalelab
