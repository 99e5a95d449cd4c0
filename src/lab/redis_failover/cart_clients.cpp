#include "lab/redis_failover/cart_clients.h"

#include <thread>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "core/run_blocking.h"
#include "services/carts/cart.h"

namespace scalelab::lab::failover {

namespace {

constexpr auto kCartRequestTimeout = std::chrono::seconds(15);  // a checkout may wait out the store's failover twice
constexpr auto kRetryPause = std::chrono::milliseconds(100);
constexpr std::string_view kCard = "4111111111111111";  // a card payments accepts
constexpr unsigned kConflict = 409;

std::string string_field(const std::string& body, const char* name) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  auto* f = v.as_object().if_contains(name);
  if (!f) return "";
  if (f->is_string()) return std::string(f->get_string());
  return f->is_int64() ? std::to_string(f->get_int64()) : "";
}

}  // namespace

CartClients::CartClients(std::uint16_t port, std::int32_t first_product, std::int32_t last_product,
                         Timeline& timeline)
    : port_(port), first_product_(first_product), products_(last_product - first_product + 1), timeline_(timeline) {}

bool CartClients::post_until(http::BlockingClient& client, const std::string& target, const std::string& body,
                             unsigned expected, std::string& answer_body, const std::atomic<bool>& stop) {
  while (!stop) {
    const auto started = Clock::now();
    auto answer = client.send({.method = http::Method::kPost, .target = target, .body = body,
                               .content_type = "application/json"},
                              kCartRequestTimeout);
    const bool ok = answer && answer->status == expected;
    timeline_.record(started, ok);
    if (ok) {
      answer_body = std::move(answer->body);
      return true;
    }
    if (answer && answer->status == kConflict) return false;
    ++refused_;
    std::this_thread::sleep_for(kRetryPause);
  }
  return false;
}

void CartClients::shop_once(http::BlockingClient& client, int shopper, const std::atomic<bool>& stop) {
  std::string answer;
  if (!post_until(client, "/shopping-carts", fmt::format(R"({{"customer_id":{}}})", shopper + 1), 201, answer, stop))
    return;
  const std::string id = string_field(answer, "shopping_cart_id");
  if (id.empty()) return;  // a 201 without its id: the contract test's to catch, not this one's
  CartSeen cart;
  cart.id = std::stoi(id);
  const auto remember = [&] {
    core::MutexLock lock(mu_);
    carts_.push_back(cart);
  };
  for (int i = 0; i < kItemsPerCart; ++i) {
    const std::int32_t product = first_product_ + (cart.id * kItemsPerCart + i) % products_;
    if (!post_until(client, fmt::format("/shopping-carts/{}/items", cart.id),
                    fmt::format(R"({{"product_id":{},"quantity":1}})", product), 204, answer, stop))
      return remember();
    cart.items[product] += 1;
  }
  if (post_until(client, fmt::format("/shopping-carts/{}/checkout", cart.id),
                 fmt::format(R"({{"credit_card_number":"{}"}})", kCard), 200, answer, stop))
    cart.order_id = string_field(answer, "order_id");
  else cart.stuck = !stop;
  remember();
}

void CartClients::run(int client, const std::atomic<bool>& stop) {
  http::BlockingClient c(http::ClientOptions{.port = port_});
  while (!stop) shop_once(c, client, stop);
}

std::vector<CartSeen> CartClients::carts() const {
  core::MutexLock lock(mu_);
  return carts_;
}

std::size_t CartClients::paid_count() const {
  core::MutexLock lock(mu_);
  std::size_t n = 0;
  for (const auto& c : carts_) n += c.order_id.empty() ? 0 : 1;
  return n;
}

namespace {

// The adds of `seen` whose quantity the stored items do not reach.
std::size_t lost_adds(const CartSeen& seen, const std::vector<carts::Item>& stored) {
  std::size_t lost = 0;
  for (const auto& [product, quantity] : seen.items) {
    std::int32_t have = 0;
    for (const auto& item : stored)
      if (item.product_id == product) have = item.quantity;
    if (have < quantity) lost += static_cast<std::size_t>(quantity - have);
  }
  return lost;
}

}  // namespace

Result<CartCheck> check_carts(store::Store& store, const std::vector<CartSeen>& seen) {
  CartCheck check;
  for (const auto& s : seen) {
    for (const auto& [product, quantity] : s.items) check.adds += static_cast<std::size_t>(quantity);
    if (!s.order_id.empty()) ++check.paid;
    if (s.stuck) ++check.stuck;
    auto record = run_blocking(store.get(fmt::format("cart/{}", s.id)));
    if (!record) return record.error();
    ++check.created;
    if (!*record) ++check.created_lost;
    auto cart = *record ? carts::cart_from_json(**record) : Result<carts::Cart>(carts::Cart{});
    if (!cart) return cart.error();
    check.adds_lost += lost_adds(s, cart->items);
    if (s.order_id.empty()) continue;
    if (cart->status != carts::CartStatus::kCheckedOut || cart->order_id != s.order_id) ++check.paid_lost;
    auto charge = run_blocking(store.get(fmt::format("payment/{}", s.id)));
    if (!charge) return charge.error();
    if (!*charge) ++check.paid_uncharged;
  }
  return check;
}

}  // namespace scalelab::lab::failover
