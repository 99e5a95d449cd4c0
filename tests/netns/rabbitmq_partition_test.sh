#!/usr/bin/env bash
# A three-node RabbitMQ cluster with each node on its own host (network
# namespaces r1, r2, r3 routed through a switch namespace; long node names
# rabbit@ADDRESS, each host with its own epmd), partition handling
# pause_minority. While a word-count job runs (its services on host c,
# connected to r1, the URL list naming all three) and a publisher fills a
# quorum queue, host r3 is cut off from the other two (its veth down):
# r3 finds itself in the minority and pauses, r1 and r2 go on serving, the
# job ends exact and every publish is confirmed. Healed, r3 resumes, rejoins
# and its replica of the queue catches up.
# Usage: rabbitmq_partition_test.sh SCALELAB
# Prints one line of figures. Skipped (77) where namespaces are not allowed.
set -euo pipefail
bin=$1
source "$(dirname "$0")/lib.sh"

readonly server=/usr/lib/rabbitmq/bin/rabbitmq-server
readonly ctl_script=/usr/lib/rabbitmq/bin/rabbitmqctl
readonly queues_script=/usr/lib/rabbitmq/bin/rabbitmq-queues
readonly net_ticktime_s=8     # Erlang's node liveness (default 60): a partition is seen in ~8-12 s
readonly heartbeat_s=1
readonly chunk_delay=250ms
readonly publishes=400

[[ -x $server ]] || skip "rabbitmq-server is not installed"
netns_setup
dir=$(mktemp -d)
trap test_cleanup EXIT
netns_router sw
for h in r1 r2 r3 c; do
  netns_host "$h"
  netns_uplink "$h" sw
done
node() { echo "rabbit@${NETNS_ADDR[$1]}"; }
# rabbitmqctl (or rabbitmq-queues) on host H against H's node.
ctl_on() {
  local h=$1 script=$2
  shift 2
  netns_exec "$h" env HOME="$dir" RABBITMQ_USE_LONGNAME=true "$script" --longnames -n "$(node "$h")" "$@"
}
ctl() { local h=$1; shift; ctl_on "$h" "$ctl_script" "$@"; }

# One private cookie; each node's own directory and config.
printf 'scalelab-netns-%s' "$$" >"$dir/.erlang.cookie"
chmod 400 "$dir/.erlang.cookie"
start_node() {
  local h=$1 d=$dir/$1
  mkdir -p "$d/mnesia" "$d/log"
  echo '[].' >"$d/enabled_plugins"
  : >"$d/rabbitmq-env.conf"
  # guest from other hosts (loopback_users); pause_minority: see docs/reliability.md.
  printf '%s\n' 'listeners.tcp.1 = 0.0.0.0:5672' 'loopback_users = none' \
    'cluster_partition_handling = pause_minority' 'disk_free_limit.absolute = 50MB' >"$d/rabbitmq.conf"
  netns_exec "$h" env HOME="$dir" RABBITMQ_USE_LONGNAME=true RABBITMQ_NODENAME="$(node "$h")" \
    RABBITMQ_BASE="$d" RABBITMQ_MNESIA_BASE="$d/mnesia" RABBITMQ_LOG_BASE="$d/log" RABBITMQ_PID_FILE="$d/rabbitmq.pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel net_ticktime $net_ticktime_s" \
    "$server" >"$d/server.log" 2>&1 &
}
running_nodes() {  # as r1 sees them
  ctl r1 cluster_status --formatter json 2>/dev/null |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["running_nodes"]))' 2>/dev/null || echo 0
}
node_log() { echo "$dir/$1/log/$(node "$1").log"; }

t_boot=$(now_s)
for h in r1 r2 r3; do start_node "$h"; done
for h in r1 r2 r3; do
  up=""
  for _ in $(seq 1 60); do
    ctl "$h" await_startup --timeout 90 >/dev/null 2>&1 && { up=1; break; }
    sleep 1  # await_startup fails at once until the node has registered with its epmd
  done
  [[ -n $up ]] || fail "node $h did not start"
done
for h in r2 r3; do
  ctl "$h" stop_app >/dev/null && ctl "$h" join_cluster "$(node r1)" >/dev/null && ctl "$h" start_app >/dev/null \
    || fail "$h did not join r1"
done
[[ $(running_nodes) == 3 ]] || fail "the cluster has $(running_nodes) running nodes, want 3"
boot_s=$(seconds_between "$t_boot" "$(now_s)")
phase "cluster of 3 up in $boot_s s"

urls=""
for h in r1 r2 r3; do urls+="${urls:+,}amqp://guest:guest@${NETNS_ADDR[$h]}:5672?heartbeat=$heartbeat_s"; done
"$bin" wordcount-gen "$dir/input.words" --bytes 320000 --seed 78 >/dev/null
"$bin" wordcount "$dir/input.words" --plain --output "$dir/expected.csv" >/dev/null
for role in splitter reducer mapper mapper2; do
  args=(serve "wordcount-${role%2}" --port 0 --broker "$urls")
  [[ $role == mapper* ]] && args+=(--chunk-delay "$chunk_delay" --log-level debug)
  netns_exec c "$bin" "${args[@]}" >"$dir/$role.log" 2>&1 &
  wait_for_line "$dir/$role.log" "running on the amqp bus" 60 || fail "$role did not start"
