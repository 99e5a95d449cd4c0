#include "report/output.h"

#include <fstream>
#include <system_error>

#include "core/json.h"

namespace scalelab::report {

Status write_file(const std::filesystem::path& file, const std::string& content) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) return Error{ErrorKind::kInvalidInput, "cannot write " + file.string()};
  out << content;
  out.close();
  if (!out) return Error{ErrorKind::kInternal, "failed writing " + file.string()};
  return {};
}

Output::Output(std::filesystem::path dir) : dir_(std::move(dir)) {}

Result<std::filesystem::path> Output::data(const std::string& name, const std::string& content,
                                           const std::string& description) {
  auto file = dir_ / name;
  if (auto st = write_file(file, content); !st) return st.error();
  links_.emplace_back(description, name);
  return file;
}

Result<std::filesystem::path> Output::summary(const boost::json::value& summary) {
  return data("summary.json", to_json(summary) + "\n", "summary.json (the figures, machine-readable)");
}

Result<std::filesystem::path> Output::page(HtmlReport& page, const std::string& name) {
  if (!links_.empty()) page.heading("Raw numbers");
  for (const auto& [description, file] : links_) page.link(description, file);
  auto file = dir_ / name;
  if (auto st = page.write(file); !st) return st.error();
  return file;
}

}  // namespace scalelab::report
