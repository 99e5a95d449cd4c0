#include "store/memory_store.h"
#include "store/redis_store.h"
#include "store/store.h"

namespace scalelab::store {

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  if (url == "memory://" || url == "memory") return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
  if (url.starts_with("redis://")) {
    auto options = parse_redis_url(url);
    if (!options) return options.error();
    return std::unique_ptr<Store>(std::make_unique<RedisStore>(std::move(*options)));
  }
  if (url.starts_with("redis-sentinel://")) {
    auto options = parse_redis_sentinel_url(url);
    if (!options) return options.error();
    return std::unique_ptr<Store>(std::make_unique<RedisStore>(std::move(*options)));
  }
  return Error{ErrorKind::kInvalidInput,
               "unknown store URL '" + std::string(url) +
                   "' (expected memory://, redis://host:port[/db] or redis-sentinel://host:port[,host:port…]/master)"};
}

}  // namespace scalelab::store
