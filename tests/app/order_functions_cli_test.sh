#!/usr/bin/env bash
# `scalelab serve order-functions` as a user runs it: --help shows the
# function flags, bad options are refused with exit 2, and one process on
# memory:// serves the orders API, processes orders as functions, exports its
# counters in /metrics and logs the cost summary at SIGTERM.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
logs=$(mktemp -d)
pid=
trap '[[ -n $pid ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$logs"' EXIT

help=$("$bin" serve order-functions --help)
for flag in --store --broker --max-concurrency --cold-start-min --cold-start-max --keep-warm --memory-mb \
            --retries --payment-delay; do
  grep -q -- "$flag" <<<"$help" || fail "serve order-functions --help shows $flag"
done
if "$bin" serve order-functions --port 0 --max-concurrency 0 2>"$logs/err" >&2; then fail "--max-concurrency 0 accepted"; fi
grep -q "max concurrency must be in" "$logs/err" || fail "bad option message: $(cat "$logs/err")"

port=$(free_port)
"$bin" serve order-functions --port "$port" --max-concurrency 4 --cold-start-min 5ms --cold-start-max 10ms \
  --payment-delay 20ms >"$logs/run.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
wait_healthy "$base/health" || fail "did not come up: $(cat "$logs/run.log")"
ids=()
for i in 1 2 3 4 5; do
  body=$(curl -fsS -XPOST "$base/orders/async" -H 'Content-Type: application/json' \
    -d '{"customer_id":7,"items":[{"product_id":1,"quantity":1,"price":2.5}]}') || fail "POST /orders/async"
  ids+=("$(sed -E 's/.*"order_id":"([^"]+)".*/\1/' <<<"$body")")
done
for id in "${ids[@]}"; do
  for _ in $(seq 1 200); do
    curl -fsS "$base/orders/$id" | grep -q '"status":"completed"' && break
    sleep 0.05
  done
  curl -fsS "$base/orders/$id" | grep -q '"status":"completed"' || fail "order $id not completed"
done
metrics=$(curl -fsS "$base/metrics")
grep -q '^function_invocations_total 5$' <<<"$metrics" || fail "invocations in /metrics: $(grep function_ <<<"$metrics")"
grep -q '^function_billed_gb_seconds_total ' <<<"$metrics" || fail "GB-s in /metrics"
kill -TERM "$pid"
for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$pid" 2>/dev/null; then fail "still running 10 s after SIGTERM"; fi
wait "$pid" && rc=0 || rc=$?
pid=
[[ $rc -eq 0 ]] || fail "exit code $rc after SIGTERM"
grep -q "5 invocations" "$logs/run.log" || fail "no summary: $(tail -5 "$logs/run.log")"
grep -q "break-even" "$logs/run.log" || fail "no break-even in the summary"
echo "order-functions cli: ok"
