#include <algorithm>
#include <cmath>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "lab/redis_failover/redis_failover.h"
#include "report/charts.h"
#include "report/output.h"

namespace scalelab::lab {

namespace json = boost::json;

namespace {


json::value number_or_null(double v) {
  if (std::isnan(v)) return nullptr;
  return std::round(v * 1000) / 1000;
}

std::size_t seconds_of(const RedisFailoverResult& r) {
  std::size_t n = 0;
  for (const auto& s : r.streams) n = std::max(n, s.timeline.size());
  return n;
}

// Requests succeeded and failed per second, all kinds together and the
// failures of each, with the kill and the promotion marked.
json::value requests_chart(const RedisFailoverResult& r) {
  const std::size_t n = seconds_of(r);
  std::vector<double> x, ok(n, 0), failed(n, 0);
  for (std::size_t i = 0; i < n; ++i) x.push_back(static_cast<double>(i));
  std::vector<report::LineSeries> series;
  for (const auto& s : r.streams) {
    report::LineSeries f{.label = s.name + " failed / s", .values = std::vector<double>(n, 0)};
    for (const auto& sec : s.timeline) {
      ok[sec.second] += static_cast<double>(sec.ok);
      failed[sec.second] += static_cast<double>(sec.failed);
      f.values[sec.second] = static_cast<double>(sec.failed);
    }
    series.push_back(std::move(f));
  }
  series.insert(series.begin(), {{.label = "succeeded / s", .values = ok}, {.label = "failed / s", .values = failed}});
  auto chart = report::line_chart(x, series, "second", "requests per second");
  std::vector<report::Marker> marks;
  if (!std::isnan(r.kill_s)) marks.push_back({r.kill_s, fmt::format("kill -9 of the primary ({:.2f} s)", r.kill_s)});
  if (!std::isnan(r.promotion_s))
    marks.push_back({r.promotion_s, fmt::format("Sentinel names the new primary ({:.2f} s)", r.promotion_s)});
  report::add_markers(chart, marks);
  return chart;
}

json::object orders_json(const OrdersCount& c) {
  return {{"accepted", c.accepted}, {"completed", c.completed}, {"failed", c.failed}, {"unfinished", c.unfinished},
          {"charges", c.charges}};
}

json::object summary_json(const RedisFailoverResult& r) {
  json::array streams;
  for (const auto& s : r.streams)
    streams.emplace_back(json::object{{"name", s.name}, {"ok", s.ok}, {"failed", s.failed},
                                      {"recovery_s", number_or_null(s.recovery_s)}});
  const auto& c = r.carts;
  return {{"experiment", "redis-failover"}, {"guarantee", kRedisFailoverGuarantee},
          {"replicas", r.replicas}, {"sentinels", r.sentinels}, {"down_after_ms", r.down_after_ms},
          {"seconds", r.seconds}, {"kill_s", number_or_null(r.kill_s)},
          {"promotion_after_kill_s", number_or_null(r.promotion_s - r.kill_s)},
          {"failed_requests", r.failed_requests()}, {"recovery_s", number_or_null(r.recovery_s())},
          {"lost_durable", r.lost_durable()}, {"double_charges", r.double_charges()},
          {"streams", std::move(streams)},
          {"orders", json::object{{"sync", orders_json(r.sync)}, {"async", orders_json(r.async)}}},
          {"carts", json::object{{"created", c.created}, {"created_lost", c.created_lost}, {"paid", c.paid},
                                 {"paid_lost", c.paid_lost}, {"paid_uncharged", c.paid_uncharged},
                                 {"stuck_checkouts", c.stuck}, {"adds", c.adds}, {"adds_lost", c.adds_lost}}}};
}

std::string timeline_csv(const RedisFailoverResult& r) {
  std::string csv = "stream,second,ok,failed\n";
  for (const auto& s : r.streams)
    for (const auto& sec : s.timeline) csv += fmt::format("{},{},{},{}\n", s.name, sec.second, sec.ok, sec.failed);
  return csv;
}

void add_setup(report::HtmlReport& page, const RedisFailoverResult& r) {
  page.paragraph(fmt::format(
      "A private Redis primary, {} replicas and {} Sentinels (down-after {} ms), reached through redis-sentinel://. "
      "On it: the shop (carts in front of catalog, warehouse and payments) and the orders service with a worker over "
      "the in-process broker. Clients place sync and async orders (each retried with its Idempotency-Key until "
      "accepted) and shoppers create a cart, add two items and check out (each request retried until it succeeds). "
      "The primary is killed with kill -9 at {:.2f} s; Sentinel named the new primary {}.",
      r.replicas, r.sentinels, r.down_after_ms, r.kill_s,
      std::isnan(r.promotion_s) ? std::string("(not seen)") : fmt::format("{:.2f} s after", r.promotion_s - r.kill_s)));
  page.paragraph("Durable writes (sent with WAIT 1: on a replica before they return): an order's idempotency key, "
                 "record, status changes and charge; a new cart and every status change of a checkout; the payments "
                 "record. Plain writes, which a failover may lose: item adds to a cart.");
}

void add_tables(report::HtmlReport& page, const RedisFailoverResult& r) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : r.streams)
    rows.push_back({s.name, std::to_string(s.ok), std::to_string(s.failed), fmt::format("{:.2f} s", s.recovery_s)});
  page.table({"requests", "succeeded", "failed (retried)", "succeed again after the kill"}, rows);
  const auto& c = r.carts;
  page.table({"record", "answered", "lost", "note"},
             {{"orders accepted (sync)", std::to_string(r.sync.accepted),
               std::to_string(r.sync.accepted - r.sync.completed), fmt::format("{} charged", r.sync.charges)},
              {"orders accepted (async)", std::to_string(r.async.accepted),
               std::to_string(r.async.accepted - r.async.completed), fmt::format("{} charged", r.async.charges)},
              {"carts created", std::to_string(c.created), std::to_string(c.created_lost), "durable"},
              {"carts paid", std::to_string(c.paid), std::to_string(c.paid_lost + c.paid_uncharged),
               fmt::format("{} checkouts left claimed (409)", c.stuck)},
              {"item adds", std::to_string(c.adds), std::to_string(c.adds_lost), "plain: may be lost"},
              {"charges no client was answered for", "-", std::to_string(r.double_charges()), "double charges"}});
}

}  // namespace

Result<RedisFailoverFiles> render_redis_failover(const RedisFailoverResult& result,
                                                 const std::filesystem::path& out_dir) {
  report::Output out(out_dir);
  RedisFailoverFiles files;
  auto csv = out.data("timeline.csv", timeline_csv(result), "timeline.csv (requests per second and kind)");
  if (!csv) return csv.error();
  files.csv = *csv;
  auto json_file = out.summary(summary_json(result));
  if (!json_file) return json_file.error();
  files.json = *json_file;
  report::HtmlReport page("Redis failover: orders and carts while the primary is killed");
  page.paragraph(std::string("Guarantee checked: ") + kRedisFailoverGuarantee);
  add_setup(page, result);
  page.chart("requests per second; the kill and the promotion marked", requests_chart(result));
  add_tables(page, result);
  page.paragraph(fmt::format("Lost durable records: {}. Double charges: {}. Requests failed during the failover: {} "
                             "(each retried). Writes of every kind succeeded again {:.2f} s after the kill.",
                             result.lost_durable(), result.double_charges(), result.failed_requests(),
                             result.recovery_s()));
  auto html = out.page(page);
  if (!html) return html.error();
  files.report = *html;
  return files;
}

}  // namespace scalelab::lab
