#!/usr/bin/env bash
# `scalelab autoscale stub` as a user runs it: HAProxy answers on --listen
# with the instances (child processes, visible with ps) behind it; load
# through it scales them out (hpa, a low target); GET /metrics and GET
# /autoscale show the decisions; Ctrl-C (SIGINT) drains and stops every
# process it started. Bad flags get a clear message. Skipped without haproxy.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; cat "$dir/as.out" >&2 2>/dev/null || true; exit 1; }
command -v haproxy >/dev/null || { echo "SKIP: haproxy is not installed"; exit 77; }

dir=$(mktemp -d)
as=""
trap 'kill -9 $as 2>/dev/null || true; pkill -9 -f "$dir/" 2>/dev/null || true; rm -rf "$dir"' EXIT

out=$("$bin" autoscale stub --min 3 --max 2 2>&1) && fail "--min 3 --max 2 accepted"
grep -q "need 1 <= --min <= --max" <<<"$out" || fail "bad bounds message: $out"
out=$("$bin" autoscale stub --policy nope 2>&1) && fail "--policy nope accepted"

port=$(free_port); mport=$(free_port)
"$bin" autoscale stub --listen "127.0.0.1:$port" --metrics "127.0.0.1:$mport" --min 1 --max 2 --target-cpu 5 \
  --policy hpa --sync 1s --check-interval 200ms --stabilization 60s --dir "$dir/state" \
  -- --threads 1 --log-level warn >"$dir/as.out" 2>&1 &
as=$!
for _ in $(seq 1 200); do grep -q "Ctrl-C stops it" "$dir/as.out" && break; sleep 0.1; done
grep -q "Ctrl-C stops it" "$dir/as.out" || fail "autoscale did not come up"
pgrep -P "$as" -f "haproxy -db" >/dev/null || fail "no haproxy child"
[[ $(pgrep -P "$as" -f "serve stub" | wc -l) == 1 ]] || fail "want 1 instance at --min 1"
wait_healthy "http://127.0.0.1:$port/health" || fail "the balancer does not answer"
# Load through the balancer until a second instance joins (bounded).
"$bin" load --url "http://127.0.0.1:$port/x" --users 8 --duration 20s --no-progress >"$dir/load.txt" 2>&1 &
load=$!
for _ in $(seq 1 200); do [[ $(pgrep -P "$as" -f "serve stub" | wc -l) == 2 ]] && break; sleep 0.1; done
[[ $(pgrep -P "$as" -f "serve stub" | wc -l) == 2 ]] || fail "no scale-out under load"
kill "$load" 2>/dev/null || true; wait "$load" 2>/dev/null || true
curl -fsS "http://127.0.0.1:$mport/metrics" | grep -q '^autoscale_decisions_total{action="scale_out"} [1-9]' \
  || fail "no scale_out decision in /metrics"
curl -fsS "http://127.0.0.1:$mport/autoscale" | grep -q '"action":"started i2"' || fail "no started i2 in /autoscale"
grep -q "started i2" "$dir/as.out" || fail "the decision was not printed"
kids=$(pgrep -P "$as" | tr '\n' ' ')
kill -INT "$as"
for _ in $(seq 1 300); do kill -0 "$as" 2>/dev/null || break; sleep 0.1; done
kill -0 "$as" 2>/dev/null && fail "autoscale did not stop within 30 s of Ctrl-C"
rc=0; wait "$as" || rc=$?
[[ $rc == 0 ]] || fail "exit $rc after Ctrl-C"
for k in $kids; do kill -0 "$k" 2>/dev/null && fail "process $k outlived autoscale"; done
grep -q "stopping 2 instances and the balancer" "$dir/as.out" || fail "no stop message"
echo ok
