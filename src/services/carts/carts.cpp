#include "services/carts/carts.h"

#include <cctype>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "core/json.h"
#include "services/payments/payments.h"
#include "services/common/validation.h"

namespace scalelab::carts {

namespace asio = boost::asio;

namespace {

std::string key_of(std::int32_t id) { return fmt::format("cart/{}", id); }
constexpr std::string_view kNextIdKey = "cart/next_id";
constexpr int kMaxCasAttempts = 32;

[[noreturn]] void throw_downstream(std::string_view who, const Error& e) {
  throw http::HttpError(503, services::code::kDownstream, fmt::format("{} unavailable: {}", who, e.message));
}
[[noreturn]] void throw_downstream_status(std::string_view who, const Answer& a) {
  throw http::HttpError(503, services::code::kDownstream,
                        fmt::format("{} answered {}: {}", who, a.status, a.body.substr(0, 200)));
}

// A downstream's own Error body passed on with its status.
http::Response relay(unsigned status, const Answer& a) {
  return http::Response::json_text(status, a.body.empty() ? std::string("{}") : a.body);
}

struct Loaded {
  Cart cart;
  std::string json;  // as stored, for compare-and-set
};

asio::awaitable<std::optional<Loaded>> load(store::Store& store, std::int32_t id) {
  auto got = co_await store.get(key_of(id));
  if (!got) services::throw_store_failure("carts", got.error());
  if (!*got) co_return std::nullopt;
  auto cart = cart_from_json(**got);
  if (!cart) throw std::runtime_error("corrupt cart " + std::to_string(id) + ": " + cart.error().message);
  co_return Loaded{std::move(*cart), std::move(**got)};
}

std::int32_t cart_id_of(http::Request& req) {
  auto id = services::path_id(req.param("shoppingCartId"), "shoppingCartId");
  if (!id) services::throw_invalid(id.error());
  return *id;
}

http::Response cart_not_found(std::int32_t id) {
  return http::Response::error(404, http::code::kNotFound, fmt::format("shopping cart {} not found", id));
}

// ---- the course's per-user carts ----

std::string user_key(std::string_view user) { return "usercart/" + std::string(user); }

std::string user_of(http::Request& req) {
  std::string_view u = req.param("user_id");
  bool ok = !u.empty() && u.size() <= 100;
  for (char c : u)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (!ok)
    throw http::HttpError(400, http::code::kInvalidInput, "path 'user_id' must be 1-100 of [A-Za-z0-9_.-]");
  return std::string(u);
}

// ---- products as carts can establish them: one path for both APIs ----

// One product as carts could establish it.
struct ProductInfo {
  bool found = true;     // false: catalog answered 404
  bool pending = false;  // not confirmed now: from the cache, or unknown (json empty)
  std::string json;      // catalog's product JSON, fresh or cached; empty when unknown
};

// Off: a catalog fault throws 503 (the vulnerable version: one failed item
// fails the request). On: the policy bounded the wait; a fault falls back to
// the cache of recently seen products, else to an unknown product, pending.
asio::awaitable<ProductInfo> product_info(Deps deps, std::int32_t product_id) {
  auto r = co_await deps.catalog.get_product(product_id);
  if (r && r->status == 200) {
    deps.catalog.cache().put(product_id, r->body);
    co_return ProductInfo{true, false, std::move(r->body)};
  }
  if (r && r->status == 404) co_return ProductInfo{false, false, {}};
  if (!deps.resilient) {
    if (!r) throw_downstream("catalog", r.error());
    throw_downstream_status("catalog", *r);
  }
  if (auto cached = deps.catalog.cache().get(product_id)) co_return ProductInfo{true, true, std::move(*cached)};
  co_return ProductInfo{true, true, {}};
}

std::string breaker_of(Deps deps) { return deps.catalog.downstream().breaker_state(); }

bool degraded(bool any_pending, const std::string& breaker) {
  return any_pending || (breaker != "closed" && breaker != "none");
}

// What every cart response body ends with: ,"degraded_mode":…,"circuit_breaker":"…"
void append_degradation(std::string& out, Deps deps, bool any_pending) {
  const std::string breaker = breaker_of(deps);
  out += fmt::format(",\"degraded_mode\":{},\"circuit_breaker\":", degraded(any_pending, breaker) ? "true" : "false");
  append_json_string(out, breaker);
}

// The same for an answer without a body (hw5's 204): as headers.
void mark_degradation(http::Response& res, Deps deps, bool pending) {
  std::string breaker = breaker_of(deps);
  res.headers.emplace_back("X-Degraded-Mode", degraded(pending, breaker) ? "true" : "false");
  res.headers.emplace_back("X-Circuit-Breaker", std::move(breaker));
}

// One item's price, from the product as carts could establish it.
struct Priced {
  bool found = true;     // false: catalog answered 404
  bool pending = false;  // the price could not be confirmed now (from the cache, or unknown)
  std::string name;
  double price = 0;
};

Priced priced_from(const ProductInfo& info) {
  Priced p{info.found, info.pending, {}, 0};
  if (info.json.empty()) return p;
  boost::system::error_code ec;
  auto v = boost::json::parse(info.json, ec);
  if (ec || !v.is_object()) return p;
  const auto& o = v.get_object();
  if (auto it = o.find("name"); it != o.end() && it->value().is_string()) p.name = it->value().get_string();
  if (auto it = o.find("price"); it != o.end() && it->value().is_number()) p.price = it->value().to_number<double>();
  return p;
}

void append_item(std::string& out, const UserItem& item, const Priced& p) {
  out += fmt::format("{{\"product_id\":{},\"name\":", item.product_id);
  append_json_string(out, p.name);
  out += fmt::format(",\"quantity\":{},\"price\":{:.2f},\"price_pending\":{}}}", item.quantity, p.price,
                     p.pending ? "true" : "false");
}

asio::awaitable<std::pair<std::vector<UserItem>, std::optional<std::string>>> load_user(store::Store& store,
                                                                                      const std::string& user) {
  auto got = co_await store.get(user_key(user));
  if (!got) services::throw_store_failure("carts", got.error());
  if (!*got) co_return std::pair{std::vector<UserItem>{}, std::optional<std::string>{}};
  auto items = user_items_from_json(**got);
  if (!items) throw std::runtime_error("corrupt cart of " + user + ": " + items.error().message);
  co_return std::pair{std::move(*items), std::optional<std::string>{std::move(**got)}};
}

}  // namespace

std::string user_items_to_json(const std::vector<UserItem>& items) {
  std::string out = "{\"items\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += fmt::format("{{\"product_id\":{},\"quantity\":{}}}", items[i].product_id, items[i].quantity);
  }
  out += "]}";
  return out;
}

Result<std::vector<UserItem>> user_items_from_json(std::string_view json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return Error{ErrorKind::kProtocol, "user cart is not a JSON object"};
  std::vector<UserItem> items;
  try {
    for (const auto& item : v.get_object().at("items").as_array()) {
      const auto& io = item.as_object();
      items.push_back({static_cast<std::int32_t>(io.at("product_id").as_int64()),
                       static_cast<std::int32_t>(io.at("quantity").as_int64())});
    }
  } catch (const std::exception& e) {
    return Error{ErrorKind::kProtocol, std::string("malformed user cart: ") + e.what()};
  }
  return items;
}

namespace {

// The fields before the items, up to and including `"items":[`.
std::string cart_json_head(const Cart& c) {
  std::string out = fmt::format("{{\"shopping_cart_id\":{},\"customer_id\":{},\"status\":", c.id, c.customer_id);
  append_json_string(out, c.status);
  if (!c.order_id.empty()) {
    out += ",\"order_id\":";
    append_json_string(out, c.order_id);
  }
  out += ",\"items\":[";
  return out;
}

}  // namespace

std::string cart_to_json(const Cart& c) {
  std::string out = cart_json_head(c);
  for (std::size_t i = 0; i < c.items.size(); ++i) {
    if (i > 0) out += ',';
    out += fmt::format("{{\"product_id\":{},\"quantity\":{}}}", c.items[i].product_id, c.items[i].quantity);
  }
  out += "]}";
  return out;
}

Result<Cart> cart_from_json(std::string_view json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return Error{ErrorKind::kProtocol, "cart is not a JSON object"};
  const auto& o = v.get_object();
  Cart c;
  try {
    c.id = static_cast<std::int32_t>(o.at("shopping_cart_id").as_int64());
    c.customer_id = static_cast<std::int32_t>(o.at("customer_id").as_int64());
    c.status = std::string(o.at("status").as_string());
    if (auto it = o.find("order_id"); it != o.end()) c.order_id = std::string(it->value().as_string());
    for (const auto& item : o.at("items").as_array()) {
      const auto& io = item.as_object();
      c.items.push_back({static_cast<std::int32_t>(io.at("product_id").as_int64()),
                         static_cast<std::int32_t>(io.at("quantity").as_int64())});
    }
  } catch (const std::exception& e) {
    return Error{ErrorKind::kProtocol, std::string("malformed cart: ") + e.what()};
  }
  return c;
}

void register_routes(http::Router& router, Deps deps) {
  router.post("/cart/{user_id}/add", [deps](http::Request& req) -> asio::awaitable<http::Response> {
    auto user = user_of(req);
    auto body = services::json_object_body(req);
    auto product_id = services::int32_field(body, "product_id", 1);
    if (!product_id) services::throw_invalid(product_id.error());
    auto quantity = services::int32_field(body, "quantity", 1);
    if (!quantity) services::throw_invalid(quantity.error());
    const ProductInfo product = co_await product_info(deps, *product_id);
    const Priced priced = priced_from(product);
    if (!priced.found)
      co_return http::Response::error(404, http::code::kNotFound, fmt::format("product {} not found", *product_id));
    for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
      auto [items, stored] = co_await load_user(deps.store, user);
      auto it = std::find_if(items.begin(), items.end(), [&](const UserItem& i) { return i.product_id == *product_id; });
      if (it == items.end()) {
        if (items.size() >= kMaxItemsPerCart)
          co_return http::Response::error(400, http::code::kInvalidInput,
                                          fmt::format("a cart holds at most {} products", kMaxItemsPerCart));
        items.push_back({*product_id, *quantity});
        it = items.end() - 1;
      } else {
        if (static_cast<std::int64_t>(it->quantity) + *quantity > services::kInt32Max)
          co_return http::Response::error(400, http::code::kInvalidInput,
                                          fmt::format("quantity of product {} would exceed {}", *product_id,
                                                      services::kInt32Max));
        it->quantity += *quantity;
      }
      UserItem added = *it;
      auto swapped = co_await deps.store.compare_and_set(user_key(user), stored, user_items_to_json(items));
      if (!swapped) services::throw_store_failure("carts", swapped.error());
      if (!*swapped) continue;
      std::string out = "{\"user_id\":";
      append_json_string(out, user);
      out += ",\"item\":";
      append_item(out, added, priced);
      out += fmt::format(",\"items\":{}", items.size());
      append_degradation(out, deps, priced.pending);
      out += '}';
      co_return http::Response::json_text(200, std::move(out));
    }
    co_return http::Response::error(409, http::code::kConflict, "the cart changed too often concurrently; retry");
  });

