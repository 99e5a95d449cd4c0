// The behaviour every Store implementation must have, as value-parameterised
// tests: each test binary instantiates StoreContract with its factory.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "store/store.h"

namespace scalelab::testkit {

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<store::Store>()> make;
};

class StoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  // Keys unique to this test, so tests may share one server.
  std::string key(const std::string& suffix) const { return prefix_ + suffix; }
  std::unique_ptr<store::Store> store_;
  std::string prefix_;
};

}  // namespace scalelab::testkit

namespace scalelab::testkit {
// Short parameter names in test output and ctest names.
inline void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }
}  // namespace scalelab::testkit
