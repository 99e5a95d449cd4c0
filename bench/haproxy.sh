#!/usr/bin/env bash
# The balancer's cost: one `scalelab serve stub` instance (a fixed JSON answer,
# no delay, one thread) measured directly and through HAProxy (`scalelab
# infra up haproxy`, the instance joined through the admin socket with
# socat), in the same run, in interleaved rounds, with wrk:
#  - throughput: req/s with --connections connections (closed loop), and the
#    through/direct ratio (and p50 there, which is queueing at saturation);
#  - latency: p50 with ONE connection (no queueing), and the p50 HAProxy adds
#    (target: <= 0.2 ms).
# Figures are medians over the rounds. The instance and HAProxy share the
# server CPU (0), wrk runs on CPU 1 (when there are two).
#
# It is a measurement, not a test: it exits 0 even when the target misses;
# 77 when wrk or socat is missing; another non-zero code when something fails
# to start. --smoke: one short round, a check that the bench runs (its
# figures mean nothing).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$repo_root/scripts/lib.sh"

readonly TARGET_P50_OVERHEAD_MS=0.2
scalelab_bin=${SCALELAB_BIN:-$repo_root/build/release/bin/scalelab}
duration=5
connections=16
rounds=5
warmup=1
path=/item
out_dir=""
smoke=no
pin=auto

usage() {
  cat <<EOF
usage: bench/haproxy.sh [options]

  --bin BIN          scalelab binary (default: \$SCALELAB_BIN, else build/release/bin/scalelab)
  --smoke            one round of 1 s, 4 connections: checks the bench runs
  --duration SECS    measured seconds per target per load per round (default: $duration)
  --connections N    connections of the throughput load (default: $connections)
  --rounds N         interleaved rounds; figures are medians (default: $rounds)
  --warmup SECS      wrk warm-up before each round's measurements (default: $warmup)
  --out DIR          where haproxy.json goes (default: build/bench-results)
  --no-pin           do not pin the servers and wrk to CPUs
  -h, --help         this help
EOF
}

