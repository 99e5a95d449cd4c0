#!/usr/bin/env bash
# `--web` on an experiment and on the tour, over loopback: a short hw1 with
# --web 127.0.0.1:0 sends its load points and its phase to /progress and
# ends by linking its reports (served under /files/); the page offers Stop
# only, and Stop ends a long run early with its reports still written;
# `tour --only hw1 --web` passes the child's events on under "experiment"
# and links hw1's reports and the index; and the tour's Stop ends the running
# experiment early and skips the rest.
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
# wait_for_url FILE: up to 20 s for "live dashboard at URL" in FILE; prints URL.
wait_for_url() {
  for _ in $(seq 1 200); do
    url=$(grep -o 'live dashboard at http://[0-9.:]*/' "$1" 2>/dev/null | sed 's/live dashboard at //') || true
    [[ -n "$url" ]] && { echo "$url"; return 0; }
    sleep 0.1
  done
  fail "no dashboard URL in $1: $(cat "$1")"
}
# web.py URL ACTION...: the page's HTTP side (see its actions below).
cat >"$dir/web.py" <<'PY'
import json, sys, time, urllib.request, urllib.error
url, action = sys.argv[1], sys.argv[2]
def get(path):
    with urllib.request.urlopen(url + path, timeout=5) as r:
        return r.status, r.read()
def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
def events_until(pred, limit):
    deadline = time.time() + limit
    while time.time() < deadline:
        events = json.loads(get("progress")[1])
        if pred(events):
            return events
        time.sleep(0.2)
    sys.exit("timed out; events so far: " + json.dumps(json.loads(get("progress")[1]))[-2000:])
if action == "until-end":        # prints every event once the end event is in
    print(json.dumps(events_until(lambda ev: any(e["type"] == "end" for e in ev), float(sys.argv[3]))))
elif action == "until-point":    # returns once a load point arrived
    events_until(lambda ev: any(e["type"] == "point" for e in ev), float(sys.argv[3]))
elif action == "post":           # prints the status of POST /control BODY
    print(post("control", json.loads(sys.argv[3])))
elif action == "get":            # prints the body of GET PATH
    sys.stdout.write(get(sys.argv[3])[1].decode())
PY
web() { /usr/bin/python3 "$dir/web.py" "$@"; }

# A short hw1: load points and its phase, then the end linking its reports.
"$bin" lab hw1 --duration 3s --no-progress --out "$dir/hw1" --web 127.0.0.1:0 --web-linger 60s \
  >"$dir/hw1.out" 2>"$dir/hw1.err" &
pids+=($!)
url=$(wait_for_url "$dir/hw1.err")
web "$url" until-end 60 >"$dir/hw1.events" || fail "hw1: no end event: $(cat "$dir/hw1.err")"
/usr/bin/python3 - "$dir/hw1.events" "$dir/hw1" <<'PY' || fail "hw1 events: $(cat "$dir/hw1.events")"
import json, os, sys
events, out = json.load(open(sys.argv[1])), sys.argv[2]
points = [e for e in events if e["type"] == "point"]
assert len(points) >= 2, points
assert points[-1]["total"] > 0 and all(len(p["p"]) == 3 for p in points), points
assert [e["name"] for e in events if e["type"] == "phase"] == ["sequential GET"], events
end = events[-1]
assert end["type"] == "end", end
files = {os.path.basename(f["path"]): f for f in end["files"]}
assert set(files) == {"report.html", "samples.csv", "summary.json"}, files
assert all(os.path.dirname(f["path"]) == os.path.realpath(out) for f in files.values()), files
assert files["summary.json"]["href"] == "/files/summary.json", files
PY
web "$url" get files/summary.json >"$dir/served.json"
cmp -s "$dir/served.json" "$dir/hw1/summary.json" || fail "the page's summary.json is not the report's"
web "$url" get "" | grep -q 'id="stop"' || fail "the page has no Stop"
web "$url" get "" | grep -q 'id="edit"' && fail "an experiment's page offers to edit its load"
[[ $(web "$url" post '{"users":3}') == 409 ]] || fail "an edit of an experiment's load was not refused"

