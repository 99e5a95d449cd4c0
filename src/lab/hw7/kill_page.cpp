// Part 5 on the page, in summary.json (`kill_node`) and in the verdict.
#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "lab/hw7/internal.h"

namespace scalelab::lab::hw7_detail {

namespace {

namespace json = boost::json;

constexpr const char* kGuarantee =
    "Guarantee checked: every order the service answered 202 for is completed exactly once and charged exactly "
    "once, though the RabbitMQ node leading the orders queue was killed with kill -9 while orders arrived, and "
    "restarted later.";

std::string resumed_text(const Hw7KillNode& k) {
  return k.resumed_s ? fmt::format("{:.2f} s", *k.resumed_s) : std::string("never");
}

// A vertical line at x from 0 to top, as a two-point dataset.
json::object marker(const std::string& label, double x, double top, const char* color) {
  json::array data{json::object{{"x", round2(x)}, {"y", 0}}, json::object{{"x", round2(x)}, {"y", round2(top)}}};
  return {{"label", label},       {"data", std::move(data)}, {"borderColor", color}, {"backgroundColor", color},
          {"borderDash", json::array{6, 4}}, {"pointRadius", 0},         {"borderWidth", 2}};
}

json::value latency_chart(const Hw7KillNode& k) {
  json::array p99, max;
  double top = 1;
  for (const auto& s : k.seconds) {
    p99.emplace_back(json::object{{"x", round2(s.t_s)}, {"y", round2(s.p99_ms)}});
    max.emplace_back(json::object{{"x", round2(s.t_s)}, {"y", round2(s.max_ms)}});
    top = std::max(top, s.max_ms);
  }
  json::array sets;
  sets.emplace_back(json::object{{"label", "p99"}, {"data", std::move(p99)}, {"borderColor", report::chart_color(0)},
                                 {"backgroundColor", report::chart_color(0)}, {"pointRadius", 2}});
  sets.emplace_back(json::object{{"label", "max"}, {"data", std::move(max)}, {"borderColor", report::chart_color(1)},
                                 {"backgroundColor", report::chart_color(1)}, {"pointRadius", 2}});
  sets.emplace_back(marker("kill -9 " + k.node, k.kill_s, top, "#d62728"));
  sets.emplace_back(marker("restart started", k.restart_s, top, "#2ca02c"));
  sets.emplace_back(marker("node answers again", k.back_s, top, "#17becf"));
  auto axis = [](const std::string& title) {
    return json::object{{"type", "linear"}, {"beginAtZero", true},
                        {"title", json::object{{"display", true}, {"text", title}}}};
  };
  return json::object{
      {"type", "line"},
      {"data", json::object{{"datasets", std::move(sets)}}},
      {"options", json::object{{"maintainAspectRatio", false},
                               {"animation", false},
                               {"scales", json::object{{"x", axis("s since the load began (wall)")},
                                                       {"y", axis("accept latency, ms (wall)")}}}}}};
}

}  // namespace

std::string kill_line(const Hw7KillNode& k) {
  return fmt::format(
      "kill -9 of the orders queue's leader ({}) at {:.0f} orders/s: {} accepted, {} completed, lost {}, "
      "double-charged {}; accept p99 {:.0f} ms in a typical second before the kill, worst second {:.0f} ms (max {:.0f} ms) until it "
      "was back; consumers resumed {} after the kill -> {}",
      k.node, k.rate, k.accepted, k.completed, k.lost, k.double_charged, k.before_p99_ms, k.spike_p99_ms,
      k.spike_max_ms, resumed_text(k), k.ok ? "ok" : "FAILED");
}

json::object kill_json(const Hw7KillNode& k) {
  json::array seconds;
  for (const auto& s : k.seconds)
    seconds.emplace_back(json::object{{"t_s", s.t_s}, {"requests", s.requests}, {"failures", s.failures},
                                      {"p99_ms", s.p99_ms}, {"max_ms", s.max_ms}});
  json::object o{{"node", k.node},
                 {"nodes", k.nodes},
                 {"workers", k.workers},
                 {"rate", k.rate},
                 {"payment_delay_s_wall", k.payment_delay_s},
                 {"kill_s", k.kill_s},
                 {"restart_s", k.restart_s},
                 {"back_s", k.back_s},
                 {"load_s", k.load_s},
                 {"attempts", k.attempts},
                 {"accepted", k.accepted},
                 {"refused", k.refused},
                 {"completed", k.completed},
                 {"lost", k.lost},
                 {"double_charged", k.double_charged},
                 {"charge_records", k.charge_records},
                 {"redelivered", k.redelivered},
                 {"completed_after_restart", k.completed_after_back},
                 {"accept_p99_ms", k.accept_p99_ms},
                 {"accept_max_ms", k.accept_max_ms},
                 {"before_kill_p99_ms", k.before_p99_ms},
                 {"spike_p99_ms", k.spike_p99_ms},
                 {"spike_max_ms", k.spike_max_ms},
                 {"ok", k.ok},
                 {"guarantee", kGuarantee},
                 {"audit", k.audit_text},
                 {"seconds", std::move(seconds)}};
  o["consumers_resumed_s"] = k.resumed_s ? json::value(*k.resumed_s) : json::value(nullptr);
  o["drain_s"] = k.drain_s ? json::value(*k.drain_s) : json::value(nullptr);
  return o;
}

void kill_section(report::HtmlReport& page, const Hw7KillNode& k) {
  page.heading("5. A RabbitMQ node killed under load");
  page.paragraph(kGuarantee);
  page.table({"accepted (202)", "refused (503 / error)", "completed", "lost", "double-charged", "redelivered",
              "accept p99: typical second before / worst second after the kill / max (ms)", "consumers resumed after", "completed after restart",
              "drain", "check"},
             {{fmt::format("{}/{}", k.accepted, k.attempts), fmt::format("{}", k.refused),
               fmt::format("{}", k.completed), fmt::format("{}", k.lost), fmt::format("{}", k.double_charged),
               fmt::format("{}", k.redelivered),
               fmt::format("{:.1f} / {:.1f} / {:.1f}", k.before_p99_ms, k.spike_p99_ms, k.spike_max_ms),
               resumed_text(k), fmt::format("{}", k.completed_after_back),
               k.drain_s ? fmt::format("{:.2f} s", *k.drain_s) : std::string("not drained"),
               k.ok ? "ok" : "FAILED"}});
  page.paragraph(fmt::format(
      "A {}-node cluster; the orders queue is a quorum queue on every node. {:.0f} orders/s (open model, wall time: "
      "not scaled) with {} workers (payment {:.2f} s). At {:.1f} s the node leading the queue, {}, was killed with "
      "kill -9 of its process group; at {:.1f} s it was started again with its data dir and answered AMQP at "
      "{:.1f} s; the load stopped at {:.1f} s. Lost: accepted orders not completed once the queue drained. "
      "Double-charged: charges beyond one per accepted order (the workers' charges and the store's charge "
      "records against the accepted orders charged). Consumers resumed: from the kill to the first completion "
      "of an order accepted after it (it includes one payment). Refused orders were answered 503 (their "
      "publish was not confirmed) and are not promised anything. Counting check: {}",
      k.nodes, k.rate, k.workers, k.payment_delay_s, k.kill_s, k.node, k.restart_s, k.back_s, k.load_s,
      k.audit_text));
  page.chart("Accept latency of POST /orders/async per second around the kill (wall ms)", latency_chart(k));
}

}  // namespace scalelab::lab::hw7_detail
