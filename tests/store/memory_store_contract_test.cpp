#include "store/memory_store.h"
#include "store/store_contract.h"

namespace scalelab::testkit {

INSTANTIATE_TEST_SUITE_P(Memory, StoreContract,
                         ::testing::Values(StoreFactory{"memory", [] {
                           return std::unique_ptr<store::Store>(std::make_unique<store::MemoryStore>());
                         }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace scalelab::testkit
