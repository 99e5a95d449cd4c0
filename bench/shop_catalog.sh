#!/usr/bin/env bash
# Side-by-side benchmark of the shop's catalog, in one run:
#  1. GET /products/{id}: scalelab catalog (memory store) vs its FastAPI twin
#     (bench/peers/fastapi_catalog), both one worker, driven by wrk.
#  2. The same endpoint with the Redis store vs redis-benchmark GET on the
#     same private Redis: how close the service gets to its store.
#  3. nginx (one worker) answering the same bytes as a fixed body: the
#     ceiling an HTTP/1.1 server reaches on this machine, which bounds any
#     ratio to the FastAPI twin (nginx / FastAPI is the most 1. can show).
# Prints req/s and latency per peer (medians over interleaved rounds) and the
# ratios; writes CSV to --out. A measurement, not a test: exits non-zero only
# when something cannot run (77 when a peer or tool is missing). --smoke: one
# short round with few connections, a check that the bench runs.
set -euo pipefail

readonly PY=/usr/bin/python3
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$repo_root/scripts/lib.sh"

scalelab_bin=${SCALELAB_BIN:-$repo_root/build/release/bin/scalelab}
duration=10
connections=64
rounds=3
warmup=2
path=/products/12345
redis_requests=400000   # per redis-benchmark run
out_dir=""
smoke=no

usage() {
  cat <<USAGE
usage: bench/shop_catalog.sh [--bin BIN] [--duration SECS] [--connections N]
                             [--rounds N] [--warmup SECS] [--path PATH] [--out DIR] [--smoke]
Defaults: duration $duration s, $connections connections, $rounds rounds, path $path.
--bin (or --scalelab): the scalelab binary (default \$SCALELAB_BIN, else build/release/bin/scalelab).
--smoke: one round of 1 s, 8 connections: checks the bench runs, measures nothing.
Servers are pinned to CPU 0 and the load (wrk, redis-benchmark) to CPU 1 when nproc >= 2.
USAGE
}
die() { echo "shop_catalog: error: $*" >&2; exit 1; }
note() { echo "shop_catalog: $*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --scalelab|--bin) scalelab_bin=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --path) path=$2; shift 2 ;;
    --out) out_dir=$2; shift 2 ;;
    --smoke) smoke=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1'" ;;
  esac
done

if [[ $smoke == yes ]]; then
  duration=1 rounds=1 warmup=1 connections=8 redis_requests=2000
fi
bench_need shop_catalog wrk wrk
if [[ $smoke == yes ]]; then bench_smoke_note shop_catalog; fi
bench_need shop_catalog redis-benchmark redis-tools
bench_need shop_catalog taskset util-linux
bench_need shop_catalog nginx nginx-light
[[ -x $scalelab_bin ]] || die "no scalelab binary at $scalelab_bin (cmake --build --preset release)"
$PY -c 'import fastapi, uvicorn' 2>/dev/null \
  || bench_missing shop_catalog "FastAPI/uvicorn for $PY (Debian packages python3-fastapi python3-uvicorn)"

if [[ $(nproc) -ge 2 ]]; then server_pin=(taskset -c 0); load_pin=(taskset -c 1); else server_pin=(); load_pin=(); fi

work=$(mktemp -d /tmp/scalelab-shop-bench.XXXXXX)
# A smoke run writes into its temp dir, never over a real run's results.
[[ -n $out_dir ]] || out_dir=$([[ $smoke == yes ]] && echo "$work/results" || echo "$repo_root/build/bench-results")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$scalelab_bin" infra down --dir "$work/redis" >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A port the kernel hands out (lib.sh's free_port draws at random, and four
# draws before any server binds could repeat).
kernel_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null "http://127.0.0.1:$1/health" && return 0
    sleep 0.1
  done
  die "nothing answers on port $1"
}

