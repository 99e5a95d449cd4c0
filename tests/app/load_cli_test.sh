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
answered() { curl -fsS "http://127.0.0.1:$port/stub/count" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["answered"])'; }
# fails_before_load WHAT PATTERN CMD...: CMD exits 1 with PATTERN (grep) on
# stderr and sends the stub nothing.
fails_before_load() {
  local what=$1 pattern=$2 before rc=0
  shift 2
  before=$(answered)
  "$@" >/dev/null 2>"$dir/err.txt" || rc=$?
  [[ $rc -eq 1 ]] || fail "$what: exit $rc, want 1"
  grep -q -- "$pattern" "$dir/err.txt" || fail "$what: message: $(cat "$dir/err.txt")"
  [[ $(answered) == "$before" ]] || fail "$what: requests were sent ($before -> $(answered))"
}

"$bin" load --url "$url" --users 4 --max-requests 300 --duration 20s --no-progress \
  --json "$dir/r.json" --csv "$dir/run" --html "$dir/r.html" --threshold 'errors<1%' >"$dir/out.txt" \
  || fail "quick mode exit $?: $(cat "$dir/out.txt")"
grep -q "GET /x" "$dir/out.txt" || fail "table: $(cat "$dir/out.txt")"
grep -q '"total_requests":300' "$dir/r.json" || fail "json total"
head -1 "$dir/run_stats.csv" | grep -q '^Type,Name,Request Count,Failure Count,' || fail "stats csv header"
[[ -s $dir/run_stats_history.csv && -s $dir/run_failures.csv ]] || fail "csv files"
grep -q "new Chart(" "$dir/r.html" || fail "html report"

# A threshold that cannot hold sets exit status 2.
rc=0; "$bin" load --url "$url" --max-requests 20 --no-progress --threshold 'rps>100000000' >/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "failed threshold exit $rc, want 2"

# Thresholds on one request name: pass (exit 0), fail (exit 2), and a name
# no request has is an error before any load (exit 1, nothing sent).
"$bin" load --url "$url" --max-requests 20 --no-progress --threshold 'GET /x:errors<1%' \
  --threshold 'GET /x:rps>0' >"$dir/named.txt" || fail "per-name threshold exit $?: $(cat "$dir/named.txt")"
grep -q "threshold GET /x:errors<1% .* pass" "$dir/named.txt" || fail "per-name threshold line: $(cat "$dir/named.txt")"
rc=0; "$bin" load --url "$url" --max-requests 20 --no-progress --threshold 'GET /x:p50>1h' >/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "failed per-name threshold exit $rc, want 2"
fails_before_load "unknown threshold name" "no request is named 'GET /typo' (request names: GET /x)" \
  "$bin" load --url "$url" --max-requests 20 --no-progress --threshold 'GET /typo:p99<1s'

# A scenario file's thresholds, with --threshold added to them.
cat >"$dir/th.yaml" <<YAML
host: http://127.0.0.1:$port
max_requests: 20
tasks:
  - {name: home, path: /x}
thresholds:
  - home: [errors<1%, p50<1h]
YAML
"$bin" load "$dir/th.yaml" --no-progress --json "$dir/th.json" --threshold 'home:rps>100000000' >"$dir/th.txt" && rc=0 || rc=$?
[[ $rc -eq 2 ]] || fail "file thresholds + failing --threshold exit $rc, want 2: $(cat "$dir/th.txt")"
[[ $(grep -c '^threshold home:' "$dir/th.txt") -eq 3 ]] || fail "file thresholds: $(cat "$dir/th.txt")"
grep -q '"rule":"home:errors<1%","name":"home",' "$dir/th.json" || fail "threshold json: $(cat "$dir/th.json")"

# A bad scenario fails before any load, naming file and line.
cat >"$dir/bad.yaml" <<YAML
host: http://127.0.0.1:$port
duration: 5s
tasks:
  - path: /x
    wieght: 3
YAML
fails_before_load "bad scenario" "bad.yaml:5: tasks\[0\]: unknown key 'wieght'" "$bin" load "$dir/bad.yaml"

# An unreachable host: connection errors, counted, not a crash.
"$bin" load --url "http://127.0.0.1:1/x" --max-requests 10 --no-progress >"$dir/unreach.txt" \
  || fail "unreachable host exit $?"
grep -q "connect: Connection refused" "$dir/unreach.txt" || fail "unreachable: $(cat "$dir/unreach.txt")"

# Every example scenario is accepted (validated, barely run): exit 0, or 2
# when it declares latency thresholds (a run that sent nothing fails them).
for f in "$(dirname "$0")"/../../examples/*.yaml; do
  "$bin" load "$f" --max-requests 0 --duration 1ms --host "http://127.0.0.1:1" --no-progress >/dev/null && rc=0 || rc=$?
  [[ $rc -eq 0 || ( $rc -eq 2 && $(grep -c '^thresholds:' "$f") -eq 1 ) ]] || fail "example $f exit $rc"
done
echo "load cli end-to-end: ok"