# Stop from the page: a 60 s hw1 ends early and still writes its reports.
"$bin" lab hw1 --duration 60s --no-progress --out "$dir/stopped" --web 127.0.0.1:0 --web-linger 0s \
  >"$dir/stop.out" 2>"$dir/stop.err" &
stopped=$!; pids+=("$stopped")
url=$(wait_for_url "$dir/stop.err")
web "$url" until-point 20 || fail "no load point before Stop"
[[ $(web "$url" post '{"stop":true}') == 202 ]] || fail "Stop was not accepted"
for _ in $(seq 1 200); do kill -0 "$stopped" 2>/dev/null || break; sleep 0.1; done
kill -0 "$stopped" 2>/dev/null && fail "hw1 still runs 20 s after Stop"
wait "$stopped" || fail "a stopped hw1 failed: $(cat "$dir/stop.err")"
/usr/bin/python3 - "$dir/stopped/summary.json" <<'PY' || fail "stopped summary: $(cat "$dir/stopped/summary.json")"
import json, sys
s = json.load(open(sys.argv[1]))
elapsed = s.get("elapsed_s", s.get("summary", {}).get("elapsed_s"))
assert elapsed is not None and elapsed < 30, s
PY
[[ -s "$dir/stopped/report.html" ]] || fail "no report after Stop"

# The tour's page: which experiment, the child's events, its reports, the index.
"$bin" tour --quick --only hw1 --out "$dir/tour" --no-progress --web 127.0.0.1:0 --web-linger 60s \
  >"$dir/tour.out" 2>"$dir/tour.err" &
pids+=($!)
url=$(wait_for_url "$dir/tour.err")
web "$url" until-end 120 >"$dir/tour.events" || fail "tour: no end event: $(cat "$dir/tour.err")"
/usr/bin/python3 - "$dir/tour.events" <<'PY' || fail "tour events: $(cat "$dir/tour.events")"
import json, os, sys
events = json.load(open(sys.argv[1]))
types = [e["type"] for e in events]
exp = [e for e in events if e["type"] == "experiment"]
assert exp and all((e["name"], e["k"], e["n"]) == ("hw1", 1, 1) for e in exp), exp
assert types.count("point") >= 2, types
assert any(e["type"] == "phase" and e["name"] == "sequential GET" for e in events), events
files = [e for e in events if e["type"] == "files"]
assert len(files) == 1 and files[0]["experiment"] == "hw1", files
assert {os.path.basename(f["path"]) for f in files[0]["files"]} == {"report.html", "samples.csv", "summary.json"}
assert types[-1] == "end" and {f["label"] for f in events[-1]["files"]} == {"tour index", "tour.json"}, events[-1]
PY
web "$url" get files/report.html | grep -q "<html" || fail "the tour's page does not serve hw1's report"
web "$url" get files/index.html | grep -q "hw1" || fail "the tour's page does not serve the index"

# Stop on the tour's page: the running experiment ends early with its report,
# the ones after it are skipped, named as stopped.
"$bin" tour --quick --only hw1,hw5-clients --out "$dir/tstop" --no-progress --web 127.0.0.1:0 --web-linger 0s \
  >"$dir/tstop.out" 2>"$dir/tstop.err" &
tour=$!; pids+=("$tour")
url=$(wait_for_url "$dir/tstop.err")
web "$url" until-point 30 || fail "no load point of hw1 on the tour's page"
[[ $(web "$url" post '{"stop":true}') == 202 ]] || fail "the tour's Stop was not accepted"
wait "$tour" || fail "a stopped tour failed: $(cat "$dir/tstop.err")"
/usr/bin/python3 - "$dir/tstop/tour.json" "$dir/tstop/hw1/summary.json" <<'PY' || fail "stopped tour: $(cat "$dir/tstop/tour.json")"
import json, sys
runs = {e["name"]: e for e in json.load(open(sys.argv[1]))["experiments"]}
assert runs["hw1"]["status"] == "ok", runs["hw1"]
assert json.load(open(sys.argv[2]))["elapsed_s"] < 4.5  # the quick hw1 sends for 5 s
assert runs["hw5-clients"]["status"] == "skipped" and "stopped" in runs["hw5-clients"]["reason"], runs["hw5-clients"]
PY
echo "ok"
