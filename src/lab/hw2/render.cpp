#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "lab/hw2/hw2.h"
#include "report/output.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {

std::string ids_text(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return "[" + out + "]";
}

json::array ids_json(const std::vector<std::string>& ids) {
  json::array a;
  for (const auto& id : ids) a.emplace_back(id);
  return a;
}

json::object phase_json(const Hw2Phase& p) {
  return {{"store", p.store}, {"before_instance_1", ids_json(p.before1)}, {"before_instance_2", ids_json(p.before2)},
          {"post_status", p.post_status}, {"after_instance_1", ids_json(p.after1)},
          {"after_instance_2", ids_json(p.after2)}, {"agree", p.agree}};
}

std::string steps_csv(const std::vector<Hw2Step>& steps) {
  std::string csv = "phase,action,instance,status,album_ids\n";
  for (const auto& s : steps)
    csv += fmt::format("{},{},{},{},\"{}\"\n", to_string(s.phase), s.action, s.instance, s.status,
                       ids_text(s.album_ids));
  return csv;
}

void add_phase(report::HtmlReport& page, const Hw2Phase& p, Hw2Store store) {
  page.heading(store == Hw2Store::kMemory ? "1. Each instance keeps albums in its own memory"
                                          : "2. Both instances share one Redis");
  page.table({"step", "instance 1 sees", "instance 2 sees"},
             {{"before the POST", ids_text(p.before1), ids_text(p.before2)},
              {fmt::format("POST album 4 to instance 2 -> {}", p.post_status), "", ""},
              {"after the POST", ids_text(p.after1), ids_text(p.after2)}});
  page.paragraph(p.agree ? "They AGREE: both instances list album 4, because both read the same store."
                         : "They DISAGREE: only instance 2 has album 4. Instance 1 never heard of it, because "
                           "each process keeps its own memory; a load balancer in front would give a user "
                           "different answers depending on which instance served the request.");
}

void add_page(report::HtmlReport& page, const Hw2Result& result) {
  page.paragraph(
      "Two albums instances, each a separate scalelab process on its own port. The course's script: GET /albums "
      "on both, POST album 4 (The Modern Sound of Betty Carter) to instance 2, GET /albums on both again. Run "
      "twice: each instance with its own in-memory store, then both on one private Redis.");
  add_phase(page, result.memory, Hw2Store::kMemory);
  add_phase(page, result.redis, Hw2Store::kRedis);
  page.paragraph(fmt::format(
      "Reading: with per-process memory the instances disagree ({}); with external shared storage they agree ({}), "
      "as the course found. The fix is to make the service stateless and keep its state in a shared store.",
      result.memory.agree ? "unexpectedly, they agreed" : "as expected",
      result.redis.agree ? "as expected" : "unexpectedly, they did not"));
}

}  // namespace

Result<Hw2Files> render_hw2(const Hw2Result& result, const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  Hw2Files files;
  auto csv = out.data("steps.csv", steps_csv(result.steps), "steps.csv");
  if (!csv) return csv.error();
  files.csv = *csv;
  auto json_file = out.summary(
      json::object{{"experiment", "hw2"}, {"memory", phase_json(result.memory)}, {"redis", phase_json(result.redis)}});
  if (!json_file) return json_file.error();
  files.json = *json_file;
  report::HtmlReport page("hw2: instances that do not share state");
  add_page(page, result);
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