  router.get("/cart/{user_id}", [deps](http::Request& req) -> asio::awaitable<http::Response> {
    auto user = user_of(req);
    auto loaded = co_await load_user(deps.store, user);
    const auto& items = loaded.first;
    std::string out = "{\"user_id\":";
    append_json_string(out, user);
    out += ",\"items\":[";
    double total = 0;
    bool any_pending = false;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const ProductInfo product = co_await product_info(deps, items[i].product_id);  // off: one failed item fails the cart
      Priced p = priced_from(product);
      if (!p.found) p.pending = true;  // gone from the catalogue: no price to confirm
      any_pending = any_pending || p.pending;
      total += p.price * items[i].quantity;
      if (i > 0) out += ',';
      append_item(out, items[i], p);
    }
    out += fmt::format("],\"total\":{:.2f}", total);
    append_degradation(out, deps, any_pending);
    out += '}';
    co_return http::Response::json_text(200, std::move(out));
  });

  router.del("/cart/{user_id}", [deps](http::Request& req) -> asio::awaitable<http::Response> {
    auto user = user_of(req);
    auto erased = co_await deps.store.erase(user_key(user));
    if (!erased) services::throw_store_failure("carts", erased.error());
    co_return http::Response::no_content();
  });

  router.post("/shopping-carts", [deps](http::Request& req) -> asio::awaitable<http::Response> {
    auto body = services::json_object_body(req);
    auto customer = services::int32_field(body, "customer_id", 1);
    if (!customer) services::throw_invalid(customer.error());
    auto next = co_await deps.store.increment(kNextIdKey, 1);
    if (!next) services::throw_store_failure("carts", next.error());
    if (*next > services::kInt32Max) throw std::runtime_error("cart ids exhausted");
    Cart cart{static_cast<std::int32_t>(*next), *customer, "open", {}, {}};
    auto stored = co_await deps.store.put_if_absent(key_of(cart.id), cart_to_json(cart));
    if (!stored) services::throw_store_failure("carts", stored.error());
    if (!*stored) throw std::runtime_error(fmt::format("cart id {} issued twice", cart.id));
    auto res = http::Response::json_text(201, fmt::format("{{\"shopping_cart_id\":{}}}", cart.id));
    res.headers.emplace_back("Location", fmt::format("/shopping-carts/{}", cart.id));
    co_return res;
  });

  router.get("/shopping-carts/{shoppingCartId}", [deps](http::Request& req) -> asio::awaitable<http::Response> {
    auto id = cart_id_of(req);
    auto loaded = co_await load(deps.store, id);
    if (!loaded) co_return cart_not_found(id);
    const Cart& c = loaded->cart;
    std::string out = cart_json_head(c);
    bool any_pending = false;
    for (std::size_t i = 0; i < c.items.size(); ++i) {
      ProductInfo p = co_await product_info(deps, c.items[i].product_id);  // off: one failed item fails the cart
      if (!p.found) p.pending = true;  // gone from the catalogue: nothing to confirm
      any_pending = any_pending || p.pending;
      if (i > 0) out += ',';
      out += fmt::format("{{\"product_id\":{},\"quantity\":{},\"product\":{},\"price_pending\":{}}}",
                         c.items[i].product_id, c.items[i].quantity, p.json.empty() ? "null" : p.json,
                         p.pending ? "true" : "false");
    }
    out += ']';
    append_degradation(out, deps, any_pending);
    out += '}';
    co_return http::Response::json_text(200, std::move(out));
  });

  router.post("/shopping-carts/{shoppingCartId}/items", [deps](http::Request& req) -> asio::awaitable<http::Response> {
    auto id = cart_id_of(req);
    auto body = services::json_object_body(req);
    auto product_id = services::int32_field(body, "product_id", 1);
    if (!product_id) services::throw_invalid(product_id.error());
    auto quantity = services::int32_field(body, "quantity", 1);
    if (!quantity) services::throw_invalid(quantity.error());
    if (!co_await load(deps.store, id)) co_return cart_not_found(id);

    // Off: a catalog fault fails the call. On: an unconfirmed product is
    // still added (from the cache, or unknown), and the answer says so.
    const ProductInfo product = co_await product_info(deps, *product_id);
    if (!product.found)
      co_return http::Response::error(404, http::code::kNotFound, fmt::format("product {} not found", *product_id));

    for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
      auto loaded = co_await load(deps.store, id);
      if (!loaded) co_return cart_not_found(id);
      Cart cart = loaded->cart;
      if (cart.status != "open")
        co_return http::Response::error(409, http::code::kConflict,
                                        fmt::format("shopping cart {} is {}", id, cart.status));
      auto it = std::find_if(cart.items.begin(), cart.items.end(),
                             [&](const Item& i) { return i.product_id == *product_id; });
      if (it == cart.items.end()) {
        if (cart.items.size() >= kMaxItemsPerCart)
          co_return http::Response::error(400, http::code::kInvalidInput,
                                          fmt::format("a cart holds at most {} products", kMaxItemsPerCart));
        cart.items.push_back({*product_id, *quantity});
      } else {
        if (static_cast<std::int64_t>(it->quantity) + *quantity > services::kInt32Max)
          co_return http::Response::error(400, http::code::kInvalidInput,
                                          fmt::format("quantity of product {} would exceed {}", *product_id,
                                                      services::kInt32Max));
        it->quantity += *quantity;
      }
      auto swapped = co_await deps.store.compare_and_set(key_of(id), loaded->json, cart_to_json(cart));
      if (!swapped) services::throw_store_failure("carts", swapped.error());
      if (*swapped) {
        auto res = http::Response::no_content();
        mark_degradation(res, deps, product.pending);
        co_return res;
      }
    }
    co_return http::Response::error(409, http::code::kConflict, "the cart changed too often concurrently; retry");
  });

  router.post("/shopping-carts/{shoppingCartId}/checkout", [deps](http::Request& req) -> asio::awaitable<http::Response> {
    auto id = cart_id_of(req);
    auto body = services::json_object_body(req);
    auto card = services::string_field(body, "credit_card_number", 13, 19);
    if (!card) services::throw_invalid(card.error());
    if (!payments::valid_card_number(*card))
      co_return http::Response::error(400, http::code::kInvalidInput,
                                      "field 'credit_card_number' must match ^[0-9]{13,19}$");
    auto loaded = co_await load(deps.store, id);
    if (!loaded) co_return cart_not_found(id);
    Cart cart = loaded->cart;
    if (cart.status == "checked_out") {
      std::string out = "{\"order_id\":";
      append_json_string(out, cart.order_id);
      out += '}';
      co_return http::Response::json_text(200, std::move(out));
    }
    if (cart.status != "open")
      co_return http::Response::error(409, http::code::kConflict, fmt::format("shopping cart {} is {}", id, cart.status));
    if (cart.items.empty())
      co_return http::Response::error(400, http::code::kInvalidInput, fmt::format("shopping cart {} is empty", id));

    // Claim the cart so one checkout runs at a time.
    cart.status = "checking_out";
    std::string claimed = cart_to_json(cart);
    auto swapped = co_await deps.store.compare_and_set(key_of(id), loaded->json, claimed);
    if (!swapped) services::throw_store_failure("carts", swapped.error());
    if (!*swapped)
      co_return http::Response::error(409, http::code::kConflict, "the cart changed during checkout; retry");

    std::size_t reserved = 0;
    // Undo: release what was reserved and reopen the cart (best effort; logged).
    auto undo = [&]() -> asio::awaitable<void> {
      for (std::size_t i = 0; i < reserved; ++i) {
        auto r = co_await deps.warehouse.release(cart.items[i].product_id, cart.items[i].quantity);
        if (!r || r->status != 204)
          spdlog::warn("carts: cart {}: cannot release {} x product {}", id, cart.items[i].quantity,
                       cart.items[i].product_id);
      }
      Cart reopened = cart;
      reopened.status = "open";
      auto back = co_await deps.store.compare_and_set(key_of(id), claimed, cart_to_json(reopened));
      if (!back || !*back) spdlog::warn("carts: cart {}: cannot reopen after a failed checkout", id);
    };

    std::optional<http::Response> failure;
    std::optional<Error> fault;
    for (; reserved < cart.items.size(); ++reserved) {
      const auto& item = cart.items[reserved];
      auto r = co_await deps.warehouse.reserve(item.product_id, item.quantity);
      if (!r) { fault = r.error(); break; }
      if (r->status == 204) continue;
      if (r->status == 409 || r->status == 404) failure = relay(r->status, *r);
      else fault = Error{ErrorKind::kUnavailable, fmt::format("warehouse answered {}", r->status)};
      break;
    }
    std::string transaction;
    if (!failure && !fault) {
      auto paid = co_await deps.payments.charge(*card, id);
      if (!paid) {
        fault = paid.error();
      } else if (paid->status == 200) {
        boost::system::error_code ec;
        auto v = boost::json::parse(paid->body, ec);
        if (!ec && v.is_object() && v.get_object().contains("transaction_id") &&
            v.get_object().at("transaction_id").is_string())
          transaction = std::string(v.get_object().at("transaction_id").get_string());
        else fault = Error{ErrorKind::kProtocol, "payments answered 200 without a transaction_id"};
      } else if (paid->status == 402 || paid->status == 400) {
        failure = relay(paid->status, *paid);
      } else {
        fault = Error{ErrorKind::kUnavailable, fmt::format("payments answered {}", paid->status)};
      }
    }
    if (failure || fault) {
      co_await undo();
      if (fault) throw_downstream("checkout", *fault);
      co_return std::move(*failure);
    }

    // Charged: ship what was reserved. A failed ship leaves the units reserved
    // (not lost) and is logged; the order stands.
    for (const auto& item : cart.items) {
      auto s = co_await deps.warehouse.ship(item.product_id, item.quantity);
      if (!s || s->status != 204)
        spdlog::warn("carts: cart {}: ship of {} x product {} failed; left reserved", id, item.quantity,
                     item.product_id);
    }
    cart.status = "checked_out";
    std::string order;
    assign_random_hex_id(order);
    cart.order_id = "order-" + order;
    auto done = co_await deps.store.compare_and_set(key_of(id), claimed, cart_to_json(cart));
    if (!done) services::throw_store_failure("carts", done.error());
    if (!*done) throw std::runtime_error(fmt::format("cart {} changed while checked out ({})", id, transaction));
    std::string out = "{\"order_id\":";
    append_json_string(out, cart.order_id);
    out += '}';
    co_return http::Response::json_text(200, std::move(out));
  });
}

}  // namespace scalelab::carts
