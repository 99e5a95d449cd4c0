#include "resilience/policy.h"

#include <algorithm>
#include <random>
#include <stdexcept>

#include <boost/beast/core/string.hpp>

namespace scalelab::resilience {

namespace asio = boost::asio;

const char* to_string(Rejection r) {
  switch (r) {
    case Rejection::kNone: return "none";
    case Rejection::kDeadline: return "deadline";
    case Rejection::kCircuitOpen: return "circuit_open";
    case Rejection::kBulkheadFull: return "bulkhead_full";
    case Rejection::kRateLimited: return "rate_limited";
  }
  return "unknown";
}

Outcome FailureClassifier::operator()(const Result<http::ClientResponse>& result) const {
  if (!result.ok()) {
    switch (result.error().kind) {
      case ErrorKind::kTimeout: return timeouts ? Outcome::kFailure : Outcome::kIgnored;
      case ErrorKind::kUnavailable:
      case ErrorKind::kProtocol: return connection_errors ? Outcome::kFailure : Outcome::kIgnored;
      default: return Outcome::kFailure;
    }
  }
  const unsigned status = result->status;
  if (status >= 500) return server_errors ? Outcome::kFailure : Outcome::kSuccess;
  if (status == 429) return too_many_requests ? Outcome::kFailure : Outcome::kSuccess;
  return Outcome::kSuccess;
}

namespace {

template <typename T>
std::optional<T> named(std::optional<T> options, const std::string& name) {
  if (options && options->name == "default") options->name = name;
  return options;
}

std::uint64_t pick_seed(std::uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

Policy::Policy(PolicyOptions options, obs::Registry* registry, Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      budget_(options_.retry_budget),
      seed_base_(pick_seed(options_.retry.seed)) {
  if (options_.timeout.count() <= 0) throw std::invalid_argument("policy '" + options_.name + "': timeout must be > 0");
  if (options_.retry.max_attempts == 0)
    throw std::invalid_argument("policy '" + options_.name + "': retry.max_attempts must be >= 1");
  if (auto o = named(options_.breaker, options_.name)) breaker_ = std::make_unique<CircuitBreaker>(*o, registry, clock_);
  if (auto o = named(options_.bulkhead, options_.name)) bulkhead_ = std::make_unique<Bulkhead>(*o, registry);
  if (auto o = named(options_.rate_limit, options_.name))
    rate_limiter_ = std::make_unique<RateLimiter>(*o, registry, clock_);
  needs_elapsed_ = breaker_ && breaker_->needs_elapsed();
  for (unsigned s : options_.retry.retry_on_status) retries_below_400_ |= s < 400;
  admission_may_wait_ = (bulkhead_ && bulkhead_->options().max_wait.count() > 0) ||
                        (rate_limiter_ && rate_limiter_->options().max_wait.count() > 0);
  if (registry) {
    const obs::Labels base{{"downstream", options_.name}};
    auto with = [&](const char* result) {
      obs::Labels l = base;
      l.emplace_back("result", result);
      return &registry->counter("resilience_calls_total",
                                "Calls through a resilience policy, by how they ended", l);
    };
    counters_.by_result[0] = with("success");
    counters_.by_result[1] = with("failure");
    counters_.by_result[2] = with("rejected_deadline");
    counters_.by_result[3] = with("rejected_circuit_open");
    counters_.by_result[4] = with("rejected_bulkhead_full");
    counters_.by_result[5] = with("rejected_rate_limited");
    counters_.retries = &registry->counter("resilience_retries_total", "Retries made", base);
    counters_.budget_exhausted = &registry->counter(
        "resilience_retry_budget_exhausted_total", "Retries not made because the retry budget was spent", base);
    counters_.fallbacks = &registry->counter("resilience_fallbacks_total", "Failed calls answered by the fallback", base);
  }
}

Policy::~Policy() = default;

Rejection Policy::admit(Clock::time_point now) {
  if (bulkhead_ && !bulkhead_->try_acquire()) return Rejection::kBulkheadFull;
  if (rate_limiter_ && !rate_limiter_->try_acquire_at(now)) {
    if (bulkhead_) bulkhead_->release();
    return Rejection::kRateLimited;
  }
  budget_.record_request(now);
  return Rejection::kNone;
}

asio::awaitable<Rejection> Policy::admit_waiting(Deadline deadline) {
  if (bulkhead_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline.remaining(clock_));
    if (!co_await bulkhead_->acquire(left)) co_return Rejection::kBulkheadFull;
  }
  if (rate_limiter_ && !co_await rate_limiter_->acquire()) {
    if (bulkhead_) bulkhead_->release();
    co_return Rejection::kRateLimited;
  }
  budget_.record_request(clock_.now());
  co_return Rejection::kNone;
}

void Policy::leave() {
  if (bulkhead_) bulkhead_->release();
}

Outcome Policy::end_attempt(const CircuitBreaker::Permit& permit, const Result<http::ClientResponse>& result,
                            Clock::duration elapsed) {
  const Outcome outcome = options_.classify(result);
  if (breaker_) breaker_->on_result(permit, outcome, elapsed);
  return outcome;
}

std::optional<Clock::duration> Policy::retry_delay(const Result<http::ClientResponse>& result, std::size_t attempt,
                                                   bool retry_safe, Deadline deadline,
                                                   std::optional<RetrySchedule>& schedule, Clock::time_point now) {
  const RetryOptions& o = options_.retry;
  if (!retry_safe || attempt >= o.max_attempts) return std::nullopt;
  bool retryable = false;
  if (!result.ok()) {
    const ErrorKind kind = result.error().kind;
    retryable = (kind == ErrorKind::kTimeout && o.retry_on_timeout) ||
                ((kind == ErrorKind::kUnavailable || kind == ErrorKind::kProtocol) && o.retry_on_connection_error);
  } else {
    retryable = std::find(o.retry_on_status.begin(), o.retry_on_status.end(), result->status) !=
                o.retry_on_status.end();
  }
  if (!retryable) return std::nullopt;
  if (!schedule) schedule.emplace(o, next_seed());
  Clock::duration pause = schedule->next_delay();
  if (o.honour_retry_after && result.ok()) {
    if (auto asked = parse_retry_after(result->header("Retry-After")))
      pause = std::max<Clock::duration>(pause, *asked);
  }
  // Never past the deadline: the pause plus at least a millisecond to try.
  if (!deadline.is_never() && now + pause + std::chrono::milliseconds(1) >= deadline.when()) return std::nullopt;
  if (!budget_.try_spend(now)) {
    inc(counters_.budget_exhausted);
    return std::nullopt;
  }
  inc(counters_.retries);
  return pause;
}

std::chrono::milliseconds Policy::attempt_timeout(Deadline deadline, Clock::time_point now) const {
  // The deadline is never "never" here: execute() capped it by the timeout.
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      now >= deadline.when() ? Clock::duration::zero() : deadline.when() - now);
  if (options_.per_try_timeout.count() > 0) left = std::min(left, options_.per_try_timeout);
  return left;
}

CallResult Policy::rejected(Rejection r, std::size_t attempts) const {
  CallResult out;
  out.rejection = r;
  out.attempts = attempts;
  out.failed = true;
  const std::string who = options_.name;
  switch (r) {
    case Rejection::kDeadline:
      out.result = Error{ErrorKind::kTimeout, who + ": deadline exceeded before the call"};
      break;
    case Rejection::kCircuitOpen:
      out.result = Error{ErrorKind::kUnavailable, who + ": circuit breaker open"};
      break;
    case Rejection::kBulkheadFull:
      out.result = Error{ErrorKind::kUnavailable, who + ": too many calls in flight (bulkhead full)"};
      break;
    case Rejection::kRateLimited:
      out.result = Error{ErrorKind::kUnavailable, who + ": rate limit reached"};
      break;
    case Rejection::kNone:
      break;
  }
  return out;
}

void Policy::record_call(const CallResult& r) {
  std::size_t i = r.failed ? 1 : 0;
  if (r.rejection != Rejection::kNone) i = 1 + static_cast<std::size_t>(r.rejection);
  inc(counters_.by_result[i]);
}

bool Policy::is_retry_safe(const http::ClientRequest& request) {
  switch (request.method) {
    case http::Method::kGet:
    case http::Method::kHead:
    case http::Method::kPut:
    case http::Method::kDelete:
    case http::Method::kOptions: return true;
    default: break;
  }
  for (const auto& [name, value] : request.headers)
    if (boost::beast::iequals(name, "Idempotency-Key") && !value.empty()) return true;
  return false;
}

namespace {

// One attempt of an http::Client call: a copy of the request (kept for the
// retries) carrying the attempt's timeout as X-Deadline-Ms. Not a coroutine:
// the attempt is the client's own frame, so a call through the policy costs
// one frame more than the bare call (execute's), not three.
struct HttpAttempt {
  http::Client* client;
  http::ClientRequest request;
  asio::awaitable<Result<http::ClientResponse>> operator()(std::chrono::milliseconds timeout) const {
    http::ClientRequest attempt = request;
    std::erase_if(attempt.headers, [](const auto& h) { return boost::beast::iequals(h.first, http::kDeadlineHeader); });
    attempt.headers.emplace_back(std::string(http::kDeadlineHeader), std::to_string(timeout.count()));
    return client->send(std::move(attempt), timeout);  // send takes the request by value: nothing dangles
  }
};

}  // namespace

// Not a coroutine either: execute's frame owns the request (in its Call).
asio::awaitable<CallResult> Policy::send(http::Client& client, http::ClientRequest request, Deadline deadline) {
  const bool safe = is_retry_safe(request);
  return execute(HttpAttempt{&client, std::move(request)}, safe, deadline);
}

asio::awaitable<CallResult> Policy::send(http::Client& client, http::ClientRequest request, Deadline deadline,
                                         Fallback fallback) {
  CallResult r = co_await send(client, std::move(request), deadline);
  if (r.failed && fallback) {
    r.result = fallback(r);
    r.from_fallback = true;
    inc(counters_.fallbacks);
  }
  co_return r;
}

}  // namespace scalelab::resilience
