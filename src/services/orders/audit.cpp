#include "services/orders/audit.h"

#include <set>

#include <fmt/format.h>

#include "services/orders/record.h"

namespace scalelab::orders {

namespace asio = boost::asio;

bool Audit::ok() const {
  return accepted == completed + failed && failed_without_reason == 0 && unfinished == 0 && rejected == 0 &&
         charges == completed && charged_not_completed == 0 && duplicates == 0 && refused_in_system == 0;
}

std::string Audit::describe() const {
  return fmt::format(
      "accepted {} = completed {} + failed {} (without reason {}, unfinished {}, marked rejected {}); charges {} (on "
      "orders not completed {}); duplicate ids {}; refused {} (still in the system {}) -> {}",
      accepted, completed, failed, failed_without_reason, unfinished, rejected, charges, charged_not_completed,
      duplicates, refused, refused_in_system, ok() ? "OK" : "MISMATCH");
}

namespace {

// Counts one accepted order's record (nullopt: missing). Returns whether it
// is completed.
bool count_accepted(Audit& a, const std::optional<std::string>& record) {
  if (!record) {
    ++a.unfinished;
    return false;
  }
  const RecordStatus r = record_status(*record);
  switch (r.status.value_or(OrderStatus::kPending)) {
    case OrderStatus::kCompleted: ++a.completed; return true;
    case OrderStatus::kFailed: r.reason.empty() ? ++a.failed_without_reason : ++a.failed; break;
    case OrderStatus::kRejected: ++a.rejected; break;
    default: ++a.unfinished; break;
  }
  return false;
}

}  // namespace

asio::awaitable<Result<Audit>> audit(store::Store& store, std::vector<std::string> accepted_ids) {
  std::vector<std::string> none;
  co_return co_await audit(store, std::move(accepted_ids), std::move(none));
}

asio::awaitable<Result<Audit>> audit(store::Store& store, std::vector<std::string> accepted_ids,
                                     std::vector<std::string> refused_ids) {
  Audit a;
  std::set<std::string> seen;
  for (const auto& id : accepted_ids) {
    ++a.accepted;
    if (!seen.insert(id).second) {
      ++a.duplicates;
      continue;
    }
    auto record = co_await store.get(order_key(id));
    if (!record) co_return record.error();
    auto charge = co_await store.get(charge_key(id));
    if (!charge) co_return charge.error();
    const bool completed = count_accepted(a, *record);
    if (*charge) {
      ++a.charges;
      if (!completed) ++a.charged_not_completed;
    }
  }
  for (const auto& id : refused_ids) {
    ++a.refused;
    auto record = co_await store.get(order_key(id));
    if (!record) co_return record.error();
    auto charge = co_await store.get(charge_key(id));
    if (!charge) co_return charge.error();
    const bool kept = *record && record_status(**record).status != OrderStatus::kRejected;
    if (kept || *charge) ++a.refused_in_system;
  }
  co_return a;
}

}  // namespace scalelab::orders
