#!/usr/bin/env bash
# bench/orders_accept.sh: hw7's async accept path (POST /orders/async: store
# the order, publish it persistent + confirmed, then 202) against the raw bus
# publish benchmark of bench/bus_peers.sh, in the same run, on a private
# RabbitMQ node this script starts (and stops).
#   a. raw bus: `scalelab mq-bench` (1 KB persistent messages, publisher
#      confirms awaited every --batch, a durable classic queue) = the bus part
#      of bus_peers.sh; also the same into a quorum queue (`--quorum`), the
#      queue type the orders queue is (it has a delivery limit).
#   b. accept throughput: `scalelab serve orders --broker amqp://… --store
#      memory://` (or a private Redis: --store redis) driven by `scalelab
#      load`, closed model (--users, no wait), POST /orders/async with a ~1 KB
#      order, expect 202: 202s per second; ratio to (a). Target >= 0.7x.
#   c. accept latency: open model at --rate orders/s for --open-duration s:
#      p50/p99. Target p99 <= 10 ms at 1,000 orders/s. Its floor is the
#      broker's confirm round trip, measured beside it: `mq-bench --batch 1
#      --quorum` (one message at a time; ms per message).
# Diagnostics printed beside them: the quorum bus with as many messages in
# flight as (b) has users (--batch USERS); GET /health on the same server in
# the open model at the same rate (the HTTP path's own tail on this machine,
# no store, no broker); the service's CPU time per accepted order in (b),
# from /proc/PID/stat.
# Rounds interleave a, b, c; medians are compared. No worker consumes the
# queue (accepting never waits on payment), so the queue grows by every
# accepted order; the node is private and deleted at the end.
# --smoke: one short round with tiny counts, a check that the bench runs (its
# figures mean nothing); a missing peer or tool exits 77.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=../scripts/lib.sh
. "$root/scripts/lib.sh"
bin=${SCALELAB_BIN:-$root/build/release/bin/scalelab}
messages=20000
rtt_messages=300   # the one-at-a-time confirm round trip
batch=256
users=64
duration=10
rate=1000
open_duration=10
rounds=3
store=memory
server_threads=0
out=""
smoke=no
usage() {
  cat <<EOF
usage: $0 [--bin BIN] [--messages N] [--batch N] [--users N] [--duration SECS]
          [--rate N] [--open-duration SECS] [--rounds N] [--store memory|redis]
          [--server-threads N] [--out DIR] [--smoke]
  --bin (or --scalelab): the scalelab binary (default \$SCALELAB_BIN, else build/release/bin/scalelab)
  --smoke: one round of 1 s with tiny counts: checks the bench runs, measures nothing
EOF
}
while [ $# -gt 0 ]; do
  case $1 in
    --scalelab|--bin) bin=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --open-duration) open_duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --store) store=$2; shift 2 ;;
    --server-threads) server_threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) smoke=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "no scalelab binary at $bin (build it first)" >&2; exit 1; }
case $store in memory|redis) ;; *) echo "--store must be memory or redis" >&2; exit 2 ;; esac
if [ "$smoke" = yes ]; then
  messages=500 rtt_messages=20 batch=64 users=8 duration=1 rate=100 open_duration=1 rounds=1
fi
bench_need orders_accept jq jq
if [ "$smoke" = yes ]; then bench_smoke_note orders_accept; fi
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || bench_missing orders_accept "RabbitMQ (Debian package rabbitmq-server)"
if [ "$store" = redis ]; then bench_need orders_accept redis-server redis-server; fi

state=$(mktemp -d /tmp/scalelab-orders-bench.XXXXXX)
# A smoke run writes into its temp dir, never over a real run's results.
[ -n "$out" ] || if [ "$smoke" = yes ]; then out=$state/results; else out=$root/build/bench-results; fi
mkdir -p "$out/orders_accept"
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  "$bin" infra down --dir "$state/rabbitmq" >/dev/null 2>&1 || true
  "$bin" infra down --dir "$state/redis" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT
url=$("$bin" infra up rabbitmq --dir "$state/rabbitmq")
echo "private RabbitMQ at $url" >&2
store_url=memory://
if [ "$store" = redis ]; then
  store_url=$("$bin" infra up redis --dir "$state/redis")
  echo "private Redis at $store_url" >&2
fi

port=$(free_port)
"$bin" serve orders --address 127.0.0.1 --port "$port" --threads "$server_threads" --store "$store_url" \
  --broker "$url" >"$state/orders.log" 2>&1 &
server_pid=$!
wait_healthy "http://127.0.0.1:$port/health" || { cat "$state/orders.log" >&2; exit 1; }