die() { echo "haproxy bench: error: $*" >&2; exit 1; }
need_arg() { [[ $# -ge 2 && -n $2 ]] || die "option $1 needs a value (see --help)"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) need_arg "$@"; scalelab_bin=$2; shift 2 ;;
    --smoke) smoke=yes; shift ;;
    --duration) need_arg "$@"; duration=$2; shift 2 ;;
    --connections) need_arg "$@"; connections=$2; shift 2 ;;
    --rounds) need_arg "$@"; rounds=$2; shift 2 ;;
    --warmup) need_arg "$@"; warmup=$2; shift 2 ;;
    --out) need_arg "$@"; out_dir=$2; shift 2 ;;
    --no-pin) pin=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $smoke == yes ]] && { duration=1 rounds=1 warmup=1 connections=4; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
{ is_uint "$duration" && ((duration >= 1)); } || die "--duration must be a positive integer"
{ is_uint "$connections" && ((connections >= 1)); } || die "--connections must be a positive integer"
{ is_uint "$rounds" && ((rounds >= 1 && rounds <= 100)); } || die "--rounds must be 1..100"
is_uint "$warmup" || die "--warmup must be a non-negative integer"
[[ -x $scalelab_bin ]] || die "scalelab binary not found: $scalelab_bin (build it or pass --bin)"

bench_need haproxy wrk wrk
bench_need haproxy socat socat
bench_need haproxy haproxy haproxy
bench_need haproxy python3 python3
[[ $smoke == yes ]] && bench_smoke_note haproxy

server_pin=() load_pin=() pin_desc="no CPU pinning"
if [[ $pin == auto ]] && (($(nproc) >= 2)) && command -v taskset >/dev/null; then
  server_pin=(taskset -c 0) load_pin=(taskset -c 1) pin_desc="instance and HAProxy on CPU 0, wrk on CPU 1"
fi

tmp_dir=$(mktemp -d "${TMPDIR:-/tmp}/haproxy_bench.XXXXXX")
[[ -n $out_dir ]] || out_dir=$([[ $smoke == yes ]] && echo "$tmp_dir/results" || echo "$repo_root/build/bench-results")
stub_pid="" wrk_pid=""
cleanup() {
  local rc=$?
  [[ -n $wrk_pid ]] && { kill -TERM "$wrk_pid" 2>/dev/null || true; wait "$wrk_pid" 2>/dev/null || true; }
  "$scalelab_bin" infra down --dir "$tmp_dir/haproxy" >/dev/null 2>&1 || true
  [[ -n $stub_pid ]] && { kill -TERM "$stub_pid" 2>/dev/null || true; wait "$stub_pid" 2>/dev/null || true; }
  rm -rf "$tmp_dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the instance and the balancer -------------------------------------------
stub_port=$(free_port)
"${server_pin[@]}" env -u SCALELAB_ACCESS_LOG "$scalelab_bin" serve stub --port "$stub_port" --threads 1 \
  >"$tmp_dir/stub.log" 2>&1 &
stub_pid=$!
wait_healthy "http://127.0.0.1:$stub_port/health" || die "the stub did not start: $(tail -n 5 "$tmp_dir/stub.log")"

haproxy_port=$(free_port)
"${server_pin[@]}" "$scalelab_bin" infra up haproxy --dir "$tmp_dir/haproxy" --port "$haproxy_port" >/dev/null \
  || die "infra up haproxy failed"
admin() { echo "$1" | socat -t 5 - "UNIX-CONNECT:$tmp_dir/haproxy/admin.sock"; }
# No health check for the bench's one server: it is UP as soon as it is ready.
# The idle pool keywords are those HaproxyAdmin::add_server gives (2.6 gives a
# dynamic server none, and would open a connection per request).
admin "add server app/stub 127.0.0.1:$stub_port pool-max-conn -1 pool-purge-delay 5s" | grep -q "New server registered" || die "add server refused"
[[ -z $(admin "set server app/stub state ready" | tr -d '\n') ]] || die "set server state ready refused"
wait_healthy "http://127.0.0.1:$haproxy_port$path" || die "no answer through HAProxy"

declare -A url=([direct]="http://127.0.0.1:$stub_port$path" [haproxy]="http://127.0.0.1:$haproxy_port$path")

# ---- measurement -------------------------------------------------------------
# "rps p50_ms errors" for one wrk --latency output (lib.sh's wrk_figures).
parse_wrk() { wrk_figures "$1" | awk '{print $1, $2, $4}'; }

echo "== balancer overhead: serve stub directly vs through HAProxy ($(haproxy -v | head -1 | awk '{print $3}')) =="
echo "$pin_desc; $rounds round(s) of ${duration}s per target per load, interleaved; GET $path"
rows="$tmp_dir/rows.txt"
: >"$rows"
for ((r = 1; r <= rounds; r++)); do
  # Alternate which target goes first, so neither always follows the other.
  order=(direct haproxy)
  ((r % 2 == 0)) && order=(haproxy direct)
  for target in "${order[@]}"; do
    ((warmup > 0)) && wrk_to_file "$warmup" "$connections" "${url[$target]}" "$tmp_dir/warm.txt"
    for load in throughput latency; do
      conns=$connections
      [[ $load == latency ]] && conns=1
      out="$tmp_dir/$target-$load-$r.txt"
      wrk_to_file "$duration" "$conns" "${url[$target]}" "$out" || die "wrk failed: $(tail -n 3 "$out")"
      fig=$(parse_wrk "$out") || die "cannot parse wrk output: $(cat "$out")"
      read -r rps p50 errors <<<"$fig"
      ((errors == 0)) || die "$target answered $errors errors in round $r"
      echo "$r $target $load $rps $p50" >>"$rows"
      printf '  round %d  %-8s %-10s  %10.0f req/s  p50 %.3f ms\n' "$r" "$target" "$load" "$rps" "$p50"
    done
  done
done

mkdir -p "$out_dir"
python3 - "$rows" "$out_dir/haproxy.json" "$TARGET_P50_OVERHEAD_MS" "$connections" "$duration" "$pin_desc" <<'PY'
import json, statistics, sys
rows_file, out, target, conns, duration, pin = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
rows = [l.split() for l in open(rows_file) if l.strip()]
def med(target_name, load, col):
    return statistics.median(float(r[col]) for r in rows if r[1] == target_name and r[2] == load)
fig = {t: {"rps": med(t, "throughput", 3), "p50_ms": med(t, "throughput", 4),
           "p50_ms_one_connection": med(t, "latency", 4),
           "rps_one_connection": med(t, "latency", 3)} for t in ("direct", "haproxy")}
ratio = fig["haproxy"]["rps"] / fig["direct"]["rps"]
overhead = fig["haproxy"]["p50_ms_one_connection"] - fig["direct"]["p50_ms_one_connection"]
print(f"== medians over {len(rows) // 4} round(s) ==")
print(f"  req/s at {conns} connections: direct {fig['direct']['rps']:.0f}, through HAProxy {fig['haproxy']['rps']:.0f} "
      f"(ratio {ratio:.2f}); p50 {fig['direct']['p50_ms']:.3f} vs {fig['haproxy']['p50_ms']:.3f} ms (saturated: "
      f"HAProxy takes CPU from the instance)")
print(f"  p50 at 1 connection: direct {fig['direct']['p50_ms_one_connection']:.3f} ms, through HAProxy "
      f"{fig['haproxy']['p50_ms_one_connection']:.3f} ms (overhead {overhead:.3f} ms; target <= {target} ms: "
      f"{'met' if overhead <= target else 'MISSED'})")
json.dump({"figures": fig, "rps_ratio_haproxy_over_direct": ratio, "p50_overhead_ms": overhead,
           "target_p50_overhead_ms": target, "target_met": overhead <= target, "connections": conns,
           "duration_s": duration, "pinning": pin, "statistic": "median over rounds",
           "rounds": [{"round": int(r[0]), "target": r[1], "load": r[2], "rps": float(r[3]), "p50_ms": float(r[4])}
                      for r in rows]}, open(out, "w"), indent=2)
print(f"  written: {out}")
PY
