#!/usr/bin/env bash
# bench/bus_peers.sh: the message bus and hw4 word count over RabbitMQ, each
# side by side with its peer in the same run, against a private RabbitMQ node
# this script starts (and stops).
#   1. word count throughput (MB/s): `scalelab wordcount --mappers 2` over
#      RabbitMQ (splitter, mappers, reducer as separate processes) vs a plain
#      single-process count of the same file (`scalelab wordcount --plain`);
#      target >= 0.5x.
#   2. raw bus throughput: persistent, publisher-confirmed 1 KB messages in
#      batches, `scalelab mq-bench` vs a minimal rabbitmq-c publisher loop
#      (bench/peers/amqp/publish.c, built here with cc -lrabbitmq); target >= 0.9x.
# Rounds alternate the two sides; the median of each side is compared.
# --smoke: one round on a 1 MB file and a few messages, a check that the bench
# runs (its figures mean nothing); a missing peer or tool exits 77.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=../scripts/lib.sh
. "$root/scripts/lib.sh"
bin=${SCALELAB_BIN:-$root/build/release/bin/scalelab}
size=$((100 * 1000 * 1000))
messages=20000
batch=256
rounds=3
out=""
smoke=no
usage() {
  echo "usage: $0 [--bin BIN] [--size BYTES] [--messages N] [--batch N] [--rounds N] [--out DIR] [--smoke]"
  echo "  --bin (or --scalelab): the scalelab binary (default \$SCALELAB_BIN, else build/release/bin/scalelab)"
  echo "  --smoke: one round, a 1 MB file, 500 messages: checks the bench runs, measures nothing"
}
while [ $# -gt 0 ]; do
  case $1 in
    --scalelab|--bin) bin=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --smoke) smoke=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "no scalelab binary at $bin (build it first)" >&2; exit 1; }
if [ "$smoke" = yes ]; then
  size=$((1000 * 1000)) messages=500 rounds=1
fi
bench_need bus_peers cc gcc
if [ "$smoke" = yes ]; then bench_smoke_note bus_peers; fi
[ -f /usr/include/amqp.h ] || bench_missing bus_peers "the rabbitmq-c headers (Debian package librabbitmq-dev)"
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || bench_missing bus_peers "RabbitMQ (Debian package rabbitmq-server)"

state=$(mktemp -d /tmp/scalelab-bus-bench.XXXXXX)
# A smoke run writes into its temp dir, never over a real run's results.
[ -n "$out" ] || if [ "$smoke" = yes ]; then out=$state/results; else out=$root/build/bench-results; fi
mkdir -p "$out" "$root/build/bench-peers"
peer=$root/build/bench-peers/amqp_publish
cc -O2 -Wall -o "$peer" "$here/peers/amqp/publish.c" -lrabbitmq
cleanup() { "$bin" infra down --dir "$state/rabbitmq" >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT
url=$("$bin" infra up rabbitmq --dir "$state/rabbitmq")
port=${url##*:}
echo "private RabbitMQ at $url" >&2

total_ms() { sed -n 's/.*total \([0-9.]*\) ms.*/\1/p' | tail -1; }

input=$state/input.txt
"$bin" wordcount-gen "$input" --bytes "$size" --seed 1 >/dev/null
bytes=$(stat -c %s "$input")
plain=() bus=()
for r in $(seq 1 "$rounds"); do
  p=$("$bin" wordcount "$input" --plain --output "$state/plain.csv" | total_ms)
  b=$("$bin" wordcount "$input" --mappers 2 --broker "$url" --services spawn --output "$state/bus.csv" | total_ms)
  cmp -s "$state/plain.csv" "$state/bus.csv" || { echo "word count over RabbitMQ differs from the plain count" >&2; exit 1; }
  echo "round $r: plain ${p} ms, rabbitmq 2 mappers ${b} ms (results identical)" >&2
  plain+=("$p") bus+=("$b")
done
p_ms=$(printf '%s\n' "${plain[@]}" | median)
b_ms=$(printf '%s\n' "${bus[@]}" | median)
p_mbs=$(awk -v b="$bytes" -v t="$p_ms" 'BEGIN {printf "%.1f", b / 1e3 / t}')
b_mbs=$(awk -v b="$bytes" -v t="$b_ms" 'BEGIN {printf "%.1f", b / 1e3 / t}')
wc_ratio=$(awk -v a="$b_ms" -v b="$p_ms" 'BEGIN {printf "%.2f", b / a}')

ours=() theirs=()
for r in $(seq 1 "$rounds"); do
  t=$("$peer" 127.0.0.1 "$port" "$messages" 1024 "$batch" | sed -n 's/.*s, \([0-9.]*\) msg\/s/\1/p')
  o=$("$bin" mq-bench --broker "$url" --messages "$messages" --size 1024 --batch "$batch" | sed -n 's/.*s, \([0-9.]*\) msg\/s/\1/p')
  echo "round $r: rabbitmq-c peer ${t} msg/s, scalelab ${o} msg/s" >&2
  theirs+=("$t") ours+=("$o")
done
t_rate=$(printf '%s\n' "${theirs[@]}" | median)
o_rate=$(printf '%s\n' "${ours[@]}" | median)
bus_ratio=$(awk -v a="$o_rate" -v b="$t_rate" 'BEGIN {printf "%.2f", a / b}')

{
  echo "measure,ours,peer,ratio,target"
  echo "wordcount MB/s ($bytes bytes; rabbitmq 2 mappers vs plain count),$b_mbs,$p_mbs,$wc_ratio,0.5"
  echo "bus msg/s (1 KB persistent confirmed; batch $batch),$o_rate,$t_rate,$bus_ratio,0.9"
} | tee "$out/bus_peers.csv"
