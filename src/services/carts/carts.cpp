#include "services/carts/carts.h"

#include <cctype>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "core/json_writer.h"
#include "services/carts/cart_store.h"
#include "services/carts/products.h"
#include "services/common/validation.h"

namespace scalelab::carts {

namespace asio = boost::asio;

namespace {

constexpr int kMaxCasAttempts = 32;
constexpr std::size_t kMaxUserIdLength = 100;
constexpr int kPriceDecimals = 2;

// ---- requests ----

CartRef shopping_cart_of(http::Request& req) {
  auto id = services::path_id(req.param("shoppingCartId"), "shoppingCartId");
  if (!id) services::throw_invalid(id.error());
  return CartRef::shopping_cart(*id);
}

CartRef user_cart_of(http::Request& req) {
  std::string_view u = req.param("user_id");
  bool ok = !u.empty() && u.size() <= kMaxUserIdLength;
  for (char c : u)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (!ok)
    throw http::HttpError(400, http::code::kInvalidInput, "path 'user_id' must be 1-100 of [A-Za-z0-9_.-]");
  return CartRef::user_cart(std::string(u));
}

Item item_of_body(const http::Request& req) {
  auto body = services::json_object_body(req);
  auto product_id = services::int32_field(body, "product_id", 1);
  if (!product_id) services::throw_invalid(product_id.error());
  auto quantity = services::int32_field(body, "quantity", 1);
  if (!quantity) services::throw_invalid(quantity.error());
  return {*product_id, *quantity};
}

[[noreturn]] void throw_cart_not_found(const CartRef& ref) {
  throw http::HttpError(404, http::code::kNotFound, fmt::format("shopping cart {} not found", ref.id));
}

[[noreturn]] void throw_not_open(const CartRef& ref, CartStatus status) {
  throw http::HttpError(409, http::code::kConflict, fmt::format("shopping cart {} is {}", ref.id, to_string(status)));
}

[[noreturn]] void throw_cannot_add(AddItemOutcome outcome, std::int32_t product_id) {
  if (outcome == AddItemOutcome::kTooManyProducts)
    throw http::HttpError(400, http::code::kInvalidInput,
                          fmt::format("a cart holds at most {} products", kMaxItemsPerCart));
  throw http::HttpError(400, http::code::kInvalidInput,
                        fmt::format("quantity of product {} would exceed {}", product_id, services::kInt32Max));
}

// ---- the one add-item path ----

struct Added {
  Item line;          // the product's line after the add
  std::size_t lines;  // products in the cart
  ProductInfo product;
};

// Validates the body, establishes the product (404 if the catalog does not
// know it), then adds it under compare-and-set. A shopping cart must exist
// (404) and be open (409); a user's cart always is.
asio::awaitable<Added> add_to_cart(Deps deps, CartRef ref, Item wanted) {
  const bool shopping = ref.api == CartRef::Api::kShoppingCart;
  if (shopping && !co_await load_cart(deps.store, ref)) throw_cart_not_found(ref);
  ProductInfo product = co_await product_info(deps.catalog, deps.resilient, wanted.product_id);
  if (!product.found)
    throw http::HttpError(404, http::code::kNotFound, fmt::format("product {} not found", wanted.product_id));
  for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
    auto loaded = co_await load_cart(deps.store, ref);
    if (!loaded) throw_cart_not_found(ref);
    Cart cart = std::move(loaded->cart);
    if (cart.status != CartStatus::kOpen) throw_not_open(ref, cart.status);
    auto outcome = add_item(cart.items, wanted.product_id, wanted.quantity);
    if (outcome != AddItemOutcome::kAdded) throw_cannot_add(outcome, wanted.product_id);
    if (co_await replace_cart(deps.store, ref, std::move(loaded->json), cart))
      co_return Added{item_of(cart.items, wanted.product_id), cart.items.size(), std::move(product)};
  }
  throw http::HttpError(409, http::code::kConflict, "the cart changed too often concurrently; retry");
}

// ---- bodies ----

void write_priced_item(JsonWriter& w, const Item& item, const Priced& p) {
  w.begin_object().field("product_id", item.product_id).field("name", p.name).field("quantity", item.quantity);
  w.key("price").fixed(p.price, kPriceDecimals).field("price_pending", p.pending).end_object();
}

http::Response order_placed(const std::string& order_id) {
  std::string out;
  JsonWriter(out).begin_object().field("order_id", order_id).end_object();
  return http::Response::json_text(200, std::move(out));
}

// ---- the course's per-user carts ----

asio::awaitable<http::Response> add_to_user_cart(Deps deps, http::Request& req) {
  CartRef ref = user_cart_of(req);
  const Added added = co_await add_to_cart(deps, ref, item_of_body(req));
  const Priced priced = priced_from(added.product);
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("user_id", ref.user).key("item");
  write_priced_item(w, added.line, priced);
  w.field("items", added.lines);
  write_degradation(w, degradation_of(deps.catalog, priced.pending));
  w.end_object();
  co_return http::Response::json_text(200, std::move(out));
}

asio::awaitable<http::Response> view_user_cart(Deps deps, http::Request& req) {
  CartRef ref = user_cart_of(req);
  auto loaded = co_await load_cart(deps.store, ref);
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("user_id", ref.user).key("items").begin_array();
  double total = 0;
  bool any_pending = false;
  for (const Item& item : loaded->cart.items) {
    // off: one failed item fails the cart
    Priced p = priced_from(co_await product_info(deps.catalog, deps.resilient, item.product_id));
    if (!p.found) p.pending = true;  // gone from the catalogue: no price to confirm
    any_pending = any_pending || p.pending;
    total += p.price * item.quantity;
    write_priced_item(w, item, p);
  }
  w.end_array().key("total").fixed(total, kPriceDecimals);
  write_degradation(w, degradation_of(deps.catalog, any_pending));
  w.end_object();
  co_return http::Response::json_text(200, std::move(out));
}

// ---- hw5's shopping carts ----

asio::awaitable<http::Response> create_shopping_cart(Deps deps, http::Request& req) {
  auto body = services::json_object_body(req);
  auto customer = services::int32_field(body, "customer_id", 1);
  if (!customer) services::throw_invalid(customer.error());
  std::int32_t id = co_await create_cart(deps.store, *customer);
  std::string out;
  JsonWriter(out).begin_object().field("shopping_cart_id", id).end_object();
  auto res = http::Response::json_text(201, std::move(out));
  res.headers.emplace_back("Location", fmt::format("/shopping-carts/{}", id));
  co_return res;
}

asio::awaitable<http::Response> view_shopping_cart(Deps deps, http::Request& req) {
  CartRef ref = shopping_cart_of(req);
  auto loaded = co_await load_cart(deps.store, ref);
  if (!loaded) throw_cart_not_found(ref);
  const Cart& c = loaded->cart;
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("shopping_cart_id", c.id).field("customer_id", c.customer_id);
  w.field("status", to_string(c.status));
  if (!c.order_id.empty()) w.field("order_id", c.order_id);
  w.key("items").begin_array();
  bool any_pending = false;
  for (const Item& item : c.items) {
    // off: one failed item fails the cart
    ProductInfo p = co_await product_info(deps.catalog, deps.resilient, item.product_id);
    if (!p.found) p.pending = true;  // gone from the catalogue: nothing to confirm
    any_pending = any_pending || p.pending;
    w.begin_object().field("product_id", item.product_id).field("quantity", item.quantity).key("product");
    if (p.json.empty()) w.null();
    else w.raw(p.json);
    w.field("price_pending", p.pending).end_object();
  }
  w.end_array();
  write_degradation(w, degradation_of(deps.catalog, any_pending));
  w.end_object();
  co_return http::Response::json_text(200, std::move(out));
}

asio::awaitable<http::Response> add_to_shopping_cart(Deps deps, http::Request& req) {
  CartRef ref = shopping_cart_of(req);
  const Added added = co_await add_to_cart(deps, ref, item_of_body(req));
  auto res = http::Response::no_content();
  mark_degradation(res, degradation_of(deps.catalog, added.product.pending));
  co_return res;
}

// Puts a claimed cart back to open after a failed checkout (best effort; logged).
asio::awaitable<void> reopen(Deps deps, CartRef ref, std::string claimed, Cart cart) {
  cart.status = CartStatus::kOpen;
  bool back = false;
  try {
    back = co_await store_transition(deps.store, ref, std::move(claimed), cart);
  } catch (const http::HttpError&) {
  }
  if (!back) spdlog::warn("carts: cart {}: cannot reopen after a failed checkout", ref.id);
}

asio::awaitable<http::Response> check_out(Deps deps, http::Request& req) {
  CartRef ref = shopping_cart_of(req);
  auto body = services::json_object_body(req);
  auto card = services::string_field(body, "credit_card_number", 13, 19);
  if (!card) services::throw_invalid(card.error());
  if (!services::valid_card_number(*card))
    throw http::HttpError(400, http::code::kInvalidInput, "field 'credit_card_number' must match ^[0-9]{13,19}$");
  auto loaded = co_await load_cart(deps.store, ref);
  if (!loaded) throw_cart_not_found(ref);
  Cart cart = std::move(loaded->cart);
  if (cart.status == CartStatus::kCheckedOut) co_return order_placed(cart.order_id);
  if (cart.status != CartStatus::kOpen) throw_not_open(ref, cart.status);
  if (cart.items.empty())
    throw http::HttpError(400, http::code::kInvalidInput, fmt::format("shopping cart {} is empty", ref.id));

  // Claim the cart so one checkout runs at a time.
  cart.status = CartStatus::kCheckingOut;
  std::string claimed = cart_to_json(cart);
  if (!co_await store_transition(deps.store, ref, std::move(*loaded->json), cart))
    throw http::HttpError(409, http::code::kConflict, "the cart changed during checkout; retry");

  auto outcome = co_await checkout(cart.items, *card, ref.id, deps.warehouse, deps.payments);
  if (outcome.result != CheckoutResult::kPaid) {
    co_await reopen(deps, ref, claimed, cart);
    if (outcome.result == CheckoutResult::kFault) services::throw_downstream("checkout", outcome.fault);
    co_return http::Response::json_text(outcome.rejection.status, std::move(outcome.rejection.body));
  }
  cart.status = CartStatus::kCheckedOut;
  std::string order;
  assign_random_hex_id(order);
  cart.order_id = "order-" + order;
  if (!co_await store_transition(deps.store, ref, std::move(claimed), cart))
    throw std::runtime_error(fmt::format("cart {} changed while checked out ({})", ref.id, outcome.transaction_id));
  co_return order_placed(cart.order_id);
}

asio::awaitable<http::Response> delete_user_cart(Deps deps, http::Request& req) {
  co_await erase_cart(deps.store, user_cart_of(req));
  co_return http::Response::no_content();
}

}  // namespace

void register_routes(http::Router& router, Deps deps) {
  using Handler = asio::awaitable<http::Response> (*)(Deps, http::Request&);
  auto route = [deps](Handler handler) {
    return [deps, handler](http::Request& req) { return handler(deps, req); };
  };
  router.post("/cart/{user_id}/add", route(add_to_user_cart));
  router.get("/cart/{user_id}", route(view_user_cart));
  router.del("/cart/{user_id}", route(delete_user_cart));
  router.post("/shopping-carts", route(create_shopping_cart));
  router.get("/shopping-carts/{shoppingCartId}", route(view_shopping_cart));
  router.post("/shopping-carts/{shoppingCartId}/items", route(add_to_shopping_cart));
  router.post("/shopping-carts/{shoppingCartId}/checkout", route(check_out));
}

}  // namespace scalelab::carts
