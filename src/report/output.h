// Output: one experiment's output directory. Every experiment and `scalelab
// load --html` write through it: the raw numbers (CSV and the like), the
// machine-readable summary.json, and the HTML page, which links every file
// written before it. One place for the write → link → page sequence.
// Thread-safety: use an Output from one thread.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"
#include "report/html.h"

namespace scalelab::report {

// Writes `content` to `file`, creating its directory; a clear error otherwise.
Status write_file(const std::filesystem::path& file, const std::string& content);

class Output {
 public:
  // The directory is created on the first write.
  explicit Output(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }

  // Writes a raw-data file (e.g. "runs.csv") into the directory; the page
  // links it as `description`. Returns the file's path.
  Result<std::filesystem::path> data(const std::string& name, const std::string& content,
                                     const std::string& description);

  // Writes summary.json (the experiment's figures, for scripts and the tour).
  Result<std::filesystem::path> summary(const boost::json::value& summary);

  // Adds a link to every file written so far and writes the page as `name`.
  Result<std::filesystem::path> page(HtmlReport& page, const std::string& name = "report.html");

 private:
  std::filesystem::path dir_;
  std::vector<std::pair<std::string, std::string>> links_;  // (description, file name)
};

}  // namespace scalelab::report
