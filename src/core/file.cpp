#include "core/file.h"

#include <fstream>
#include <iterator>

namespace scalelab {

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace scalelab
