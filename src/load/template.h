// Templates for request paths, bodies and headers: literal text with
// {{...}} expressions, compiled once when a scenario is read and rendered for
// every request.
//   {{randint 1 100}}    a uniform random integer in [1, 100]
//   {{choice a b c}}     one of the words, uniformly
//   {{user}}             the virtual user's number (1, 2, ...)
//   {{seq}}              a number unique to this request in the run
//   {{NAME}}             a value this user captured from an earlier response
// Thread-safety: a compiled Template is immutable; render() uses the caller's
// UserContext (one per virtual user, never shared).
#pragma once

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace scalelab::load {

// A small fast generator (SplitMix64): 8 bytes of state, so that 10,000
// virtual users stay light (std::mt19937_64 carries 2.5 KB each).
struct SplitMix64 {
  using result_type = std::uint64_t;
  std::uint64_t state = 1;
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

// What a template may read while rendering: one per virtual user.
struct UserContext {
  std::uint64_t user = 1;                                    // {{user}}
  std::uint64_t seq_next = 0, seq_step = 1;                  // {{seq}} without a shared counter
  std::atomic<std::uint64_t>* shared_seq = nullptr;          // {{seq}}: run-wide, from 1
  std::vector<std::pair<std::string, std::string>> vars;     // captured values
  SplitMix64 rng;

  const std::string* var(std::string_view name) const;
  void set_var(std::string_view name, std::string value);
};

class Template {
 public:
  struct Part {
    enum class Kind { kLiteral, kRandInt, kChoice, kUser, kSeq, kVar } kind = Kind::kLiteral;
    std::string text;                  // literal text or variable name
    std::int64_t lo = 0, hi = 0;       // randint bounds (inclusive)
    std::vector<std::string> choices;  // choice words
  };

  Template() = default;
  // Errors name what is wrong ("unknown template function 'rand'"); the
  // scenario reader adds the file and line.
  static Result<Template> compile(std::string_view text);

  // Appends the rendered text to out. Fails only when a captured variable is
  // not set yet (its message names the variable).
  Status render(UserContext& ctx, std::string& out) const;
  Result<std::string> render(UserContext& ctx) const;

  bool empty() const { return parts_.empty(); }
  bool is_literal() const { return parts_.size() <= 1 && (parts_.empty() || parts_[0].kind == Part::Kind::kLiteral); }
  const std::string& source() const { return source_; }
  // Names of the captured variables this template reads.
  std::vector<std::string> variables() const;

 private:
  std::vector<Part> parts_;
  std::string source_;
};

// The value at a dotted path in a JSON document ("id", "items.0.id", "$.id"):
// strings as they are, other values as JSON text. Fails when the body is not
// JSON or the path is absent.
Result<std::string> json_capture(std::string_view body, std::string_view path);

}  // namespace scalelab::load