"$scalelab_bin" infra up redis --dir "$work/redis" >/dev/null
redis_url=$(cat "$work/redis/url")
redis_port=${redis_url##*:}

p_mem=$(kernel_port); p_redis=$(kernel_port); p_fast=$(kernel_port); p_nginx=$(kernel_port)
"${server_pin[@]}" "$scalelab_bin" serve catalog --threads 1 --port "$p_mem" --log-level warn >"$work/mem.log" 2>&1 &
pids+=($!)
"${server_pin[@]}" "$scalelab_bin" serve catalog --threads 1 --port "$p_redis" --store "$redis_url" --log-level warn \
  >"$work/redis-catalog.log" 2>&1 &
pids+=($!)
"${server_pin[@]}" $PY -m uvicorn --app-dir "$script_dir/peers/fastapi_catalog" app:app --host 127.0.0.1 \
  --port "$p_fast" --workers 1 --no-access-log --log-level warning >"$work/fastapi.log" 2>&1 &
pids+=($!)
for p in "$p_mem" "$p_redis" "$p_fast"; do wait_http "$p"; done
# nginx answers with the very bytes the catalog sends.
body=$(curl -sf "http://127.0.0.1:$p_mem$path") || die "catalog did not answer $path"
mkdir -p "$work/nginx"
render_nginx_conf "$p_nginx" "$work/nginx" "$path" "$body" >"$work/nginx/nginx.conf"
"${server_pin[@]}" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" >"$work/nginx.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -sf -o /dev/null "http://127.0.0.1:$p_nginx$path" && break; sleep 0.1; done
[[ $(curl -sf "http://127.0.0.1:$p_nginx$path") == "$body" ]] || die "nginx does not answer the catalog's bytes (see $work/nginx/error.log)"
for p in "$p_mem" "$p_redis" "$p_fast" "$p_nginx"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p$path")
  [[ $code == 200 ]] || die "port $p answered $code for $path"
done

# wrk: req/s, p50 ms, p99 ms, non-2xx and socket errors (lib.sh's wrk_figures).
run_wrk() {
  local out="$work/wrk.txt"
  "${load_pin[@]}" wrk -t1 -c"$connections" -d"${warmup}s" "http://127.0.0.1:$1$path" >/dev/null
  "${load_pin[@]}" wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$1$path" >"$out"
  wrk_figures "$out"
}
# redis-benchmark GET with the same number of connections.
# $1: commands pipelined per connection (1: none).
run_redis_benchmark() {
  "${load_pin[@]}" redis-benchmark -h 127.0.0.1 -p "$redis_port" -c "$connections" -n "$redis_requests" -t get -P "$1" -q \
    | awk -F'[: ]+' '/GET/ { for (i=1;i<=NF;i++) if ($i ~ /^[0-9.]+$/) { print $i; exit } }'
}

mkdir -p "$out_dir"
csv="$out_dir/shop_catalog.csv"
echo "round,peer,req_per_s,p50_ms,p99_ms,non_2xx" >"$csv"
for r in $(seq 1 "$rounds"); do
  for peer in scalelab fastapi nginx scalelab_redis redis_benchmark redis_benchmark_p16; do
    case $peer in
      scalelab) line=$(run_wrk "$p_mem") ;;
      nginx) line=$(run_wrk "$p_nginx") ;;
      fastapi) line=$(run_wrk "$p_fast") ;;
      scalelab_redis) line=$(run_wrk "$p_redis") ;;
      redis_benchmark) line="$(run_redis_benchmark 1) 0 0 0" ;;
      redis_benchmark_p16) line="$(run_redis_benchmark 16) 0 0 0" ;;
    esac
    read -r rps p50 p99 bad <<<"$line"
    note "round $r $peer: $rps req/s p50 $p50 ms p99 $p99 ms non-2xx $bad"
    # A smoke run is a check: a peer that answers errors is a broken bench.
    if [[ $smoke == yes && $bad != 0 ]]; then die "$peer answered $bad non-2xx responses"; fi
    echo "$r,$peer,$rps,$p50,$p99,$bad" >>"$csv"
  done
done

$PY - "$csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = {}
for peer in ("scalelab", "fastapi", "nginx", "scalelab_redis", "redis_benchmark", "redis_benchmark_p16"):
    rs = [r for r in rows if r["peer"] == peer]
    med[peer] = {k: statistics.median(float(r[k]) for r in rs) for k in ("req_per_s", "p50_ms", "p99_ms", "non_2xx")}
print("| peer | req/s | p50 ms | p99 ms |")
print("|---|---|---|---|")
for peer, m in med.items():
    lat = "" if peer.startswith("redis_benchmark") else f"{m['p50_ms']:.3f} | {m['p99_ms']:.3f}"
    print(f"| {peer} | {m['req_per_s']:,.0f} | {lat or '- | -'} |")
print()
r1 = med["scalelab"]["req_per_s"] / med["fastapi"]["req_per_s"]
r2 = med["scalelab_redis"]["req_per_s"] / med["redis_benchmark"]["req_per_s"]
print(f"scalelab catalog / FastAPI twin: {r1:.1f}x (target >= 50x: {'met' if r1 >= 50 else 'NOT met'})")
r4 = med["nginx"]["req_per_s"] / med["fastapi"]["req_per_s"]
print(f"nginx fixed body / FastAPI twin: {r4:.1f}x (the ceiling of the ratio above on this machine)")
print(f"scalelab catalog / nginx fixed body: {med['scalelab']['req_per_s'] / med['nginx']['req_per_s']:.2f}x")
r3 = med["scalelab_redis"]["req_per_s"] / med["redis_benchmark_p16"]["req_per_s"]
print(f"scalelab catalog on Redis / redis-benchmark GET (no pipelining): {r2:.2f}")
print(f"scalelab catalog on Redis / redis-benchmark GET -P 16 (pipelined): {r3:.2f}")
PY
