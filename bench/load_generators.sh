#!/usr/bin/env bash
# Side-by-side load-generator benchmark, one run, ratios at the end:
#  1. rate: the most requests/s one generator thread gets from nginx answering
#     a fixed body over 64 connections: scalelab load (fast) vs wrk vs Locust
#     FastHttpUser (one process), plus each generator's CPU time, so that the
#     figure per generator CPU-second is comparable even when nginx is the limit;
#  1b. clients: scalelab's three clients on the same target (fast, runtime =
#     src/http's http::Client, simple), which justified writing the lean one;
#  2. memory: 10,000 idle users (60 s waits) against nginx, max RSS;
#  3. accuracy: p50 from scalelab load and from wrk against a stub adding
#     nothing (the loopback baseline), 10 ms, and 10 ms with --spin (the stub
#     sets its timer early by its learnt wake-up delay and polls the clock to
#     the due time); prints the stub's own lateness and each tool's error,
#     p50 - (10 ms + baseline);
#  4. a 1 s server stall under a constant 1,000 req/s (scalelab load, open
#     model) vs wrk's closed loop on the same stall: who shows it in p99.
# It is a measurement, not a test: exits 0 even when a target misses.
# --smoke runs every section once, briefly, with tiny counts (a check that the
# bench still runs, its figures mean nothing); a missing peer exits 77.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$repo_root/scripts/lib.sh"

scalelab=${SCALELAB_BIN:-$repo_root/build/release/bin/scalelab}
duration=10
connections=64
rounds=3
warmup=2
connections_acc=8
spin=1ms
idle_users=10000   # memory: users that each send one request, then wait
idle_secs=8
stall_at=3s stall_for=1s stall_run_secs=8
out_dir=""
only="rate,clients,memory,accuracy,stall"
smoke=no

usage() {
  cat <<USAGE
usage: bench/load_generators.sh [--bin BIN] [--duration SECS] [--rounds N] [--connections N] [--spin DURATION] [--out DIR] [--only LIST] [--smoke]
  LIST: comma list of rate,clients,memory,accuracy,stall (default: all)
  --bin BIN   the scalelab binary (also --scalelab; default \$SCALELAB_BIN, else build/release/bin/scalelab)
  --smoke     one short round of every section with tiny counts: checks the bench runs, measures nothing
Needs wrk, nginx, python3-locust and time (scripts/setup.sh --bench).
USAGE
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --scalelab|--bin) scalelab=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --spin) spin=$2; shift 2 ;;
    --out) out_dir=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --smoke) smoke=yes; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "load_generators: unknown option $1" >&2; exit 1 ;;
  esac
done
if [[ $smoke == yes ]]; then
  # Seconds, not minutes: every section once, small counts.
  duration=2 rounds=1 warmup=1 connections=8 connections_acc=2
  idle_users=200 idle_secs=2
  stall_at=1s stall_for=500ms stall_run_secs=3
fi
bench_need load_generators wrk wrk
if [[ $smoke == yes ]]; then bench_smoke_note load_generators; fi
bench_need load_generators nginx nginx-light
bench_need load_generators /usr/bin/locust python3-locust
bench_need load_generators /usr/bin/time time
[[ -x $scalelab ]] || { echo "load_generators: $scalelab not built" >&2; exit 1; }
want() { [[ ",$only," == *",$1,"* ]]; }

tmp=$(mktemp -d)
# A smoke run writes next to its temp files, never over a real run's results.
[[ -n $out_dir ]] || out_dir=$([[ $smoke == yes ]] && echo "$tmp/results" || echo "$repo_root/build/bench-results")
mkdir -p "$out_dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

server_pin=() load_pin=()
if [[ $(nproc) -ge 2 ]]; then server_pin=(taskset -c 0); load_pin=(taskset -c 1); fi
echo "pinning: servers ${server_pin[*]:-none}, generators ${load_pin[*]:-none}; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# timed CMD...: runs CMD, appends "user_s sys_s maxrss_kb" of it to $tmp/time.
timed() { /usr/bin/time -f "%U %S %M" -o "$tmp/time" "$@"; }
cpu_of() { awk '{printf "%.2f", $1 + $2}' "$tmp/time"; }
rss_mb_of() { awk '{printf "%.1f", $3 / 1024}' "$tmp/time"; }

