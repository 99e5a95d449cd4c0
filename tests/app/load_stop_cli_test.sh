#!/usr/bin/env bash
# Stopping a spread run, and a coordinator that waits for workers who never
# come: every wait is bounded. A coordinator fails (naming how many joined)
# when --join-timeout passes, and at once on SIGTERM while it waits; a
# SIGTERM mid-run stops the workers' shares (and `--processes` children),
# whose measurements are still merged into the report.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

dir=$(mktemp -d)
port=$(free_port)
"$bin" serve stub --port "$port" --threads 1 --delay 5ms --log-level warn >"$dir/stub.log" 2>&1 &
pids=($!)
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
wait_healthy "http://127.0.0.1:$port/health" || fail "stub did not come up: $(cat "$dir/stub.log")"
json_field() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
# wait_for_text FILE TEXT: up to 20 s.
wait_for_text() {
  for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  fail "'$2' never appeared in $1: $(cat "$1")"
}
# exits_within SECONDS PID: the process ends by itself (and is killed if not).
exits_within() {
  for _ in $(seq 1 $(($1 * 10))); do kill -0 "$2" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$2" 2>/dev/null || true
  return 1
}

# Nobody joins: the join timeout names how many did.
rc=0
timeout -k 5 60 "$bin" load --url "http://127.0.0.1:$port/x" --coordinator --expect-workers 2 \
  --listen "127.0.0.1:$(free_port)" --join-timeout 1s --no-progress >"$dir/j.txt" 2>"$dir/j.err" || rc=$?
[[ $rc -eq 1 ]] || fail "join timeout: exit $rc, want 1: $(cat "$dir/j.err")"
grep -q "0 of 2 workers joined within --join-timeout 1s" "$dir/j.err" || fail "join timeout message: $(cat "$dir/j.err")"

# SIGTERM while waiting for workers: it ends at once.
"$bin" load --url "http://127.0.0.1:$port/x" --coordinator --expect-workers 2 --listen "127.0.0.1:$(free_port)" \
  --no-progress >"$dir/w.txt" 2>"$dir/w.err" &
coord=$!; pids+=("$coord")
wait_for_text "$dir/w.err" "waiting for 2 workers"
kill -TERM "$coord"
exits_within 5 "$coord" || fail "a coordinator waiting for workers ignored SIGTERM"
rc=0; wait "$coord" || rc=$?
[[ $rc -eq 1 ]] || fail "stopped while waiting: exit $rc, want 1"
grep -q "stopped while waiting: 0 of 2 workers had joined" "$dir/w.err" || fail "stop message: $(cat "$dir/w.err")"

# SIGTERM mid-run: the worker's share stops early and still reports.
cport=$(free_port)
"$bin" load --url "http://127.0.0.1:$port/x" --users 2 --duration 120s --coordinator --expect-workers 1 \
  --listen "127.0.0.1:$cport" --no-progress --json "$dir/r.json" >"$dir/r.txt" 2>"$dir/r.err" &
coord=$!; pids+=("$coord")
wait_for_text "$dir/r.err" "waiting for 1 workers"
"$bin" load --worker "127.0.0.1:$cport" >"$dir/worker.txt" 2>&1 &
worker=$!; pids+=("$worker")
wait_for_text "$dir/r.err" "worker 1 .* joined"
sleep 3  # the share starts 1.5 s after the job arrives
kill -TERM "$coord"
exits_within 30 "$coord" || fail "a stopped coordinator did not end within 30 s: $(cat "$dir/r.err")"
exits_within 10 "$worker" || fail "the worker did not end after its coordinator stopped: $(cat "$dir/worker.txt")"
rc=0; wait "$coord" || rc=$?
[[ $rc -eq 0 ]] || fail "stopped run: exit $rc, want 0: $(cat "$dir/r.err")"
grep -q "generator processes: 1 finished, 0 lost" "$dir/r.txt" || fail "table: $(cat "$dir/r.txt")"
total=$(json_field "$dir/r.json" 'd["total_requests"]')
[[ $total -gt 0 ]] || fail "the stopped run reported no requests"

# SIGTERM to a `--processes` parent alone: its children stop and report.
"$bin" load --url "http://127.0.0.1:$port/x" --users 2 --duration 120s --processes 2 --no-progress \
  --json "$dir/p.json" >"$dir/p.txt" 2>"$dir/p.err" &
parent=$!; pids+=("$parent")
sleep 4  # the shares start 1.5 s after launch
kill -TERM "$parent"
exits_within 30 "$parent" || fail "a stopped --processes run did not end within 30 s: $(cat "$dir/p.err")"
rc=0; wait "$parent" || rc=$?
[[ $rc -eq 0 ]] || fail "stopped --processes run: exit $rc, want 0: $(cat "$dir/p.err")"
grep -q "generator processes: 2 finished, 0 lost" "$dir/p.txt" || fail "table: $(cat "$dir/p.txt")"
echo ok
