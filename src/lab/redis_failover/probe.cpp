#include "lab/redis_failover/probe.h"

#include <limits>
#include <thread>
#include <unordered_set>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "core/run_blocking.h"
#include "http/client.h"

namespace scalelab::lab::failover {

namespace {

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
constexpr std::string_view kChargePrefix = "order-charge/";
constexpr auto kProbeRequestTimeout = std::chrono::seconds(10);  // longer than the store's wait for a primary
// One order of two lines, as a shopper places it.
constexpr std::string_view kOrder =
    R"({"customer_id":42,"items":[{"product_id":1,"quantity":2,"price":9.99},{"product_id":7,"quantity":1,"price":100}]})";

std::string order_id_of(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  auto* f = v.as_object().if_contains("order_id");
  return f && f->is_string() ? std::string(f->get_string()) : "";
}

}  // namespace

Timeline::Timeline() : begin_(Clock::now()) {}

void Timeline::record(Clock::time_point started, bool ok) {
  const auto now = Clock::now();
  const auto second = static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::seconds>(now - begin_).count());
  core::MutexLock lock(mu_);
  while (seconds_.size() <= second) seconds_.push_back({static_cast<int>(seconds_.size()), 0, 0});
  (ok ? seconds_[second].ok : seconds_[second].failed)++;
  (ok ? ok_ : failed_)++;
  if (ok && killed_ && started > *killed_ && !first_ok_after_kill_) first_ok_after_kill_ = now;
}

void Timeline::mark_kill() {
  core::MutexLock lock(mu_);
  killed_ = Clock::now();
}

void Timeline::mark_promotion() {
  core::MutexLock lock(mu_);
  if (!promoted_) promoted_ = Clock::now();
}

bool Timeline::killed() const {
  core::MutexLock lock(mu_);
  return killed_.has_value();
}

bool Timeline::recovered() const {
  core::MutexLock lock(mu_);
  return first_ok_after_kill_.has_value();
}

double Timeline::since_begin(std::optional<Clock::time_point> t) const {
  return t ? std::chrono::duration<double>(*t - begin_).count() : kNone;
}

double Timeline::kill_s() const {
  core::MutexLock lock(mu_);
  return since_begin(killed_);
}

double Timeline::promotion_s() const {
  core::MutexLock lock(mu_);
  return since_begin(promoted_);
}

double Timeline::recovery_s() const {
  core::MutexLock lock(mu_);
  if (!killed_ || !first_ok_after_kill_) return kNone;
  return std::chrono::duration<double>(*first_ok_after_kill_ - *killed_).count();
}

double Timeline::elapsed_s() const { return std::chrono::duration<double>(Clock::now() - begin_).count(); }

std::uint64_t Timeline::ok() const {
  core::MutexLock lock(mu_);
  return ok_;
}

std::uint64_t Timeline::failed() const {
  core::MutexLock lock(mu_);
  return failed_;
}

std::vector<Second> Timeline::seconds() const {
  core::MutexLock lock(mu_);
  return seconds_;
}

OrderClients::OrderClients(std::uint16_t port, std::string path, unsigned accepted_status, std::string key_prefix,
                           Timeline& timeline, std::chrono::milliseconds pace)
    : port_(port), path_(std::move(path)), accepted_status_(accepted_status), key_prefix_(std::move(key_prefix)),
      timeline_(timeline), pace_(pace) {}

void OrderClients::run(int client, const std::atomic<bool>& stop) {
  http::BlockingClient c(http::ClientOptions{.port = port_});
  for (int i = 0; !stop; ++i) {
    const std::string key = fmt::format("{}-{}-{}", key_prefix_, client, i);
    for (;;) {
      const auto started = Clock::now();
      http::ClientRequest r{.method = http::Method::kPost, .target = path_, .body = std::string(kOrder),
                            .content_type = "application/json"};
      r.headers.emplace_back("Idempotency-Key", key);
      auto answer = c.send(std::move(r), kProbeRequestTimeout);
      const bool ok = answer && answer->status == accepted_status_;
      timeline_.record(started, ok);
      if (ok) {
        {
          core::MutexLock lock(mu_);
          accepted_.push_back(order_id_of(answer->body));
        }
        std::this_thread::sleep_for(pace_);
        break;
      }
      ++refused_;
      if (stop) return;
      std::this_thread::sleep_for(kRetryPause);
    }
  }
}

std::vector<std::string> OrderClients::accepted() const {
  core::MutexLock lock(mu_);
  return accepted_;
}

std::size_t OrderClients::accepted_count() const {
  core::MutexLock lock(mu_);
  return accepted_.size();
}

Result<std::vector<std::string>> unanswered_charges(store::Store& store, const std::vector<std::string>& accepted) {
  auto charges = run_blocking(store.scan(kChargePrefix));
  if (!charges) return charges.error();
  const std::unordered_set<std::string> answered(accepted.begin(), accepted.end());
  std::vector<std::string> out;
  for (const auto& kv : *charges) {
    std::string id = kv.first.substr(kChargePrefix.size());
    if (!answered.contains(id)) out.push_back(std::move(id));
  }
  return out;
}

}  // namespace scalelab::lab::failover
