#!/usr/bin/env bash
# Compares the server's two threading models under the same load, in
# interleaved rounds: an io_context per thread (default) vs one io_context
# shared by all threads. Prints each round and the median ratio.
#   bench/io_model.sh [--threads N] [--duration SECS] [--rounds N] [--connections N] [--path P]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/bin/scalelab
threads=2 duration=8 rounds=3 connections=64 path=/albums/1
while [[ $# -gt 0 ]]; do
  case $1 in
    --threads) threads=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --path) path=$2; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "io_model.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x $bin ]] || { echo "build first: cmake --preset release && cmake --build --preset release" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: scripts/setup.sh --bench" >&2; exit 1; }

source scripts/lib.sh
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
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
mp=$(median "${per[@]}"); ms=$(median "${shared[@]}")
printf 'median    per-thread %10.1f req/s   shared %10.1f req/s   per-thread/shared %.2fx  (%d threads, %d connections, %ss)\n' \
  "$mp" "$ms" "$(awk -v a="$mp" -v b="$ms" 'BEGIN {print a / b}')" "$threads" "$connections" "$duration"
