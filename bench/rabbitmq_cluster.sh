#!/usr/bin/env bash
# bench/rabbitmq_cluster.sh: what a three-node RabbitMQ cluster costs against
# one node, in the same run, on private brokers this script starts (and
# stops): `infra up rabbitmq` (one node) and `infra up rabbitmq --nodes 3`.
# On both, the queue is a quorum queue (the orders queue is one): on one node
# it has one member, on the cluster three, so every confirm waits for a
# majority (two nodes) to have written the message.
#   a. publish throughput: `scalelab mq-bench --quorum` (1 KB persistent
#      messages, confirms awaited every --batch), through the node URL / the
#      cluster's URL list (the client uses the first node, which then leads
#      the queue);
#   b. accept latency: `scalelab serve orders --store memory://` on each
#      broker, POST /orders/async (~1 KB order, expect 202) in the open model
#      at --rate orders/s for --duration s: p50/p99;
# reported as ratios cluster / one node (throughput: below 1 is the cost;
# p99: above 1 is the cost). Rounds interleave one node and the cluster;
# medians are compared. Loopback on one machine: the cluster's nodes share
# its cores, so this is an upper bound of the replication cost in CPU and a
# lower bound in network delay (no real links).
# --smoke: one short round with tiny counts, a check that the bench runs (its
# figures mean nothing); a missing tool exits 77.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=../scripts/lib.sh
. "$root/scripts/lib.sh"
bin=${SCALELAB_BIN:-$root/build/release/bin/scalelab}
messages=20000
batch=256
rate=500
duration=10
rounds=3
out=""
smoke=no
usage() {
  cat <<EOF
usage: $0 [--bin BIN] [--messages N] [--batch N] [--rate N] [--duration SECS] [--rounds N] [--out DIR] [--smoke]
  --bin (or --scalelab): the scalelab binary (default \$SCALELAB_BIN, else build/release/bin/scalelab)
  --smoke: one round of 1 s with tiny counts: checks the bench runs, measures nothing
EOF
}
while [ $# -gt 0 ]; do
  case $1 in
    --scalelab|--bin) bin=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) smoke=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "no scalelab binary at $bin (build it first)" >&2; exit 1; }
if [ "$smoke" = yes ]; then messages=500 batch=64 rate=100 duration=1 rounds=1; fi
bench_need rabbitmq_cluster jq jq
if [ "$smoke" = yes ]; then bench_smoke_note rabbitmq_cluster; fi
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || bench_missing rabbitmq_cluster "RabbitMQ (Debian package rabbitmq-server)"

state=$(mktemp -d /tmp/scalelab-rabbitmq-cluster-bench.XXXXXX)
# A smoke run writes into its temp dir, never over a real run's results.
[ -n "$out" ] || if [ "$smoke" = yes ]; then out=$state/results; else out=$root/build/bench-results; fi
mkdir -p "$out/rabbitmq_cluster"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  "$bin" infra down --dir "$state/one" >/dev/null 2>&1 || true
  "$bin" infra down --dir "$state/three" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT
declare -A url port
url[one]=$("$bin" infra up rabbitmq --dir "$state/one")
url[three]=$("$bin" infra up rabbitmq --nodes 3 --dir "$state/three")
echo "one node: ${url[one]}; cluster: ${url[three]}" >&2

body=$(kb_order)
for k in one three; do
  port[$k]=$(free_port)
  "$bin" serve orders --address 127.0.0.1 --port "${port[$k]}" --store memory:// --broker "${url[$k]}" \
    >"$state/orders-$k.log" 2>&1 &
  pids+=("$!")
  wait_healthy "http://127.0.0.1:${port[$k]}/health" || { cat "$state/orders-$k.log" >&2; exit 1; }
  orders_accept_scenario "orders async accept ($k)" "${port[$k]}" "$body" >"$state/orders-$k.yaml"
done

bus_rate() { sed -n 's/.*s, \([0-9.]*\) msg\/s/\1/p'; }

declare -A pub p50 p99
fails=0
echo "round,nodes,publish_msg_s,accept_rate,accept_p50_ms,accept_p99_ms,accept_failures,trustworthy" \
  >"$out/rabbitmq_cluster_rounds.csv"
for r in $(seq 1 "$rounds"); do
  for k in one three; do
    m=$("$bin" mq-bench --broker "${url[$k]}" --messages "$messages" --size 1024 --batch "$batch" --quorum | bus_rate)
    [ -n "$m" ] || { echo "mq-bench on $k gave no rate" >&2; exit 1; }
    open=$out/rabbitmq_cluster/open-$k-$r.json
    "$bin" load "$state/orders-$k.yaml" --rate "$rate" --duration "${duration}s" --no-progress --json "$open" >/dev/null
    o50=$(jq -r '.aggregate.percentiles_ms.p50' "$open")
    o99=$(jq -r '.aggregate.percentiles_ms.p99' "$open")
    of=$(jq -r '.failures' "$open")
    trust=$(jq -r '.self_check.trustworthy' "$open")
    fails=$((fails + of))
    n=$([ "$k" = one ] && echo 1 || echo 3)
    printf 'round %s, %s node(s): publish %s msg/s, accept at %s/s p50 %s ms p99 %s ms (%s failed, trustworthy %s)\n' \
      "$r" "$n" "$m" "$rate" "$o50" "$o99" "$of" "$trust" >&2
    echo "$r,$n,$m,$rate,$o50,$o99,$of,$trust" >>"$out/rabbitmq_cluster_rounds.csv"
    pub[$k]+="$m " p50[$k]+="$o50 " p99[$k]+="$o99 "
  done
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
p1=$(med "${pub[one]}") p3=$(med "${pub[three]}")
l1=$(med "${p99[one]}") l3=$(med "${p99[three]}")
m1=$(med "${p50[one]}") m3=$(med "${p50[three]}")
{
  echo "measure,one_node,three_nodes,ratio_three_over_one"
  echo "publish msg/s (quorum queue; 1 KB persistent; confirms every $batch),$p1,$p3,$(ratio "$p3" "$p1")"
  echo "accept p50 ms at $rate orders/s (open model),$m1,$m3,$(ratio "$m3" "$m1")"
  echo "accept p99 ms at $rate orders/s (open model),$l1,$l3,$(ratio "$l3" "$l1")"
} | tee "$out/rabbitmq_cluster.csv"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); failed requests: $fails; rounds: $out/rabbitmq_cluster_rounds.csv" >&2
# A smoke run is a check: failed accepts mean a broken bench.
if [ "$smoke" = yes ] && [ "$fails" -gt 0 ]; then echo "rabbitmq_cluster: $fails requests failed" >&2; exit 1; fi
