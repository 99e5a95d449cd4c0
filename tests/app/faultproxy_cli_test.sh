#!/usr/bin/env bash
# `scalelab faultproxy` as a user meets it: the proxy in front of albums,
# faults added, listed and removed through its commands, SIGTERM stops it.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$bin" faultproxy --help | grep -q -- "--upstream" || fail "faultproxy --help"
if "$bin" faultproxy --listen 0 --upstream 10.1.2.3:80 2>/tmp/fp_err.$$; then fail "non-loopback upstream accepted"; fi
grep -q "loopback" /tmp/fp_err.$$ || fail "non-loopback message: $(cat /tmp/fp_err.$$)"
rm -f /tmp/fp_err.$$

up=$(free_port); px=$(free_port); ctl=$(free_port)
logs=$(mktemp -d)
"$bin" serve albums --port "$up" --threads 1 >"$logs/albums" 2>&1 &
up_pid=$!
"$bin" faultproxy --listen "$px" --upstream "127.0.0.1:$up" --control-port "$ctl" >"$logs/fp.out" 2>"$logs/fp.err" &
fp_pid=$!
trap 'kill -9 $up_pid $fp_pid 2>/dev/null || true; rm -rf "$logs"' EXIT
wait_healthy "http://127.0.0.1:$up/health" || fail "albums did not come up"
wait_healthy "http://127.0.0.1:$ctl/health" || fail "control API did not come up: $(cat "$logs/fp.err")"
grep -q "listening on 127.0.0.1:$px" "$logs/fp.out" || fail "startup line: $(cat "$logs/fp.out")"

curl -fsS "http://127.0.0.1:$px/albums/1" | grep -q "Blue Train" || fail "proxied GET"
"$bin" faultproxy add --control-port "$ctl" --type http_error --status 502 --name boom >/dev/null || fail "add"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$px/albums/1")
[[ $code == 502 ]] || fail "injected status: $code"
"$bin" faultproxy list --control-port "$ctl" | grep -q '"name":"boom"' || fail "list"
"$bin" faultproxy remove --control-port "$ctl" boom >/dev/null || fail "remove"
if "$bin" faultproxy remove --control-port "$ctl" boom >/dev/null 2>&1; then fail "removing twice succeeded"; fi
curl -fsS "http://127.0.0.1:$px/albums/1" | grep -q "Blue Train" || fail "healthy again"
"$bin" faultproxy stats --control-port "$ctl" | grep -q '"http_error":1' || fail "stats"

kill -TERM $fp_pid
wait $fp_pid && rc=0 || rc=$?
[[ $rc -eq 0 ]] || fail "faultproxy exit code $rc after SIGTERM"
kill -TERM $up_pid
wait $up_pid || true
echo "faultproxy cli: ok"
