#!/usr/bin/env bash
# One generator process vs N (`scalelab load --processes N`) against nginx
# answering a fixed body: requests/s and requests per generator CPU-second
# (user + system time of the whole command, its generator processes
# included, from /usr/bin/time). Splitting must not waste the generator's
# CPU: the target is per-CPU-second with N processes >= 0.9x one process's.
# Rounds are interleaved so a busy neighbour hits every N alike.
# It is a measurement, not a test: exits 0 even when the target is missed.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$repo_root/scripts/lib.sh"

scalelab=${SCALELAB_BIN:-$repo_root/build/release/bin/scalelab}
smoke=no
duration=5
users=64
rounds=2
counts="1 2 4"
usage() {
  echo "usage: bench/load_processes.sh [--bin BIN] [--duration SECS] [--users N] [--rounds N] [--counts '1 2 4'] [--smoke]"
  echo "--bin (or \$SCALELAB_BIN): the scalelab binary; --smoke: one 1 s round of 1 and 2 processes (checks the bench runs, measures nothing)."
  echo "Needs nginx (scripts/setup.sh --bench); a missing peer exits 77."
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scalelab|--bin) scalelab=$(realpath "$2"); shift 2 ;;
    --smoke) smoke=yes; shift ;;
    --duration) duration=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --counts) counts=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "load_processes: unknown option $1" >&2; exit 1 ;;
  esac
done
bench_need load_processes nginx nginx-light
bench_need load_processes /usr/bin/time time
if [[ $smoke == yes ]]; then
  duration=1 rounds=1 counts="1 2" users=4
  bench_smoke_note load_processes
fi

tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
# nginx with a worker per core, so the target is not one core's worth.
port=$(free_port)
mkdir -p "$tmp/nginx"
render_nginx_conf "$port" "$tmp/nginx" /albums/1 '{"id":"1","title":"Blue Train","artist":"John Coltrane","price":56.99}' \
  | sed -e "s|^worker_processes 1;|worker_processes auto;|" >"$tmp/nginx/nginx.conf"
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
pids+=($!)
url="http://127.0.0.1:$port/albums/1"
wait_healthy "$url"

echo "== $users users, ${duration}s per run, $rounds interleaved rounds, GET $url ($(uptime | sed 's/.*load/load/'))"
: >"$tmp/rows"
for round in $(seq 1 "$rounds"); do
  for n in $counts; do
    /usr/bin/time -f "%U %S" -o "$tmp/time" "$scalelab" load --url "$url" --users "$users" \
      --duration "${duration}s" --processes "$n" --no-progress --json "$tmp/r.json" >/dev/null 2>"$tmp/err" \
      || { echo "  $n processes failed: $(cat "$tmp/err")"; [[ $smoke == yes ]] && exit 1; continue; }
    read -r user sys <"$tmp/time"
    /usr/bin/python3 -c "
import json,sys
d=json.load(open('$tmp/r.json')); cpu=$user+$sys
print($round, $n, d['total_requests'], round(d['requests_per_s'],1), round(cpu,2), round(d['total_requests']/cpu) if cpu else 0)
" >>"$tmp/rows"
  done
done
/usr/bin/python3 - "$tmp/rows" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
for r in rows:
    print(f"  round {r[0]}  {r[1]} process(es)  {int(r[2]):>8} requests  {float(r[3]):>9.0f} req/s  CPU {float(r[4]):6.2f} s  {int(r[5]):>7} req per CPU-second")
per = {}
for r in rows:
    per.setdefault(r[1], []).append(float(r[5]))
base = statistics.median(per.get("1", [0]))
for n, v in per.items():
    m = statistics.median(v)
    ratio = m / base if base else 0
    verdict = "" if n == "1" else ("  (target >= 0.9x: met)" if ratio >= 0.9 else "  (target >= 0.9x: MISSED)")
    print(f"  median {n} process(es): {m:8.0f} req per generator CPU-second, {ratio:.2f}x one process{verdict}")
PY