# nginx: one worker, fixed body, room for 10,000+ connections.
nginx_port=$(free_port)
mkdir -p "$tmp/nginx"
render_nginx_conf "$nginx_port" "$tmp/nginx" /albums/1 '{"id":"1","title":"Blue Train","artist":"John Coltrane","price":56.99}' \
  30000 >"$tmp/nginx/nginx.conf"
"${server_pin[@]}" nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
pids+=($!)
url="http://127.0.0.1:$nginx_port/albums/1"
wait_healthy "$url"

results="$out_dir/load_generators.csv"
echo "test,tool,metric,value" >"$results"
record() { echo "$1,$2,$3,$4" >>"$results"; }

if want rate; then
  echo "== rate: one generator thread, $connections connections, ${duration}s per run, $rounds interleaved rounds, GET $url"
  wrk -t1 -c"$connections" -d"${warmup}s" "$url" >/dev/null  # warm-up
  : >"$tmp/rounds"
  for round in $(seq 1 "$rounds"); do
    timed "${load_pin[@]}" wrk -t1 -c"$connections" -d"${duration}s" "$url" >"$tmp/wrk.txt"
    echo "$round wrk $(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt") $(cpu_of)" >>"$tmp/rounds"
    timed "${load_pin[@]}" "$scalelab" load --url "$url" --users "$connections" --threads 1 \
      --duration "${duration}s" --no-progress --json "$tmp/sl.json" >"$tmp/sl.txt"
    echo "$round scalelab $(/usr/bin/python3 -c "import json;d=json.load(open('$tmp/sl.json'));print(round(d['requests_per_s'],1))") $(cpu_of)" >>"$tmp/rounds"
    sl_fail=$(/usr/bin/python3 -c "import json;print(json.load(open('$tmp/sl.json'))['failures'])")
    [[ $sl_fail == 0 ]] || echo "  note: scalelab load counted $sl_fail failures in round $round"
    # A smoke run is a check: failed requests mean a broken bench.
    if [[ $smoke == yes && $sl_fail != 0 ]]; then echo "load_generators: scalelab load failed requests" >&2; exit 1; fi
    rm -f "$tmp"/locust_*.csv
    LOAD_PATH=/albums/1 timed "${load_pin[@]}" /usr/bin/locust -f "$script_dir/peers/locust/locustfile.py" \
      --headless -u "$connections" -r "$connections" -t "${duration}s" --host "http://127.0.0.1:$nginx_port" \
      --csv "$tmp/locust" --only-summary --loglevel WARNING >"$tmp/locust.txt" 2>&1 || true
    echo "$round locust $(awk -F, '$2=="Aggregated" {print $10}' "$tmp/locust_stats.csv") $(cpu_of)" >>"$tmp/rounds"
  done
  while read -r round tool rps cpu; do
    printf "  round %s  %-9s %10.0f req/s   generator CPU %6.2f s\n" "$round" "$tool" "$rps" "$cpu"
    record "rate_round$round" "$tool" rps "$rps"; record "rate_round$round" "$tool" cpu_s "$cpu"
  done <"$tmp/rounds"
  # Medians over rounds; req per generator CPU-second from the same rounds.
  /usr/bin/python3 - "$tmp/rounds" "$duration" "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
dur = float(sys.argv[2])
med, per_cpu = {}, {}
for tool in ("wrk", "scalelab", "locust"):
    r = [float(x[2]) for x in rows if x[1] == tool]
    c = [float(x[2]) * dur / float(x[3]) for x in rows if x[1] == tool and float(x[3]) > 0]
    med[tool], per_cpu[tool] = statistics.median(r), statistics.median(c)
    print(f"  median {tool:9} {med[tool]:10.0f} req/s   {per_cpu[tool]:8.0f} req per generator CPU-second")
with open(sys.argv[3], "a") as f:
    for t in med:
        f.write(f"rate,{t},median_rps,{med[t]:.1f}\nrate,{t},median_req_per_cpu_s,{per_cpu[t]:.0f}\n")
