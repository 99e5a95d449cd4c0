#!/usr/bin/env bash
# bench/orders_worker.sh: the order worker's efficiency, orders completed per
# CPU-second of the worker process (`scalelab serve order-worker`), for one
# or two scalelab binaries measured alternately on the same private RabbitMQ
# and Redis nodes this script starts (and stops). Each round, per binary:
#   1. `serve orders` (the service alone) accepts --orders orders
#      (POST /orders/async, closed model, `scalelab load --max-requests`), so
#      they wait in order-processing-queue; the service is stopped.
#   2. `serve order-worker --workers W --payment-delay 0ms` drains the queue
#      alone; the run ends when Redis holds a charge for every order.
#   3. Printed: orders, wall seconds, the worker's CPU seconds (utime+stime
#      from /proc/PID/stat), orders/s and orders per worker CPU-second.
# Medians over --rounds per binary. Bounded: every wait has a timeout.
# Loopback only.
#   bench/orders_worker.sh [--bin NEW] [--before OLD] [--orders N] [--workers W] [--rounds R] [--smoke]
# --bin (or --scalelab, or $SCALELAB_BIN): the binary measured; --smoke: one
# round of 200 orders (checks the bench runs, measures nothing); a missing
# tool exits 77.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=../scripts/lib.sh
. "$root/scripts/lib.sh"
bin=${SCALELAB_BIN:-$root/build/release/bin/scalelab}
before=
orders=3000
workers=32
rounds=3
users=16
drain_timeout=120
usage() {
  echo "usage: $0 [--bin BIN] [--before BIN] [--orders N] [--workers N] [--rounds N] [--smoke]"
}
while [ $# -gt 0 ]; do
  case $1 in
    --scalelab|--bin) bin=$2; shift 2 ;;
    --before) before=$2; shift 2 ;;
    --orders) orders=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --smoke) orders=200; rounds=1; bench_smoke_note orders_worker; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for b in "$bin" ${before:+"$before"}; do
  [ -x "$b" ] || { echo "no scalelab binary at $b" >&2; exit 1; }
done
bench_need orders_worker jq jq
bench_need orders_worker redis-cli redis-tools

state=$(mktemp -d /tmp/scalelab-orders-worker.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  "$bin" infra down --dir "$state/rabbitmq" >/dev/null 2>&1 || true
  "$bin" infra down --dir "$state/redis" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT
amqp=$("$bin" infra up rabbitmq --dir "$state/rabbitmq")
redis=$("$bin" infra up redis --dir "$state/redis")
echo "private RabbitMQ at $amqp, Redis at $redis" >&2

hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
keys() { redis-cli -u "$redis" DBSIZE; }
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; }

body='{"customer_id": 4242, "items": [{"product_id": 1, "quantity": 2, "price": 19.99}, {"product_id": 7, "quantity": 1, "price": 100}]}'

# accept BIN: queues $orders orders through the service; prints how many were accepted.
accept() {
  local port
  port=$(free_port)
  "$1" serve orders --address 127.0.0.1 --port "$port" --store "$redis" --broker "$amqp" >"$state/orders.log" 2>&1 &
  pid=$!
  wait_healthy "http://127.0.0.1:$port/health" || { cat "$state/orders.log" >&2; exit 1; }
  orders_accept_scenario "queue orders" "$port" "$body" >"$state/accept.yaml"
  "$1" load "$state/accept.yaml" --users "$users" --max-requests "$orders" --duration 120s --no-progress \
    --json "$state/accept.json" >/dev/null
  stop
  jq -r '.total_requests - .failures' "$state/accept.json"
}

# drain BIN N: runs the worker until N orders are charged; prints "wall_s cpu_s".
drain() {
  local port t0 c0 c1 t1 want=$(($2 * 2))
  port=$(free_port)
  t0=$(date +%s.%N)
  "$1" serve order-worker --address 127.0.0.1 --port "$port" --store "$redis" --broker "$amqp" \
    --workers "$workers" --payment-delay 0ms >"$state/worker.log" 2>&1 &
  pid=$!
  c0=0
  local deadline=$(( $(date +%s) + drain_timeout ))
  # Every order is order/{id} + order-charge/{id} once it is charged.
  until [ "$(keys)" -ge "$want" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "worker did not finish in ${drain_timeout}s" >&2; cat "$state/worker.log" >&2; exit 1; }
    sleep 0.05
  done
  c1=$(ticks "$pid")
  t1=$(date +%s.%N)
  stop
  awk -v t0="$t0" -v t1="$t1" -v c="$((c1 - c0))" -v hz="$hz" 'BEGIN {printf "%.3f %.3f\n", t1 - t0, c / hz}'
}

declare -A rate eff
names=(after)
[ -n "$before" ] && names=(before after)
for r in $(seq 1 "$rounds"); do
  for name in "${names[@]}"; do
    b=$bin
    [ "$name" = before ] && b=$before
    redis-cli -u "$redis" FLUSHALL >/dev/null
    n=$(accept "$b")
    read -r wall cpu < <(drain "$b" "$n")
    per_s=$(awk -v n="$n" -v w="$wall" 'BEGIN {printf "%.0f", n / w}')
    per_cpu=$(awk -v n="$n" -v c="$cpu" 'BEGIN {printf "%.0f", (c > 0) ? n / c : 0}')
    printf 'round %s %s: %s orders, %s s wall, %s worker CPU s, %s orders/s, %s orders per worker CPU-second\n' \
      "$r" "$name" "$n" "$wall" "$cpu" "$per_s" "$per_cpu"
    rate[$name]+="$per_s "
    eff[$name]+="$per_cpu "
  done
done
for name in "${names[@]}"; do
  m_rate=$(tr ' ' '\n' <<<"${rate[$name]}" | grep . | median)
  m_eff=$(tr ' ' '\n' <<<"${eff[$name]}" | grep . | median)
  echo "$name (median of $rounds): $m_rate orders/s, $m_eff orders per worker CPU-second ($workers workers, payment delay 0)"
done
