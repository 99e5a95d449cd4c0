#!/usr/bin/env bash
# `scalelab load` as a user runs it: quick mode against `scalelab serve stub`
# with every output, thresholds that set the exit status, a bad scenario that
# fails before any load with file:line, an unreachable host counted as errors.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

dir=$(mktemp -d)
port=$(free_port)
"$bin" serve stub --port "$port" --threads 1 --log-level warn >"$dir/stub.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
wait_healthy "http://127.0.0.1:$port/health" || fail "stub did not come up: $(cat "$dir/stub.log")"
url="http://127.0.0.1:$port/x"

"$bin" load --url "$url" --users 4 --max-requests 300 --duration 20s --no-progress \
  --json "$dir/r.json" --csv "$dir/run" --html "$dir/r.html" --threshold 'errors<1%' >"$dir/out.txt" \
  || fail "quick mode exit $?: $(cat "$dir/out.txt")"
grep -q "GET /x" "$dir/out.txt" || fail "table: $(cat "$dir/out.txt")"
grep -q '"total_requests":300' "$dir/r.json" || fail "json total"
head -1 "$dir/run_stats.csv" | grep -q '^Type,Name,Request Count,Failure Count,' || fail "stats csv header"
[[ -s $dir/run_stats_history.csv && -s $dir/run_failures.csv ]] || fail "csv files"
grep -q "new Chart(" "$dir/r.html" || fail "html report"

# A threshold that cannot hold sets exit status 2.
set +e
"$bin" load --url "$url" --max-requests 20 --no-progress --threshold 'rps>100000000' >/dev/null
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "failed threshold exit $rc, want 2"

# A bad scenario fails before any load, naming file and line.
cat >"$dir/bad.yaml" <<YAML
host: http://127.0.0.1:$port
duration: 5s
tasks:
  - path: /x
    wieght: 3
YAML
before=$(curl -fsS "http://127.0.0.1:$port/stub/count")
set +e
"$bin" load "$dir/bad.yaml" 2>"$dir/err.txt"
rc=$?
set -e
[[ $rc -eq 1 ]] || fail "bad scenario exit $rc, want 1"
grep -q "bad.yaml:5: tasks\[0\]: unknown key 'wieght'" "$dir/err.txt" || fail "bad scenario message: $(cat "$dir/err.txt")"
after=$(curl -fsS "http://127.0.0.1:$port/stub/count")
[[ $before == "$after" ]] || fail "requests were sent for a bad scenario ($before -> $after)"

# An unreachable host: connection errors, counted, not a crash.
"$bin" load --url "http://127.0.0.1:1/x" --max-requests 10 --no-progress >"$dir/unreach.txt" \
  || fail "unreachable host exit $?"
grep -q "connect: Connection refused" "$dir/unreach.txt" || fail "unreachable: $(cat "$dir/unreach.txt")"

# Every example scenario is accepted (validated, not run).
for f in "$(dirname "$0")"/../../examples/*.yaml; do
  "$bin" load "$f" --max-requests 0 --duration 1ms --host "http://127.0.0.1:1" --no-progress >/dev/null \
    || fail "example $f"
done
echo "load cli end-to-end: ok"
