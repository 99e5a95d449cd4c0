#!/usr/bin/env bash
# `scalelab load --processes N` against `scalelab serve stub`: 1, 2 and 4
# generator processes count the same requests (the cap is split exactly) with
# medians near the stub's delay; a process killed mid-run is named, the
# report is still written and the exit status is 3. The HTML page lists each
# generator, the killed one as lost. Then a coordinator with
# two workers on loopback (hosts in network namespaces: not covered here).
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

dir=$(mktemp -d)
port=$(free_port)
"$bin" serve stub --port "$port" --threads 1 --delay 20ms --log-level warn >"$dir/stub.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
wait_healthy "http://127.0.0.1:$port/health" || fail "stub did not come up: $(cat "$dir/stub.log")"
url="http://127.0.0.1:$port/x"
json_field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

for n in 1 2 4; do
  progress=--no-progress; [[ $n == 2 ]] && progress=--progress  # the merged live line, once
  "$bin" load --url "$url" --users 8 --max-requests 400 --duration 60s "$progress" --processes "$n" \
    --json "$dir/p$n.json" --html "$dir/p$n.html" >"$dir/p$n.txt" 2>"$dir/p$n.err" || fail "$n processes: exit $?: $(cat "$dir/p$n.err")"
  total=$(json_field "$dir/p$n.json" 'd["total_requests"]')
  [[ $total == 400 ]] || fail "$n processes counted $total requests, want 400"
  if [[ $n -gt 1 ]]; then
    grep -q "generator processes: $n finished, 0 lost" "$dir/p$n.txt" || fail "process table: $(cat "$dir/p$n.txt")"
  fi
  if [[ $n == 2 ]]; then
    grep -q "generators 2/2" "$dir/p2.err" || fail "no merged live line: $(cat "$dir/p2.err")"
    shares=$(json_field "$dir/p2.json" 'sum(g["requests"] for g in d["generators"])')
    [[ $shares == 400 ]] || fail "the generators in the JSON add up to $shares, want 400"
    for i in 1 2; do
      grep -q "<td>process $i (pid [0-9]*)</td><td>4 users</td>" "$dir/p2.html" \
        || fail "the HTML page does not list process $i with its 4 users"
    done
  fi
  if [[ $n == 1 ]]; then
    ! grep -q "<h2>Generators</h2>" "$dir/p1.html" || fail "one process: a Generators section on the page"
  fi
done
# Every request waits 20 ms in the stub: the merged median is near it, and
# the split runs' medians are within 5% of one process's (the histograms
# merge exactly, within their 0.4% bucket error; the rest is the machine's
# scheduling jitter between two real runs, so the tails are not compared).
p1=$(json_field "$dir/p1.json" 'd["aggregate"]["median_ms"]')
for n in 1 2 4; do
  p50=$(json_field "$dir/p$n.json" 'd["aggregate"]["median_ms"]')
  /usr/bin/python3 -c "import sys; v=float(sys.argv[1]); sys.exit(0 if 19.5 <= v <= 60 else 1)" "$p50" \
    || fail "$n processes: p50 $p50 ms, want about the stub's 20 ms"
  /usr/bin/python3 -c "import sys; a,b=map(float,sys.argv[1:]); sys.exit(0 if abs(b/a-1) <= 0.05 else 1)" "$p1" "$p50" \
    || fail "$n processes: p50 $p50 ms, one process $p1 ms: more than 5% apart"
done

# Kill one of two processes mid-run: it is named, the other's share is reported, exit 3.
"$bin" load --url "$url" --users 4 --duration 8s --no-progress --processes 2 --json "$dir/lost.json" \
  --html "$dir/lost.html" \
  >"$dir/lost.txt" 2>"$dir/lost.err" &
load=$!
victim=""
for _ in $(seq 1 100); do
  victim=$(pgrep -P "$load" | head -1 || true)
  [[ -n $victim ]] && break
  sleep 0.1
