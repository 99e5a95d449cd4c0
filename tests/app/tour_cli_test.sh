#!/usr/bin/env bash
# `scalelab tour` as a user runs it, cheaply: only hw1 in its quick form.
# index.html and tour.json are written, hw1 is ok with its report, and every
# other experiment is listed as not selected (never silently dropped).
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$bin" tour --quick --only hw1 --out "$dir" --no-progress >"$dir/out.txt" 2>"$dir/err.txt" ||
  fail "tour exited $?: $(cat "$dir/err.txt")"
[[ -s "$dir/index.html" ]] || fail "no index.html"
[[ -s "$dir/tour.json" ]] || fail "no tour.json"
[[ -s "$dir/hw1/report.html" ]] || fail "no hw1 report"
grep -q "index: $dir/index.html" "$dir/out.txt" || fail "index path not printed: $(cat "$dir/out.txt")"
grep -q 'href="hw1/report.html"' "$dir/index.html" || fail "index does not link hw1's report"
/usr/bin/python3 - "$dir/tour.json" <<'PY' || fail "tour.json: $(cat "$dir/tour.json")"
import json, sys
t = json.load(open(sys.argv[1]))
runs = {e["name"]: e for e in t["experiments"]}
assert t["quick"] is True
assert runs["hw1"]["status"] == "ok", runs["hw1"]
assert runs["hw1"]["report"] == "hw1/report.html"
assert runs["hw1"]["headlines"]["total_requests"] > 0
others = [n for n in runs if n != "hw1"]
assert len(others) >= 9, others
assert all(runs[n]["status"] == "not selected" for n in others), runs
PY
"$bin" tour --only hw9 --out "$dir/x" 2>"$dir/err2.txt" && fail "an unknown experiment was accepted"
grep -q "no experiment named 'hw9'" "$dir/err2.txt" || fail "unclear error: $(cat "$dir/err2.txt")"
# compare: two runs of one experiment give their deltas; a different kind of file is refused.
"$bin" compare "$dir/hw1/summary.json" "$dir/hw1/summary.json" --html "$dir/cmp.html" >"$dir/cmp.txt" ||
  fail "compare of hw1 with itself failed"
grep -q "^p99_ms .* 0 " "$dir/cmp.txt" || fail "compare: no p99_ms row: $(cat "$dir/cmp.txt")"
[[ -s "$dir/cmp.html" ]] || fail "compare --html wrote nothing"
rc=0
"$bin" compare "$dir/hw1/summary.json" "$dir/tour.json" >/dev/null 2>"$dir/cmp_err.txt" || rc=$?
[[ $rc -eq 2 ]] || fail "compare of different kinds: exit $rc, want 2"
grep -q "different" "$dir/cmp_err.txt" || fail "compare: unclear refusal: $(cat "$dir/cmp_err.txt")"
echo "tour cli: ok"