done
netns_exec c timeout -k 5 150 "$bin" wordcount "$dir/input.words" --services external --broker "$urls" \
  --mappers 2 --chunk-size 10000 --timeout 120s --output "$dir/got.csv" >"$dir/job.txt" 2>"$dir/job.err" &
job=$!
phase "job started"
wait_for_count "$dir/mapper.log" ": counting" 3 60 || fail "the mappers never got going"

minority_before=$(grep -c "minority" "$(node_log r3)" || true)
t_cut=$(now_s)
netns_cut r3 link
phase "r3 cut off"
# The publisher runs through the partition: every publish must be confirmed.
netns_exec c "$bin" mq-bench --broker "$urls" --messages "$publishes" --batch 20 --quorum >"$dir/publisher.txt" 2>&1 &
publisher=$!
deadline=$((SECONDS + 60))
until (($(grep -c "minority" "$(node_log r3)" || true) > minority_before)); do
  ((SECONDS < deadline)) || fail "r3 did not pause within 60 s of the cut"
  sleep 0.1
done
t_paused=$(now_s)
phase "r3 paused (minority)"
rc=0; wait "$job" || rc=$?
[[ $rc -eq 0 ]] || fail "the job failed during the partition (exit $rc)"
cmp -s <(sort "$dir/expected.csv") <(sort "$dir/got.csv") || fail "the counts differ from the plain count"
rc=0; wait "$publisher" || rc=$?
[[ $rc -eq 0 ]] || fail "a publish failed during the partition (mq-bench exit $rc)"
phase "job exact, $publishes publishes confirmed"
[[ $(running_nodes) == 2 ]] || fail "r1 does not see r3 gone"

t_heal=$(now_s)
netns_heal r3
phase "r3 healed"
deadline=$((SECONDS + 60))
until [[ $(running_nodes) == 3 ]]; do
  ((SECONDS < deadline)) || fail "r3 did not rejoin within 60 s of the heal"
  sleep 0.2
done
t_rejoined=$(now_s)
phase "r3 rejoined"
# Nothing confirmed is lost: the queue, read on its leader's node, holds
# every message...
# RabbitMQ refreshes a queue's message count with its statistics (every 5 s
# by default), so a count read just after the heal may be stale: read until
# it shows every message, for up to 30 s.
deadline=$((SECONDS + 30))
while :; do
  depth=$(ctl r1 list_queues name messages --local --quiet --timeout 30 2>"$dir/r1-queues.err" |
    awk '$1 ~ /^bench\.publish\./ {print $1, $2}')
  queue=${depth% *}
  depth=${depth#* }
  [[ $depth == "$publishes" ]] && break
  ((SECONDS < deadline)) ||
    fail "r1 reports '$depth' messages in the publisher's queue 30 s after the rejoin, $publishes were confirmed"
  sleep 1
done
phase "r1 lists $depth messages in $queue"
# ... and r3's replica catches up: its Raft log reaches the leader's.
replica_log() {  # the Raft log index of host H's member, as r1 reports it
  ctl_on r1 "$queues_script" quorum_status "$queue" --formatter json --timeout 20 2>/dev/null |
    python3 -c 'import json,sys
for m in json.load(sys.stdin):
    if m.get("Node Name") == sys.argv[1]: print(m.get("Log Index"))' "$(node "$1")" 2>/dev/null || true
}
deadline=$((SECONDS + 60))
until [[ -n $(replica_log r3) && $(replica_log r3) == $(replica_log r1) ]]; do
  ((SECONDS < deadline)) || fail "r3's replica of $queue did not catch up within 60 s (r3 $(replica_log r3), leader $(replica_log r1))"
  sleep 0.5
done
t_caught_up=$(now_s)
phase "r3's replica caught up (log index $(replica_log r3))"
reconnects=$(cat "$dir"/*.log "$dir/publisher.txt" | grep -c "amqp: reconnected" || true)

printf 'netns rabbitmq partition: cluster of 3 up in %s s; load a word-count job (32 chunks) and %s publishes; ' \
  "$boot_s" "$publishes"
printf 'faults 1 (r3 cut from r1 and r2: veth down, pause_minority); failed 0; lost 0 (counts exact, %s/%s messages in the queue); ' \
  "$depth" "$publishes"
printf 'client reconnects %s; r3 paused %s s after the cut (net_ticktime %s s), rejoined %s s and its replica caught up %s s after the heal; ' \
  "$reconnects" "$(seconds_between "$t_cut" "$t_paused")" "$net_ticktime_s" "$(seconds_between "$t_heal" "$t_rejoined")" \
  "$(seconds_between "$t_heal" "$t_caught_up")"
printf 'guarantee: a node cut off from the other two pauses, the majority serves on, nothing confirmed is lost\n'
