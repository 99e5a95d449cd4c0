#include "store/memory_store.h"
#include "store/store.h"

namespace scalelab::store {

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  if (url == "memory://" || url == "memory") return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
  if (url.starts_with("redis://"))
    return Error{ErrorKind::kInvalidInput,
                 "store '" + std::string(url) + "': the Redis store is not built yet (see issue 5); use memory://"};
  return Error{ErrorKind::kInvalidInput,
               "unknown store URL '" + std::string(url) + "' (expected memory://)"};
}

}  // namespace scalelab::store
