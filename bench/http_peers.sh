#!/usr/bin/env bash
# Side-by-side HTTP benchmark: scalelab's albums service against three peers
# (nginx static ceiling, a Gin twin, a FastAPI twin), all driven by wrk in the
# same run. Prints req/s, p50/p99 latency (medians over interleaved rounds),
# the scalelab/peer ratios and whether the targets hold; writes CSV + JSON.
#
# It is a measurement, not a test: it exits 0 even when a target misses, and
# non-zero only when something cannot run (a server fails to start or dies;
# 77 when a peer or tool is missing). --smoke: one short round with few
# connections, a check that the bench runs (its figures mean nothing).
set -euo pipefail

readonly ALL_PEERS=(scalelab nginx gin fastapi)
readonly PY=/usr/bin/python3   # Debian's python (fastapi/uvicorn live there)

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
# shellcheck source=../scripts/lib.sh
source "$repo_root/scripts/lib.sh"

scalelab_bin=${SCALELAB_BIN:-$repo_root/build/release/bin/scalelab}
duration=10
connections=64
rounds=3
warmup=2
path=/albums/1
only=""
out_dir=""
smoke=no
build_dir="$repo_root/build/bench-peers"
server_cpus=""
load_cpus=""
pin=auto
cpu_quota=""

usage() {
  cat <<EOF
usage: bench/http_peers.sh [options]

  --bin BIN           scalelab binary (also --scalelab; default: \$SCALELAB_BIN,
                      else build/release/bin/scalelab)
  --smoke             one round of 1 s, 8 connections, 1 s warm-up: checks the
                      bench runs (a missing peer exits 77), measures nothing
  --duration SECS     measured seconds per peer per round (default: $duration)
  --connections N     wrk connections, one wrk thread (default: $connections)
  --rounds N          interleaved rounds; figures are medians (default: $rounds)
  --warmup SECS       wrk warm-up before each measurement (default: $warmup)
  --path PATH         request path (default: $path; nginx only serves /albums/1)
  --only LIST         comma list of: ${ALL_PEERS[*]} (default: all)
  --out DIR           results dir for CSV/JSON (default: build/bench-results)
  --build-dir DIR     where the Gin peer is built (default: build/bench-peers)
  --server-cpus LIST  taskset CPU list for the servers (default: 0 if nproc >= 2)
  --load-cpus LIST    taskset CPU list for wrk (default: 1 if nproc >= 2)
  --no-pin            do not pin anything with taskset
  --server-cpu-quota PCT
                      cap every server at PCT% of one CPU (a cgroup CPU
                      quota), so that the server, not wrk, is the bottleneck
  -h, --help          this help

Every server runs with one worker: scalelab --threads 1, nginx
worker_processes 1, Gin with GOMAXPROCS=1, uvicorn with 1 worker.
If the scalelab binary is missing it is skipped, unless --only names it.
EOF
}

die() { echo "http_peers: error: $*" >&2; exit 1; }
note() { echo "http_peers: $*"; }

need_arg() { [[ $# -ge 2 && -n $2 ]] || die "option $1 needs a value (see --help)"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --scalelab|--bin) need_arg "$@"; scalelab_bin=$2; shift 2 ;;
    --smoke) smoke=yes; shift ;;
    --duration) need_arg "$@"; duration=$2; shift 2 ;;
    --connections) need_arg "$@"; connections=$2; shift 2 ;;
    --rounds) need_arg "$@"; rounds=$2; shift 2 ;;
    --warmup) need_arg "$@"; warmup=$2; shift 2 ;;
    --path) need_arg "$@"; path=$2; shift 2 ;;
    --only) need_arg "$@"; only=$2; shift 2 ;;
    --out) need_arg "$@"; out_dir=$2; shift 2 ;;
    --build-dir) need_arg "$@"; build_dir=$2; shift 2 ;;
    --server-cpus) need_arg "$@"; server_cpus=$2; pin=yes; shift 2 ;;
    --load-cpus) need_arg "$@"; load_cpus=$2; pin=yes; shift 2 ;;
    --no-pin) pin=no; shift ;;
    --server-cpu-quota) need_arg "$@"; cpu_quota=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

if [[ $smoke == yes ]]; then
  duration=1 rounds=1 warmup=1 connections=8