print(f"  req/s:              scalelab/wrk {med['scalelab']/med['wrk']:.2f}x (target >= 1.0x)   "
      f"scalelab/locust {med['scalelab']/med['locust']:.1f}x (target >= 10x)")
print(f"  per generator CPU:  scalelab/wrk {per_cpu['scalelab']/per_cpu['wrk']:.2f}x   "
      f"scalelab/locust {per_cpu['scalelab']/per_cpu['locust']:.1f}x")
PY
fi

if want clients; then
  echo "== clients: scalelab load --client fast|runtime|simple, one thread, $connections users, ${duration}s each"
  for client in fast runtime simple; do
    timed "${load_pin[@]}" "$scalelab" load --url "$url" --users "$connections" --threads 1 --client "$client" \
      --duration "${duration}s" --no-progress --json "$tmp/c.json" >/dev/null
    rps=$(/usr/bin/python3 -c "import json;print(round(json.load(open('$tmp/c.json'))['requests_per_s'],1))")
    printf "  %-8s %10.0f req/s   generator CPU %6.2f s\n" "$client" "$rps" "$(cpu_of)"
    record clients "$client" rps "$rps"; record clients "$client" cpu_s "$(cpu_of)"
  done
fi

if want memory; then
  echo "== memory: $idle_users users, each one request then a 60 s wait, for $idle_secs s"
  timed "$scalelab" load --url "$url" --users "$idle_users" --wait 60s --duration "${idle_secs}s" --no-progress \
    --json "$tmp/mem.json" >"$tmp/mem.txt"
  mem=$(rss_mb_of)
  reqs=$(/usr/bin/python3 -c "import json;d=json.load(open('$tmp/mem.json'));print(d['total_requests'], d['failures'], d['peak_users'])")
  echo "  max RSS $mem MB (target <= 100 MB); requests, failures, peak users: $reqs"
  record memory scalelab max_rss_mb "$mem"
fi

stub_port=$(free_port)
if want accuracy; then
  echo "== accuracy: stub delays 0 (the loopback baseline), 10 ms, and 10 ms with --spin $spin; $connections_acc connections, ${duration}s per tool, $rounds rounds"
  : >"$tmp/acc"
  # acc_config NAME STUB-ARGS...: one stub, scalelab load then wrk on it; appends
  # "round name scalelab_p50_ms wrk_p50_ms stub_late_p50_us" to $tmp/acc.
  acc_config() {
    local name=$1; shift
    "${server_pin[@]}" "$scalelab" serve stub --port "$stub_port" --threads 1 --log-level warn "$@" &
    stub_pid=$!; pids+=($stub_pid)
    wait_healthy "http://127.0.0.1:$stub_port/stub/count"
    "${load_pin[@]}" "$scalelab" load --url "http://127.0.0.1:$stub_port/x" --users "$connections_acc" \
      --duration "${duration}s" --no-progress --json "$tmp/acc.json" >/dev/null
    local sl wr late
    sl=$(/usr/bin/python3 -c "import json;print(json.load(open('$tmp/acc.json'))['aggregate']['median_ms'])")
    "${load_pin[@]}" wrk -t1 -c"$connections_acc" -d"${duration}s" --latency "http://127.0.0.1:$stub_port/x" >"$tmp/wrk-acc.txt"
    # wrk prints 950.00us, 10.56ms or 1.02s.
    wr=$(awk '$1=="50%" {v=$2; u=v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
           print (u=="us" ? v/1000 : (u=="s" ? v*1000 : v))}' "$tmp/wrk-acc.txt")
    late=$(curl -fsS "http://127.0.0.1:$stub_port/stub/count" | /usr/bin/python3 -c "import json,sys;print(json.load(sys.stdin)['late_us']['p50'])")
    kill "$stub_pid"; wait "$stub_pid" 2>/dev/null || true
    echo "$round $name $sl $wr $late" >>"$tmp/acc"
    printf "  round %s  %-12s scalelab p50 %8.3f ms   wrk p50 %8.3f ms   stub's own lateness p50 %5s us\n" \
      "$round" "$name" "$sl" "$wr" "$late"
  }
  for round in $(seq 1 "$rounds"); do
    acc_config baseline --delay 0ms
    acc_config 10ms --delay 10ms
    acc_config 10ms+spin --delay 10ms --spin "$spin"
  done
  /usr/bin/python3 - "$tmp/acc" "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = {}
