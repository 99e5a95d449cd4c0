// Result<T>: a value or an Error, for failures a caller is expected to handle
// (bad input, network faults). Broken invariants are asserted instead.
// Thread-safety: plain value types; no shared state.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace scalelab {

// Error kinds by source, so callers can map them (e.g. to HTTP statuses).
enum class ErrorKind {
  kInvalidInput,  // the caller sent something malformed
  kNotFound,
  kConflict,
  kTimeout,       // a deadline passed
  kUnavailable,   // connection refused/reset, downstream down
  kProtocol,      // a peer spoke malformed protocol
  kInternal,
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
};

const char* to_string(ErrorKind kind);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}    // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok()
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const Error& error() const { assert(!ok()); return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// A Result with no value: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace scalelab
