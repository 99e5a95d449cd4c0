#!/usr/bin/env bash
# The scalelab binary as a user meets it: --help everywhere, a clear error on
# bad input, SCALELAB_* environment variables, and a clean exit on SIGTERM.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$bin" --help | grep -q "serve" || fail "--help lists serve"
"$bin" serve --help | grep -q "albums" || fail "serve --help lists albums"
"$bin" serve albums --help | grep -q "SCALELAB_PORT" || fail "serve albums --help shows env names"
"$bin" lab hw1 --help | grep -q -- "--duration" || fail "lab hw1 --help"
"$bin" --version | grep -q "scalelab" || fail "--version"

if "$bin" serve albums --read-timeout 10parsecs 2>/tmp/cli_err.$$; then fail "bad duration accepted"; fi
grep -q "not a duration" /tmp/cli_err.$$ || fail "bad duration message: $(cat /tmp/cli_err.$$)"
if "$bin" serve albums --store bogus:// --port 0 2>/tmp/cli_err.$$; then fail "bad store accepted"; fi
grep -q "unknown store URL" /tmp/cli_err.$$ || fail "bad store message: $(cat /tmp/cli_err.$$)"
rm -f /tmp/cli_err.$$

# A free port, then the service configured only through the environment.
port=$(free_port)
log=$(mktemp)
SCALELAB_PORT=$port SCALELAB_ACCESS_LOG=true "$bin" serve albums >"$log" 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$log"' EXIT
wait_healthy "http://127.0.0.1:$port/health" || fail "service did not come up: $(cat "$log")"
body=$(curl -fsS "http://127.0.0.1:$port/albums/1") || fail "GET /albums/1 on env-configured port"
[[ $body == *'"Blue Train"'* ]] || fail "unexpected body: $body"
grep -q '"GET /albums/1 HTTP/1.1" 200' "$log" || fail "access log enabled through SCALELAB_ACCESS_LOG"

kill -TERM $pid
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
if kill -0 $pid 2>/dev/null; then fail "still running 5 s after SIGTERM"; fi
wait $pid && rc=0 || rc=$?
[[ $rc -eq 0 ]] || fail "exit code $rc after SIGTERM"
grep -q "shutting down" "$log" || fail "no shutdown log line"
echo "cli end-to-end: ok"
