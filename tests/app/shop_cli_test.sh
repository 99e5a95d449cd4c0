#!/usr/bin/env bash
# `scalelab serve shop` as a user runs it: all four services in one process,
# carts calling the others on the process's own port, through to an order;
# then the separate `serve catalog|warehouse|payments|carts` processes wired
# by URL flags; and a clear error when carts lacks a downstream URL.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
pids=()
logs=$(mktemp -d)
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$logs"' EXIT

post() { curl -sS -o "$logs/body" -w '%{http_code}' -XPOST "$1" -H 'Content-Type: application/json' -d "$2"; }

for cmd in catalog carts warehouse payments shop; do
  "$bin" serve "$cmd" --help | grep -q -- "--store" || fail "serve $cmd --help shows --store"
done
"$bin" serve carts --help | grep -q -- "--catalog-url" || fail "serve carts --help shows --catalog-url"
if "$bin" serve carts --port 0 2>"$logs/err"; then fail "carts without downstream URLs started"; fi
grep -q "carts needs --catalog-url" "$logs/err" || fail "missing-URL message: $(cat "$logs/err")"

checkout_flow() {  # $1: carts base URL
  [[ $(post "$1/shopping-carts" '{"customer_id":3}') == 201 ]] || fail "create cart: $(cat "$logs/body")"
  grep -q '"shopping_cart_id":1' "$logs/body" || fail "cart id: $(cat "$logs/body")"
  [[ $(post "$1/shopping-carts/1/items" '{"product_id":42,"quantity":2}') == 204 ]] || fail "add item: $(cat "$logs/body")"
  [[ $(post "$1/shopping-carts/1/checkout" '{"credit_card_number":"4111111111111111"}') == 200 ]] \
    || fail "checkout: $(cat "$logs/body")"
  grep -q '"order_id":"order-' "$logs/body" || fail "order id: $(cat "$logs/body")"
}

port=$(free_port)
"$bin" serve shop --port "$port" --products 1000 >"$logs/shop.log" 2>&1 &
pids+=($!)
wait_healthy "http://127.0.0.1:$port/health" || fail "shop did not come up: $(cat "$logs/shop.log")"
checkout_flow "http://127.0.0.1:$port"
curl -fsS "http://127.0.0.1:$port/warehouse/stock/42" | grep -q '"available":998' || fail "stock after the order"
curl -fsS "http://127.0.0.1:$port/openapi.json" | grep -q '"openapi":"3.0.3"' || fail "openapi.json"

declare -A ports
for svc in catalog warehouse payments; do
  ports[$svc]=$(free_port)
  extra=(); [[ $svc == payments ]] || extra=(--products 1000)
  "$bin" serve "$svc" --port "${ports[$svc]}" "${extra[@]}" >"$logs/$svc.log" 2>&1 &
  pids+=($!)
done
carts_port=$(free_port)
"$bin" serve carts --port "$carts_port" --catalog-url "http://127.0.0.1:${ports[catalog]}" \
  --warehouse-url "http://127.0.0.1:${ports[warehouse]}" --payments-url "http://127.0.0.1:${ports[payments]}" \
  >"$logs/carts.log" 2>&1 &
pids+=($!)
for p in "${ports[@]}" "$carts_port"; do
  wait_healthy "http://127.0.0.1:$p/health" || fail "a service on $p did not come up"
done
checkout_flow "http://127.0.0.1:$carts_port"
echo "shop cli end-to-end: ok"
