#!/usr/bin/env bash
# --log-format json (SCALELAB_LOG_FORMAT=json): every stderr line is one JSON
# object with time, level and msg, even for a message holding quotes (the
# access log's request line); text stays the default.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

log=$(mktemp)
port=$(free_port)
SCALELAB_LOG_FORMAT=json "$bin" serve albums --port "$port" --access-log 2>"$log" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$log"' EXIT
wait_healthy "http://127.0.0.1:$port/health" || fail "service did not come up: $(cat "$log")"
curl -fsS "http://127.0.0.1:$port/albums/1" >/dev/null || fail "GET /albums/1"
kill -TERM $pid
wait $pid || fail "exit code $? after SIGTERM"
python3 - "$log" <<'PY' || fail "json log: $(cat "$log")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "no log lines"
records = [json.loads(line) for line in lines]
for r in records:
    assert set(r) == {"time", "level", "msg"}, r
    assert r["time"].endswith("Z"), r
assert any('"GET /albums/1 HTTP/1.1" 200' in r["msg"] for r in records), "access log line with quotes"
PY

port=$(free_port)
"$bin" serve albums --port "$port" 2>"$log" &
pid=$!
wait_healthy "http://127.0.0.1:$port/health" || fail "service did not come up: $(cat "$log")"
kill -TERM $pid
wait $pid || true
head -1 "$log" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+ info ' || fail "text is the default: $(head -1 "$log")"
if timeout 10 "$bin" --log-format xml serve albums --port 0 2>"$log"; then fail "--log-format xml accepted"; fi
grep -q "log-format" "$log" || fail "--log-format xml: $(cat "$log")"
echo "log format: json lines parse, text by default"
