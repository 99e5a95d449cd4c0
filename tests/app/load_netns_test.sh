#!/usr/bin/env bash
# `scalelab load --coordinator` with workers on separate "hosts": network
# namespaces this test creates (the coordinator and the target in one, each
# worker in its own, joined by veth pairs and routed through the
# coordinator's namespace). Skipped (exit 77) where namespaces or veth
# cannot be created (no root, no iproute2, a sandbox that forbids them).
set -euo pipefail
bin=$1
fail() { echo "FAIL: $*" >&2; logs >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

source "$(dirname "$0")/../support/netns.sh"
netns_setup
dir=$(mktemp -d)
cleanup() {
  for p in $(jobs -p); do kill -9 "$p" 2>/dev/null || true; done
  netns_cleanup
  wait 2>/dev/null || true
  rm -rf "$dir"
}
# Every log, for a failure's message.
logs() { for f in "$dir"/*.txt "$dir"/*.err "$dir"/*.log; do [[ -s $f ]] && echo "--- ${f##*/}:" && cat "$f"; done; true; }
trap cleanup EXIT
netns_host c
netns_exec c ip addr add 10.91.0.1/32 dev lo
for i in 1 2; do
  netns_host "w$i"
  netns_uplink "w$i" c  # routed through the coordinator's host
done
in_ns() { netns_exec "$@"; }

# The target and the coordinator on the coordinator's "host" (10.91.0.1).
in_ns c "$bin" serve stub --address 0.0.0.0 --port 18080 --threads 1 --log-level warn >"$dir/stub.log" 2>&1 &
up=""
for _ in $(seq 1 100); do
  in_ns c curl -fsS -o /dev/null http://10.91.0.1:18080/health 2>/dev/null && { up=1; break; }
  sleep 0.1
done
[[ -n $up ]] || fail "stub did not come up"
# The feature under test is the coordinator, not this sandbox's virtual
# network: where the veth pairs exist but carry no packet, skip and say so.
for w in 1 2; do
  in_ns "w$w" curl -fsS --max-time 5 -o /dev/null http://10.91.0.1:18080/health 2>"$dir/probe$w.err" \
    || skip "veth pairs were created, but namespace w$w cannot reach 10.91.0.1 through one: $(cat "$dir/probe$w.err")"
done
cat >"$dir/s.yaml" <<YAML
host: http://10.91.0.1:18080
users: 4
max_requests: 200
duration: 60s
tasks:
  - {name: home, path: /x}
YAML
in_ns c timeout -k 5 90 "$bin" load "$dir/s.yaml" --coordinator --expect-workers 2 --listen 0.0.0.0:15557 \
  --join-timeout 60s --no-progress --json "$dir/coord.json" >"$dir/coord.txt" 2>"$dir/coord.err" &
coord=$!
for w in 1 2; do  # a worker keeps trying until the coordinator listens
  in_ns "w$w" timeout -k 5 90 "$bin" load --worker 10.91.0.1:15557 >"$dir/w$w.txt" 2>&1 &
done
rc=0; wait "$coord" || rc=$?
[[ $rc -eq 0 ]] || fail "coordinator exit $rc"
total=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_requests"])' "$dir/coord.json")
[[ $total == 200 ]] || fail "counted $total requests across the namespaces, want 200"
# The workers ran from their own addresses, not from the coordinator's host.
for w in w1 w2; do
  grep -q "worker [12] (.*pid [0-9]* from ${NETNS_ADDR[$w]})" "$dir/coord.txt" || fail "no worker from ${NETNS_ADDR[$w]}"
done
grep -q "generator processes: 2 finished, 0 lost" "$dir/coord.txt" || fail "the table does not list 2 finished workers"
echo ok