fi
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
if ! is_uint "$duration" || ((duration < 1)); then die "--duration must be a positive integer"; fi
if ! is_uint "$connections" || ((connections < 1)); then die "--connections must be a positive integer"; fi
if ! is_uint "$rounds" || ((rounds < 1 || rounds > 100)); then die "--rounds must be 1..100"; fi
is_uint "$warmup" || die "--warmup must be a non-negative integer"
[[ $path == /* ]] || die "--path must start with /"

# Relative paths are taken from the repo root, like the defaults.
abspath() { if [[ $1 == /* ]]; then echo "$1"; else echo "$repo_root/$1"; fi; }
scalelab_bin=$(abspath "$scalelab_bin")
[[ -n $out_dir ]] && out_dir=$(abspath "$out_dir")
build_dir=$(abspath "$build_dir")

# ---- which peers ---------------------------------------------------------
peers=()
only_scalelab_explicit=no
if [[ -z $only ]]; then
  peers=("${ALL_PEERS[@]}")
else
  IFS=, read -r -a wanted <<<"$only"
  for p in "${ALL_PEERS[@]}"; do          # keep the canonical interleave order
    for w in "${wanted[@]}"; do
      [[ $w == "$p" ]] && { peers+=("$p"); break; }
    done
  done
  for w in "${wanted[@]}"; do
    case " ${ALL_PEERS[*]} " in *" $w "*) ;; *) die "--only: unknown peer '$w' (known: ${ALL_PEERS[*]})" ;; esac
    [[ $w == scalelab ]] && only_scalelab_explicit=yes
  done
fi

selected() { case " ${peers[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if selected scalelab && [[ ! -x $scalelab_bin ]]; then
  msg="scalelab binary not found at $scalelab_bin; build first: cmake --preset release && cmake --build --preset release"
  [[ $only_scalelab_explicit == yes || $smoke == yes ]] && die "$msg"
  note "$msg"
  note "skipping scalelab (ratios and targets will be n/a)"
  kept=()
  for p in "${peers[@]}"; do [[ $p == scalelab ]] || kept+=("$p"); done
  peers=("${kept[@]}")
fi
((${#peers[@]} > 0)) || die "no peer left to measure"

if selected nginx && [[ $path != /albums/1 ]]; then
  die "the nginx peer only serves /albums/1; drop it (--only) or use --path /albums/1"
fi

# ---- tools ---------------------------------------------------------------
bench_need http_peers wrk wrk
if [[ $smoke == yes ]]; then bench_smoke_note http_peers; fi
bench_need http_peers curl curl
bench_need http_peers "$PY" python3
selected nginx && bench_need http_peers nginx nginx-light
selected gin && bench_need http_peers go golang-go
selected gin && { [[ -d /usr/share/gocode/src/github.com/gin-gonic/gin ]] \
  || bench_missing http_peers "the Gin sources under /usr/share/gocode (Debian package golang-github-gin-gonic-gin-dev)"; }
selected fastapi && { "$PY" -c 'import fastapi, uvicorn' 2>/dev/null \
  || bench_missing http_peers "FastAPI/uvicorn for $PY (Debian packages python3-fastapi python3-uvicorn)"; }

# ---- CPU pinning -----------------------------------------------------------
ncpu=$(nproc)
if [[ $pin == auto ]]; then
  if ((ncpu >= 2)); then
    server_cpus=0; load_cpus=1; pin=yes
  else
    pin=no
  fi
fi
if [[ $pin == yes ]]; then
  command -v taskset >/dev/null || die "taskset not found (util-linux)"
  [[ -n $server_cpus && -n $load_cpus ]] || die "--server-cpus and --load-cpus go together"
  server_pin=(taskset -c "$server_cpus")
  load_pin=(taskset -c "$load_cpus")
  pin_desc="servers on CPU $server_cpus, wrk on CPU $load_cpus (taskset; nproc=$ncpu)"
else
  server_pin=()
  load_pin=()
  pin_desc="no CPU pinning (nproc=$ncpu); servers and wrk share the CPUs"
fi

# A CPU quota: a cgroup (v2 if it has the cpu controller, else v1's cpu
# hierarchy) that every server starts in; children (nginx's worker) inherit it.
cgroup_dir=""
if [[ -n $cpu_quota ]]; then
  { is_uint "$cpu_quota" && ((cpu_quota >= 1 && cpu_quota <= 100)); } || die "--server-cpu-quota must be 1..100"
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
    cgroup_dir=/sys/fs/cgroup/scalelab-bench-$$
    mkdir "$cgroup_dir" || die "cannot create $cgroup_dir (root needed)"
    echo "$((cpu_quota * 1000)) 100000" >"$cgroup_dir/cpu.max"
  elif [[ -d /sys/fs/cgroup/cpu ]]; then
    cgroup_dir=/sys/fs/cgroup/cpu/scalelab-bench-$$
    mkdir "$cgroup_dir" || die "cannot create $cgroup_dir (root needed)"
    echo 100000 >"$cgroup_dir/cpu.cfs_period_us"
    echo "$((cpu_quota * 1000))" >"$cgroup_dir/cpu.cfs_quota_us"
  else
    die "--server-cpu-quota: no cgroup cpu controller found"
  fi
  server_pin=(bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cgroup_dir" "${server_pin[@]}")
  pin_desc="$pin_desc; servers capped at ${cpu_quota}% of one CPU (cgroup $cgroup_dir)"
fi

# ---- lifecycle -------------------------------------------------------------
tmp_dir=$(mktemp -d "${TMPDIR:-/tmp}/http_peers.XXXXXX")
# A smoke run writes into its temp dir, never over a real run's results.
[[ -n $out_dir ]] || out_dir=$([[ $smoke == yes ]] && echo "$tmp_dir/results" || echo "$repo_root/build/bench-results")
declare -A pid_of=() port_of=() url_of=()

stop_servers() {
  local peer pid i
  for peer in "${!pid_of[@]}"; do
    pid=${pid_of[$peer]}
    kill -TERM "$pid" 2>/dev/null || continue
  done
  for peer in "${!pid_of[@]}"; do
    pid=${pid_of[$peer]}
    for ((i = 0; i < 50; i++)); do          # up to 5 s for a graceful exit
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "http_peers: $peer (pid $pid) ignored SIGTERM; killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  pid_of=()
}
cleanup() {
  local rc=$?
  if [[ -n ${wrk_pid:-} ]]; then
    kill -TERM "$wrk_pid" 2>/dev/null || true
    wait "$wrk_pid" 2>/dev/null || true
  fi
  stop_servers
  rm -rf "$tmp_dir"
  [[ -n $cgroup_dir ]] && rmdir "$cgroup_dir" 2>/dev/null
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# Distinct free loopback ports below the ephemeral range (so wrk's client
# ports cannot collide with them).
free_ports() {
  "$PY" - "$1" <<'PY'
import random, socket, sys
want, ports = int(sys.argv[1]), []
for _ in range(500):
    if len(ports) == want:
        break
    p = random.randint(20000, 30000)
    if p in ports:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        ports.append(p)
    except OSError:
        pass
    finally:
        s.close()
if len(ports) != want:
    sys.exit("no free ports")
print(" ".join(map(str, ports)))
PY
}

build_gin() {
  mkdir -p "$build_dir"
  note "building the Gin peer into $build_dir (GOPATH mode, Debian's gocode, offline)"
  (cd "$repo_root" && env GO111MODULE=off GOPATH="/usr/share/gocode:$build_dir/gopath" \
      GOFLAGS= GOPROXY=off GOCACHE="$build_dir/go-cache" \
      go build -o "$build_dir/gin-albums" ./bench/peers/gin) \
    || die "failed to build the Gin peer (bench/peers/gin)"
}

start_server() {
  local peer=$1 port=$2 log="$tmp_dir/$1.log"
  case "$peer" in
    scalelab)
      # Its access log is off by default; make sure the environment cannot turn it on.
      "${server_pin[@]}" env -u SCALELAB_ACCESS_LOG "$scalelab_bin" serve albums --address 127.0.0.1 --port "$port" \
        --threads 1 >"$log" 2>&1 &
      ;;
    nginx)
      local prefix="$tmp_dir/nginx"
      mkdir -p "$prefix"
      render_nginx_conf "$port" "$prefix" /albums/1 \
        '{"id":"1","title":"Blue Train","artist":"John Coltrane","price":56.99}' >"$prefix/nginx.conf"
      "${server_pin[@]}" nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" \
        >"$log" 2>&1 &
      ;;
    gin)
      "${server_pin[@]}" env GOMAXPROCS=1 "$build_dir/gin-albums" -addr "127.0.0.1:$port" \
        >"$log" 2>&1 &
      ;;
    fastapi)
      "${server_pin[@]}" env PYTHONDONTWRITEBYTECODE=1 "$PY" -m uvicorn \
        --app-dir "$script_dir/peers/fastapi" app:app \
        --host 127.0.0.1 --port "$port" --workers 1 --no-access-log --log-level warning \
        >"$log" 2>&1 &
      ;;
  esac
  pid_of[$peer]=$!
  port_of[$peer]=$port
  url_of[$peer]="http://127.0.0.1:$port$path"
}

server_failed() {
  local peer=$1 why=$2
  echo "http_peers: error: server '$peer' $why" >&2
  if [[ -s $tmp_dir/$peer.log ]]; then
    echo "---- last lines of the $peer log ----" >&2
    tail -n 20 "$tmp_dir/$peer.log" >&2
  fi
  [[ $peer == nginx && -s $tmp_dir/nginx/error.log ]] && tail -n 20 "$tmp_dir/nginx/error.log" >&2
  exit 1
}

wait_ready() {
  local peer=$1 url i
  # nginx only answers the benchmark path; the others have /health.
  if [[ $peer == nginx ]]; then url=${url_of[$peer]}; else url="http://127.0.0.1:${port_of[$peer]}/health"; fi
  for ((i = 0; i < 200; i++)); do           # up to ~20 s
    kill -0 "${pid_of[$peer]}" 2>/dev/null || server_failed "$peer" "exited during start-up"
    curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  server_failed "$peer" "did not answer $url within 20 s"
}

# wrk runs through lib.sh's wrk_to_file, which keeps its pid here for cleanup.
wrk_pid=""

# ---- run -------------------------------------------------------------------
echo "== scalelab HTTP peers benchmark =="
echo "peers: ${peers[*]}"
echo "load: wrk -t1 -c$connections -d${duration}s --latency GET $path; warm-up ${warmup}s; $rounds round(s), interleaved"
echo "fairness: one worker each (scalelab --threads 1, nginx worker_processes 1, Gin GOMAXPROCS=1, uvicorn 1 worker)"
echo "pinning: $pin_desc"

# A shared machine skews everything: warn when the CPUs are already busy.
cpu_busy_pct() {
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
    t = (y[1] - x[1]) + (y[2] - x[2]); print (t > 0) ? int(100 * (y[1] - x[1]) / t) : 0 }'
}
busy=$(cpu_busy_pct)
if ((busy >= 15)); then
  note "warning: the CPUs are already ${busy}% busy before the run; figures will be noisy (check top)"
fi

selected gin && build_gin

read -r -a ports <<<"$(free_ports "${#peers[@]}")"
for i in "${!peers[@]}"; do
  start_server "${peers[$i]}" "${ports[$i]}"
done
for peer in "${peers[@]}"; do
  wait_ready "$peer"
  body=$(curl -sS --max-time 2 "${url_of[$peer]}" | head -c 200)
  printf '  %-8s ready on 127.0.0.1:%-5s pid %-7s GET %s -> %s\n' \
    "$peer" "${port_of[$peer]}" "${pid_of[$peer]}" "$path" "$body"
done

mkdir -p "$out_dir/raw"
rm -f "$out_dir"/raw/*-round*.txt          # raw wrk outputs of an earlier run
rounds_csv="$out_dir/http_peers_rounds.csv"
echo "round,peer,rps,p50_ms,p99_ms,errors" >"$rounds_csv"

for ((r = 1; r <= rounds; r++)); do
  for peer in "${peers[@]}"; do
    kill -0 "${pid_of[$peer]}" 2>/dev/null || server_failed "$peer" "died before round $r"
    if ((warmup > 0)); then
      wrk_to_file "$warmup" "$connections" "${url_of[$peer]}" "$tmp_dir/warmup.txt" \
        || server_failed "$peer" "warm-up failed: $(tail -n 3 "$tmp_dir/warmup.txt")"
    fi
    raw="$out_dir/raw/$peer-round$r.txt"
    wrk_to_file "$duration" "$connections" "${url_of[$peer]}" "$raw" \
      || server_failed "$peer" "wrk failed in round $r: $(tail -n 3 "$raw")"
    kill -0 "${pid_of[$peer]}" 2>/dev/null || server_failed "$peer" "died during round $r"
    fig=$(wrk_figures "$raw") || die "could not parse wrk output for $peer (see $raw)"
    read -r rps p50 p99 errs <<<"$fig"
    err_note=""
    ((errs == 0)) || err_note="   errors/non-2xx $errs"
    # A smoke run is a check: a peer that answers errors is a broken bench.
    if [[ $smoke == yes ]] && ((errs > 0)); then server_failed "$peer" "answered $errs errors/non-2xx (see $raw)"; fi
    printf 'round %d/%d  %-8s %12.1f req/s   p50 %8.3f ms   p99 %8.3f ms%s\n' \
      "$r" "$rounds" "$peer" "$rps" "$p50" "$p99" "$err_note"
    echo "$r,$peer,$rps,$p50,$p99,$errs" >>"$rounds_csv"
  done
done

stop_servers

# ---- summary ---------------------------------------------------------------
"$PY" - "$rounds_csv" "$out_dir" "$duration" "$connections" "$rounds" "$path" "$pin_desc" \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" <<'PY'
import csv, json, statistics, sys

rounds_csv, out_dir, duration, conns, nrounds, path, pin_desc, when, host = sys.argv[1:]
order = ["scalelab", "nginx", "gin", "fastapi"]
runs = {}
with open(rounds_csv, newline="") as f:
    for row in csv.DictReader(f):
        runs.setdefault(row["peer"], []).append(row)

peers = []
for name in order:
    if name not in runs:
        continue
    rs = runs[name]
    peers.append({
        "peer": name,
        "rps": statistics.median(float(r["rps"]) for r in rs),
        "p50_ms": statistics.median(float(r["p50_ms"]) for r in rs),
        "p99_ms": statistics.median(float(r["p99_ms"]) for r in rs),
        "errors": sum(int(r["errors"]) for r in rs),
        "rounds": [{"rps": float(r["rps"]), "p50_ms": float(r["p50_ms"]),
                    "p99_ms": float(r["p99_ms"]), "errors": int(r["errors"])} for r in rs],
    })
by = {p["peer"]: p for p in peers}
sl = by.get("scalelab")
for p in peers:
    p["scalelab_over_peer_rps"] = (sl["rps"] / p["rps"]) if sl and p["rps"] > 0 else None

def target(name, peer, kind, want):
    t = {"target": name, "peer": peer, "value": None, "holds": None}
    if sl and peer in by:
        if kind == "rps":
            t["value"] = sl["rps"] / by[peer]["rps"] if by[peer]["rps"] > 0 else None
            t["holds"] = t["value"] is not None and t["value"] >= want
        else:  # p99: scalelab p99 / peer p99 must be <= 1
            t["value"] = sl["p99_ms"] / by[peer]["p99_ms"] if by[peer]["p99_ms"] > 0 else None
            t["holds"] = sl["p99_ms"] <= by[peer]["p99_ms"]
    return t

targets = [
    target("scalelab req/s >= 1.5x gin", "gin", "rps", 1.5),
    target("scalelab req/s >= 1.0x nginx", "nginx", "rps", 1.0),
    target("scalelab p99 <= gin p99", "gin", "p99", None),
]

fmt = lambda v, spec: "n/a" if v is None else format(v, spec)
print()
print(f"== medians over {nrounds} round(s), {conns} connections, {duration}s each, GET {path} ==")
print(f"{'peer':<10}{'req/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'scalelab/peer req/s':>22}{'errors':>8}")
for p in peers:
    print(f"{p['peer']:<10}{p['rps']:>12.1f}{p['p50_ms']:>10.3f}{p['p99_ms']:>10.3f}"
          f"{fmt(p['scalelab_over_peer_rps'], '.2f') + ('x' if sl else ''):>22}{p['errors']:>8}")
print()
print("targets:")
for t in targets:
    state = "n/a (peer or scalelab not measured)" if t["holds"] is None else ("HOLDS" if t["holds"] else "MISSES")
    ratio = "" if t["value"] is None else f"  (scalelab/{t['peer']} = {t['value']:.2f}x)"
    print(f"  {t['target']:<32} {state}{ratio}")
if any(p["errors"] for p in peers):
    print("\nwarning: some peers had socket errors or non-2xx responses; their figures are suspect")

meta = {"when": when, "host": host, "path": path, "connections": int(conns),
        "duration_s": int(duration), "rounds": int(nrounds), "pinning": pin_desc,
        "statistic": "median over rounds (each column independently)"}
with open(f"{out_dir}/http_peers.json", "w") as f:
    json.dump({"meta": meta, "peers": peers, "targets": targets}, f, indent=2)
    f.write("\n")
with open(f"{out_dir}/http_peers.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["peer", "rps_median", "p50_ms_median", "p99_ms_median",
                "scalelab_over_peer_rps", "errors", "rounds_rps"])
    for p in peers:
        w.writerow([p["peer"], f"{p['rps']:.1f}", f"{p['p50_ms']:.3f}", f"{p['p99_ms']:.3f}",
                    fmt(p["scalelab_over_peer_rps"], ".3f"), p["errors"],
                    ";".join(f"{r['rps']:.1f}" for r in p["rounds"])])
with open(f"{out_dir}/http_peers_targets.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["target", "peer", "ratio", "holds"])
    for t in targets:
        w.writerow([t["target"], t["peer"], fmt(t["value"], ".3f"),
                    "n/a" if t["holds"] is None else str(t["holds"]).lower()])
print(f"\nwritten: {out_dir}/http_peers.csv, http_peers_targets.csv, http_peers.json, "
      f"http_peers_rounds.csv, raw/")
PY