done
[[ -n $victim ]] || fail "no generator process appeared"
sleep 3  # mid-run: the shares start 1.5 s after launch
kill -9 "$victim"
rc=0; wait "$load" || rc=$?
[[ $rc -eq 3 ]] || fail "lost process: exit $rc, want 3: $(cat "$dir/lost.err")"
grep -q "LOST process .* (pid $victim): killed by signal 9" "$dir/lost.txt" || fail "lost line: $(cat "$dir/lost.txt")"
grep -q "generator processes: 1 finished, 1 lost" "$dir/lost.txt" || fail "table: $(cat "$dir/lost.txt")"
[[ -s $dir/lost.json ]] || fail "no report after a lost process"
lost=$(json_field "$dir/lost.json" 'sum(1 for g in d["generators"] if not g["finished"])')
[[ $lost == 1 ]] || fail "the JSON lists $lost lost generators, want 1"
grep -q "<td>process [12] (pid $victim)</td><td>lost mid-run</td>" "$dir/lost.html" \
  || fail "the HTML page does not show process pid $victim as lost"
grep -q "<td>killed by signal 9, its share is missing from the report</td>" "$dir/lost.html" \
  || fail "the HTML page does not say why the process was lost"
grep -q "<td>finished</td>" "$dir/lost.html" || fail "the HTML page does not list the finished process"

# A coordinator and two workers over loopback TCP, with a scenario file.
cat >"$dir/s.yaml" <<YAML
host: http://127.0.0.1:$port
users: 6
max_requests: 300
duration: 60s
tasks:
  - {name: home, path: /x}
YAML
cport=$(free_port)
"$bin" load "$dir/s.yaml" --coordinator --expect-workers 2 --listen "127.0.0.1:$cport" --join-timeout 90s --no-progress \
  --json "$dir/coord.json" >"$dir/coord.txt" 2>"$dir/coord.err" &
coord=$!
for w in 1 2; do  # a worker keeps trying until the coordinator listens
  "$bin" load --worker "127.0.0.1:$cport" >"$dir/w$w.txt" 2>&1 &
done
rc=0; wait "$coord" || rc=$?
[[ $rc -eq 0 ]] || fail "coordinator exit $rc: $(cat "$dir/coord.err") $(cat "$dir"/w*.txt)"
total=$(json_field "$dir/coord.json" 'd["total_requests"]')
[[ $total == 300 ]] || fail "coordinator counted $total requests, want 300"
grep -q "generator processes: 2 finished, 0 lost" "$dir/coord.txt" || fail "coordinator table: $(cat "$dir/coord.txt")"
grep -q "worker 2 (" "$dir/coord.txt" || fail "workers not named: $(cat "$dir/coord.txt")"

# A worker killed mid-run: named by host and pid, the other's share reported, exit 3.
cport=$(free_port)
"$bin" load "$dir/s.yaml" --coordinator --expect-workers 2 --listen "127.0.0.1:$cport" --join-timeout 90s --no-progress \
  --max-requests 0 --duration 8s --json "$dir/coord2.json" --html "$dir/coord2.html" >"$dir/coord2.txt" 2>"$dir/coord2.err" &
coord=$!
wpids=()
for w in 1 2; do
  "$bin" load --worker "127.0.0.1:$cport" >"$dir/k$w.txt" 2>&1 &
  wpids+=($!)
done
for _ in $(seq 1 300); do grep -q "worker 2 .* joined" "$dir/coord2.err" && break; sleep 0.1; done
grep -q "worker 2 .* joined" "$dir/coord2.err" || fail "workers could not join the second coordinator: $(cat "$dir/coord2.err")"
sleep 3  # mid-run: shares start 1.5 s after the job arrives
kill -9 "${wpids[0]}"
rc=0; wait "$coord" || rc=$?
[[ $rc -eq 3 ]] || fail "lost worker: exit $rc, want 3: $(cat "$dir/coord2.err")"
grep -q "LOST worker .*pid ${wpids[0]} from 127.0.0.1).*connection lost" "$dir/coord2.txt" || fail "lost worker line: $(cat "$dir/coord2.txt")"
grep -q "generator processes: 1 finished, 1 lost" "$dir/coord2.txt" || fail "table: $(cat "$dir/coord2.txt")"
[[ -s $dir/coord2.json ]] || fail "no report after a lost worker"
grep -q "<td>worker [12] ([^<]*pid ${wpids[0]} from 127.0.0.1)</td><td>lost mid-run</td>" "$dir/coord2.html" \
  || fail "the HTML page does not show the killed worker as lost"
echo ok
