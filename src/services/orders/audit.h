// The counting check at the end of a hw7 run, over the orders a client was
// accepted (202/200) for, and those it was refused (503) for.
// Thread-safety: coroutines over a thread-safe Store.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.h"
#include "store/store.h"

namespace scalelab::orders {

struct Audit {
  std::size_t accepted = 0;
  std::size_t completed = 0;
  std::size_t failed = 0;                 // with a reason
  std::size_t failed_without_reason = 0;
  std::size_t unfinished = 0;             // pending/processing/missing
  std::size_t rejected = 0;               // an accepted order marked rejected (as if it had been refused)
  std::size_t charges = 0;                // charge records of accepted orders
  std::size_t charged_not_completed = 0;  // a charge on an order that is not completed
  std::size_t duplicates = 0;             // an order id accepted more than once
  std::size_t refused = 0;                // ids the client got a 503 for
  std::size_t refused_in_system = 0;      // ... that are in the store other than as rejected, or were charged
  // accepted = completed + failed (with reason), charges = completed, no
  // duplicates, and no refused order in the system.
  bool ok() const;
  std::string describe() const;
};
boost::asio::awaitable<Result<Audit>> audit(store::Store& store, std::vector<std::string> accepted_ids,
                                            std::vector<std::string> refused_ids);
// (An overload, not a default argument: GCC 12 mis-destroys temporaries that
// share an expression with co_await.)
boost::asio::awaitable<Result<Audit>> audit(store::Store& store, std::vector<std::string> accepted_ids);

}  // namespace scalelab::orders
