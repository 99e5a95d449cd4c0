// `scalelab compare A.json B.json [--html FILE]`: the deltas between two runs
// of the same experiment (their summary.json) or load scenario (`scalelab
// load --json`), printed, and written as an HTML page when asked
// (src/report/compare.h).
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "app/commands.h"
#include "app/options.h"
#include "report/compare.h"

namespace scalelab::app {

namespace {

// Exit status when the inputs cannot be compared (unreadable, different experiments).
constexpr int kExitCannotCompare = 2;

struct CompareArgs {
  std::string a, b, html;
};

Result<boost::json::value> read_summary(const std::string& file) {
  std::ifstream in(file);
  if (!in) return Error{ErrorKind::kInvalidInput, fmt::format("compare: cannot read {}", file)};
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(text.str(), ec);
  if (ec) return Error{ErrorKind::kInvalidInput, fmt::format("compare: {} is not JSON: {}", file, ec.message())};
  return v;
}

Status run_compare(const CompareArgs& args) {
  auto a = read_summary(args.a);
  if (!a) return a.error();
  auto b = read_summary(args.b);
  if (!b) return b.error();
  auto c = report::compare(*a, *b);
  if (!c) return c.error();
  fmt::print("{}", report::format_comparison(*c, args.a, args.b));
  if (args.html.empty()) return {};
  report::HtmlReport page(c->kind.empty() ? "Two runs compared" : "Two runs of " + c->kind + " compared");
  report::add_comparison(page, *c, args.a, args.b);
  if (auto st = page.write(args.html); !st) return st;
  fmt::print("report: {}\n", args.html);
  return {};
}

}  // namespace

void add_compare_commands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand(
      "compare", "Deltas (absolute and %) of every figure two runs of the same experiment or load scenario share");
  cmd->add_option("A", args->a, "The earlier run's summary.json (or `scalelab load --json` file)")->required();
  cmd->add_option("B", args->b, "The later run's summary.json (or `scalelab load --json` file)")->required();
  add_flag_option(*cmd, "--html", args->html, "Also write the comparison as an HTML page to FILE");
  cmd->callback([args, &exit_code] {
    if (auto st = run_compare(*args); !st) {
      fmt::print(stderr, "scalelab {}\n", st.error().message);
      exit_code = kExitCannotCompare;
    }
  });
}

}  // namespace scalelab::app
