#!/usr/bin/env bash
# Compares the server's two threading models under the same load, in
# interleaved rounds: an io_context per thread (default) vs one io_context
# shared by all threads. Prints each round and the median ratio.
#   bench/io_model.sh [--bin BIN] [--threads N] [--duration SECS] [--rounds N] [--connections N] [--path P] [--smoke]
# --bin (or $SCALELAB_BIN): the scalelab binary (default build/release/bin/scalelab).
# --smoke: one round of 1 s (checks the bench runs, measures nothing); no wrk exits 77.
set -euo pipefail
bin=${SCALELAB_BIN:-build/release/bin/scalelab}
threads=2 duration=8 rounds=3 connections=64 path=/albums/1 smoke=no
while [[ $# -gt 0 ]]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --path) path=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --smoke) smoke=yes; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "io_model.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
# A relative --bin is taken from where the script was called; then work from the repo root.
[[ $bin == /* || ! -e $bin ]] || bin=$PWD/$bin
cd "$(dirname "$0")/.."
[[ -x $bin ]] || { echo "no scalelab binary at $bin; build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
source scripts/lib.sh
bench_need io_model wrk wrk
if [[ $smoke == yes ]]; then
  duration=1 rounds=1 connections=8
  bench_smoke_note io_model
fi
port=$(free_port)
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; true' EXIT

run() {  # model -> req/s
  "$bin" serve albums --port "$port" --threads "$threads" --io-model "$1" --log-level warn &
  pid=$!
  wait_healthy "http://127.0.0.1:$port/health"
  wrk -t1 -c"$connections" -d1s "http://127.0.0.1:$port$path" >/dev/null  # warm-up
  wrk -t1 -c"$connections" -d"${duration}s" "http://127.0.0.1:$port$path" | awk '/Requests\/sec/ {print $2}'
  kill $pid; wait $pid 2>/dev/null || true; pid=""
}

declare -a per shared
for r in $(seq 1 "$rounds"); do
  a=$(run per-thread); b=$(run shared)
  per+=("$a"); shared+=("$b")
  printf 'round %d  per-thread %10.1f req/s   shared %10.1f req/s\n' "$r" "$a" "$b"
done
mp=$(printf '%s\n' "${per[@]}" | median); ms=$(printf '%s\n' "${shared[@]}" | median)
printf 'median    per-thread %10.1f req/s   shared %10.1f req/s   per-thread/shared %.2fx  (%d threads, %d connections, %ss)\n' \
  "$mp" "$ms" "$(awk -v a="$mp" -v b="$ms" 'BEGIN {print a / b}')" "$threads" "$connections" "$duration"