for name in ("baseline", "10ms", "10ms+spin"):
    sel = [r for r in rows if r[1] == name]
    med[name] = {tool: statistics.median(float(r[i]) for r in sel) for tool, i in (("scalelab", 2), ("wrk", 3))}
    med[name]["late_us"] = statistics.median(float(r[4]) for r in sel)
with open(sys.argv[2], "a") as f:
    for name, m in med.items():
        for k, v in m.items():
            f.write(f"accuracy,{k},{name}_p50{'_us' if k == 'late_us' else '_ms'},{v:.3f}\n")
print(f"  medians: baseline (0 ms) scalelab {med['baseline']['scalelab']:.3f} ms, wrk {med['baseline']['wrk']:.3f} ms")
# error: what is left of the p50 after the nominal delay and the loopback
# baseline; minus the stub's own lateness, what the client side (generator,
# its wake-up, the kernel) adds.
for name in ("10ms", "10ms+spin"):
    m = med[name]
    print(f"  {name}: the stub's own lateness p50 {m['late_us']:.0f} us")
    for tool in ("scalelab", "wrk"):
        p50, base = m[tool], med["baseline"][tool]
        err = p50 - (10 + base)
        print(f"    {tool:8} p50 {p50:.3f} ms ({(p50 - 10) * 10:+.1f}% of 10 ms);"
              f" error p50-(10+baseline) {err * 1000:+.0f} us; minus the stub's lateness {err * 1000 - m['late_us']:+.0f} us")
m = med["10ms+spin"]["scalelab"]
print(f"  target: scalelab p50 within 5% of 10 ms with the accurate stub (10ms+spin): {m:.3f} ms, "
      f"{'HOLDS' if abs(m - 10) <= 0.5 else 'MISSES'}")
PY
fi

if want stall; then
  echo "== stall: a $stall_for server stall $stall_at into a ${stall_run_secs}s run"
  stall_port=$(free_port)
  run_stub() {
    "${server_pin[@]}" "$scalelab" serve stub --port "$stall_port" --threads 1 --stall-at "$stall_at" --stall-for "$stall_for" --log-level warn &
    stub_pid=$!; pids+=($stub_pid)
    wait_healthy "http://127.0.0.1:$stall_port/health"
  }
  run_stub
  "${load_pin[@]}" "$scalelab" load --url "http://127.0.0.1:$stall_port/x" --rate 1000 --max-in-flight 2000 \
    --duration "${stall_run_secs}s" --no-progress --json "$tmp/stall.json" >/dev/null
  read -r s50 s99 s999 late < <(/usr/bin/python3 -c "import json;d=json.load(open('$tmp/stall.json'));a=d['aggregate']['percentiles_ms'];print(a['p50'],a['p99'],a['p99.9'],d['open_model']['late_starts'])")
  kill "$stub_pid"; wait "$stub_pid" 2>/dev/null || true
  run_stub
  "${load_pin[@]}" wrk -t1 -c8 -d"${stall_run_secs}s" --latency "http://127.0.0.1:$stall_port/x" >"$tmp/wrk-stall.txt"
  w99=$(awk '$1=="99%" {print $2}' "$tmp/wrk-stall.txt"); w50=$(awk '$1=="50%" {print $2}' "$tmp/wrk-stall.txt")
  kill "$stub_pid"; wait "$stub_pid" 2>/dev/null || true
  echo "  scalelab load --rate 1000 (open): p50 ${s50} ms  p99 ${s99} ms  p99.9 ${s999} ms  late starts $late"
  echo "  wrk -c8 (closed):                 p50 $w50  p99 $w99"
  record stall scalelab p99_ms "$s99"; record stall wrk p99 "$w99"
fi
echo "results: $results"
