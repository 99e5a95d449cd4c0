#!/usr/bin/env bash
# `scalelab lab hw7 --rabbitmq-nodes 3 --kill-node --quick` as a user runs it:
# its own three-node cluster (never the shared rabbitmq3 fixture's, since a
# node is killed), the orders queue's leader killed with kill -9 under
# 60 orders/s and restarted. Every accepted order must be completed and
# charged exactly once (lost 0, double-charged 0), orders must complete
# after the restart, and nothing of the cluster may be left running.
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$bin" lab hw7 --quick --rabbitmq-nodes 3 --kill-node --no-progress --out "$out" >"$out/run.log" 2>&1 ||
  fail "lab hw7 --kill-node exited $?: $(tail -20 "$out/run.log")"
python3 - "$out/summary.json" <<'PY' || fail "summary.json: $(cat "$out/run.log")"
import json, sys
k = json.load(open(sys.argv[1]))["kill_node"]
def check(cond, what):
    if not cond:
        sys.exit(f"{what}: {json.dumps({x: y for x, y in k.items() if x != 'seconds'})}")
check(k["node"].startswith("rabbit-") and k["nodes"] == 3, "the killed node is a cluster node")
check(k["accepted"] > 0 and k["completed"] == k["accepted"], "every accepted order completed")
check(k["lost"] == 0, "no accepted order lost")
check(k["double_charged"] == 0 and k["charge_records"] == k["completed"], "one charge per completed order")
check(k["kill_s"] < k["restart_s"] < k["back_s"] < k["load_s"], "kill, restart, back, end in order")
check(k["completed_after_restart"] > 0, "orders completed after the restart")
check(k["consumers_resumed_s"] is not None and k["consumers_resumed_s"] < k["restart_s"] - k["kill_s"],
      "consumers resumed on the surviving nodes before the restart")
check(any(s["t_s"] > k["kill_s"] for s in k["seconds"]), "latency seconds after the kill")
check(k["ok"], "ok")
PY
grep -q "A RabbitMQ node killed under load" "$out/report.html" || fail "report.html has no kill-node section"
grep -q "Guarantee checked" "$out/report.html" || fail "report.html states no guarantee"
if pgrep -f "$out/rabbitmq" >/dev/null; then fail "processes of the cluster left running: $(pgrep -af "$out/rabbitmq")"; fi
echo "ok: $(grep -o 'kill -9 of the orders.*' "$out/run.log")"
