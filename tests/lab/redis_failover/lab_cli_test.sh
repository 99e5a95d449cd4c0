#!/usr/bin/env bash
# `scalelab lab redis-failover --quick` as a user runs it, on its own primary,
# replicas and Sentinels (it kills its primary): its files are written, the
# primary was killed and a replica promoted, every kind of request succeeded
# again, and summary.json says nothing durable was lost and nothing charged
# twice. It runs with --live-out (the tour's channel behind --web): the live
# view got each step and each stream's requests per second, and the files.
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
dir=$(mktemp -d)
trap '"$bin" infra down --dir "$dir/redis" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

rc=0
"$bin" lab redis-failover --quick --out "$dir" --no-progress --live-out "$dir/live.jsonl" >"$dir/out.txt" 2>"$dir/err.txt" || rc=$?
[[ -s "$dir/summary.json" ]] || fail "no summary.json (exit $rc): $(cat "$dir/err.txt")"
[[ -s "$dir/report.html" ]] || fail "no report.html"
[[ -s "$dir/timeline.csv" ]] || fail "no timeline.csv"
grep -q "kill -9 of the primary" "$dir/report.html" || fail "the kill is not marked in the report"
/usr/bin/python3 - "$dir/summary.json" <<'PY' || fail "summary.json: $(cat "$dir/summary.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["experiment"] == "redis-failover", s["experiment"]
assert s["lost_durable"] == 0, ("lost durable records", s["lost_durable"])
assert s["double_charges"] == 0, ("double charges", s["double_charges"])
assert s["promotion_after_kill_s"] is not None, "no promotion seen"
assert s["recovery_s"] is not None and s["recovery_s"] < 15, s["recovery_s"]
assert s["orders"]["sync"]["accepted"] > 0 and s["orders"]["async"]["accepted"] > 0, s["orders"]
assert s["carts"]["paid"] > 0, s["carts"]
PY
[[ $rc -eq 0 ]] || fail "the lab exited $rc: $(cat "$dir/err.txt")"
grep -q "lost durable records 0, double charges 0" "$dir/out.txt" || fail "headline not printed: $(cat "$dir/out.txt")"
/usr/bin/python3 - "$dir/live.jsonl" <<'PY' || fail "live events: $(head -c 2000 "$dir/live.jsonl")"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
phases = [e["name"] for e in events if e["type"] == "phase"]
assert "kill -9 of the primary" in phases, phases
series = {(e["chart"], e["name"]) for e in events if e["type"] == "series"}
for stream in ("orders sync", "orders async", "carts"):
    assert ("requests ok per second", stream) in series, series
    assert ("requests failed per second", stream) in series, series
assert any(e["value"] > 0 for e in events if e["type"] == "series" and e["chart"] == "requests ok per second")
ends = [e for e in events if e["type"] == "end"]
assert ends and any(f["label"] == "summary JSON" for f in ends[-1]["files"]), ends
PY