body=$(kb_order)
scenario=$state/orders.yaml
orders_accept_scenario "orders async accept" "$port" "$body" >"$scenario"
order_bytes=${#body}
echo "order body: $order_bytes bytes" >&2

bus_rate() { sed -n 's/.*s, \([0-9.]*\) msg\/s/\1/p'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
ok_rate() { jq -r '((.total_requests - .failures) / .elapsed_s)' "$1"; }
fail_count() { jq -r '.failures' "$1"; }

bus=() quorum=() quorum_u=() rtt=() accept=() cpu=() p50=() p99=() h99=() fails=0
{
  echo "round,bus_classic_msg_s,bus_quorum_msg_s,bus_quorum_batch_users_msg_s,confirm_rtt_ms,accept_202_s,accept_failures,server_cpu_us_per_order,open_rate,open_p50_ms,open_p99_ms,open_failures,trustworthy,health_p99_ms"
} >"$out/orders_accept_rounds.csv"
for r in $(seq 1 "$rounds"); do
  b=$("$bin" mq-bench --broker "$url" --messages "$messages" --size 1024 --batch "$batch" | bus_rate)
  q=$("$bin" mq-bench --broker "$url" --messages "$messages" --size 1024 --batch "$batch" --quorum | bus_rate)
  qu=$("$bin" mq-bench --broker "$url" --messages "$messages" --size 1024 --batch "$users" --quorum | bus_rate)
  one=$("$bin" mq-bench --broker "$url" --messages "$rtt_messages" --size 1024 --batch 1 --quorum | bus_rate)
  t=$(awk -v r="$one" 'BEGIN {printf "%.2f", 1000 / r}')
  closed=$out/orders_accept/closed-$r.json
  c0=$(ticks "$server_pid")
  "$bin" load "$scenario" --users "$users" --duration "${duration}s" --no-progress --json "$closed" >/dev/null
  c1=$(ticks "$server_pid")
  a=$(ok_rate "$closed")
  af=$(fail_count "$closed")
  us=$(jq -r --arg t "$((c1 - c0))" --arg hz "$hz" '($t | tonumber) / ($hz | tonumber) * 1e6 / (.total_requests - .failures) | floor' "$closed")
  open=$out/orders_accept/open-$r.json
  "$bin" load "$scenario" --rate "$rate" --duration "${open_duration}s" --no-progress --json "$open" >/dev/null
  o50=$(jq -r '.aggregate.percentiles_ms.p50' "$open")
  o99=$(jq -r '.aggregate.percentiles_ms.p99' "$open")
  of=$(fail_count "$open")
  trust=$(jq -r '.self_check.trustworthy' "$open")
  health=$out/orders_accept/health-$r.json
  "$bin" load --url "http://127.0.0.1:$port/health" --rate "$rate" --duration "${open_duration}s" --no-progress --json "$health" >/dev/null
  hp=$(jq -r '.aggregate.percentiles_ms.p99' "$health")
  fails=$((fails + af + of))
  printf 'round %s: bus %s msg/s (quorum %s, batch %s %s, one at a time %s ms), accept %.0f 202/s (%s failed, %s us CPU each), open %s/s p50 %s ms p99 %s ms (%s failed, trustworthy %s), GET /health p99 %s ms\n' \
    "$r" "$b" "$q" "$users" "$qu" "$t" "$a" "$af" "$us" "$rate" "$o50" "$o99" "$of" "$trust" "$hp" >&2
  echo "$r,$b,$q,$qu,$t,$a,$af,$us,$rate,$o50,$o99,$of,$trust,$hp" >>"$out/orders_accept_rounds.csv"
  bus+=("$b") quorum+=("$q") quorum_u+=("$qu") rtt+=("$t") h99+=("$hp") accept+=("$a") cpu+=("$us") p50+=("$o50") p99+=("$o99")
done
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=

b=$(printf '%s\n' "${bus[@]}" | median)
q=$(printf '%s\n' "${quorum[@]}" | median)
qu=$(printf '%s\n' "${quorum_u[@]}" | median)
hp=$(printf '%s\n' "${h99[@]}" | median)
t=$(printf '%s\n' "${rtt[@]}" | median)
a=$(printf '%s\n' "${accept[@]}" | median)
us=$(printf '%s\n' "${cpu[@]}" | median)
m50=$(printf '%s\n' "${p50[@]}" | median)
m99=$(printf '%s\n' "${p99[@]}" | median)
ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')
ratio_q=$(awk -v a="$a" -v b="$q" 'BEGIN {printf "%.2f", a / b}')
ratio_qu=$(awk -v a="$a" -v b="$qu" 'BEGIN {printf "%.2f", a / b}')
verdict() { awk -v x="$1" -v t="$2" -v op="$3" 'BEGIN {ok = (op == ">=") ? x >= t : x <= t; print ok ? "HOLDS" : "MISSES"}'; }
{
  echo "measure,value,peer,ratio,target,verdict"
  echo "raw bus msg/s (1 KB persistent confirmed; batch $batch; classic queue),$b,,,,"
  echo "raw bus msg/s (same; quorum queue like the orders queue),$q,,,,"
  echo "raw bus msg/s (quorum queue; batch $users = the users of the accept run),$qu,,,,"
  echo "confirm round trip ms (one message at a time; quorum queue),$t,,,,"
  echo "accept 202/s ($order_bytes-byte orders; $users users; store $store) vs raw bus classic,$(printf '%.0f' "$a"),$b,$ratio,0.7,$(verdict "$ratio" 0.7 ">=")"
  echo "accept 202/s vs raw bus quorum,$(printf '%.0f' "$a"),$q,$ratio_q,0.7,$(verdict "$ratio_q" 0.7 ">=")"
  echo "accept 202/s vs raw bus quorum batch $users,$(printf '%.0f' "$a"),$qu,$ratio_qu,,"
  echo "service CPU us per accepted order,$us,,,,"
  echo "accept p50 ms at $rate orders/s (open model),$m50,,,,"
  echo "accept p99 ms at $rate orders/s (open model),$m99,,,10,$(verdict "$m99" 10 "<=")"
  echo "GET /health p99 ms at $rate req/s (same server; open model),$hp,,,,"
} | tee "$out/orders_accept.csv"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); failed requests: $fails; rounds: $out/orders_accept_rounds.csv" >&2
# A smoke run is a check: failed accepts mean a broken bench.
if [ "$smoke" = yes ] && [ "$fails" -gt 0 ]; then echo "orders_accept: $fails requests failed" >&2; exit 1; fi
