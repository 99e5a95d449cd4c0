#!/usr/bin/env bash
# Word count with its two mappers on separate hosts (network namespaces
# joined to the machine by veth pairs); mapper host m1 is cut off (its veth
# taken down) while it holds a chunk. The broker notices the silent consumer
# through the AMQP heartbeat and delivers its unacked chunk to m2: the job
# still ends with exactly the counts of a plain one-thread count. After the
# link is healed m1 reconnects on its own. The splitter, the reducer, the job
# and RabbitMQ (the ctest fixture) run on the machine; each mapper host
# reaches the broker at its gateway address (tests/support/netns.sh).
# Usage: wordcount_mapper_cut_test.sh SCALELAB   (SCALELAB_TEST_RABBITMQ_DIR set)
# Prints one line of figures. Skipped (77) where namespaces are not allowed.
set -euo pipefail
bin=$1
source "$(dirname "$0")/lib.sh"

readonly heartbeat_s=1       # the mappers' AMQP heartbeat: the broker drops them ~2 s after a cut
readonly chunk_delay=250ms   # per chunk, so a mapper is almost always inside one
readonly input_bytes=320000
readonly chunk_bytes=10000   # 32 chunks

netns_setup
url=$(rabbitmq_fixture_url)
port=$(url_port "$url")
dir=$(mktemp -d)
trap 'test_cleanup' EXIT
for m in m1 m2; do
  netns_host "$m"
  netns_uplink "$m"
  netns_forward "$m" "$port" || fail "no forwarder for $m"
  netns_reaches "$m" "${NETNS_GW[$m]}" "$port" || skip "veth pairs were created, but $m cannot reach ${NETNS_GW[$m]}:$port"
done

"$bin" wordcount-gen "$dir/input.words" --bytes "$input_bytes" --seed 77 >/dev/null
"$bin" wordcount "$dir/input.words" --plain --output "$dir/expected.csv" >/dev/null
for role in splitter reducer; do
  "$bin" serve "wordcount-$role" --port 0 --broker "$url" >"$dir/$role.log" 2>&1 &
done
for m in m1 m2; do
  netns_exec "$m" "$bin" serve wordcount-mapper --port 0 --chunk-delay "$chunk_delay" --log-level debug \
    --broker "amqp://guest:guest@${NETNS_GW[$m]}:$port?heartbeat=$heartbeat_s" >"$dir/$m.log" 2>&1 &
done
for f in splitter reducer m1 m2; do
  wait_for_line "$dir/$f.log" "running on the amqp bus" 30 || fail "$f did not start"
done

timeout -k 5 100 "$bin" wordcount "$dir/input.words" --services external --broker "$url" --mappers 2 \
  --chunk-size "$chunk_bytes" --timeout 90s --output "$dir/got.csv" >"$dir/job.txt" 2>"$dir/job.err" &
job=$!
# Cut m1 just after it took its third chunk: it is then inside that chunk.
wait_for_count "$dir/m1.log" ": counting" 3 60 || fail "m1 never got going"
t_cut=$(now_s)
netns_cut m1 link
# Recovery: until m2 takes a chunk for the second time.
wait_for_line "$dir/m2.log" "delivery 2: counting" 60 || fail "no chunk came to m2 again within 60 s of the cut"
t_redelivered=$(now_s)
rc=0; wait "$job" || rc=$?
[[ $rc -eq 0 ]] || fail "the job failed (exit $rc)"
t_done=$(now_s)
cmp -s <(sort "$dir/expected.csv") <(sort "$dir/got.csv") || fail "the counts differ from the plain count"
# The chunks m2 got again are chunks m1 had taken: the ones it held at the cut.
taken_again() {
  grep -Fxf <(sed -nE 's/.*(job [^ ]+ chunk [0-9]+) delivery 1: counting/\1/p' "$dir/m1.log") \
    <(sed -nE 's/.*(job [^ ]+ chunk [0-9]+) delivery 2: counting/\1/p' "$dir/m2.log") || true
}
redelivered=$(taken_again | grep -c . || true)
((redelivered >= 1)) || fail "no chunk m1 held at the cut was delivered again to m2"
chunks=$(grep -oE '[0-9]+ chunks' "$dir/job.txt" | head -1 | cut -d' ' -f1)
words=$(awk '/total words/ {print $3}' "$dir/job.txt")

# Healed, m1 finds the broker again on its own (it dropped the silent
# connection after two heartbeat periods and kept trying).
netns_heal m1
wait_for_line "$dir/m1.log" "amqp: reconnected" 30 || fail "m1 did not reconnect after the link was healed"

printf 'netns wordcount: load %s chunks (%s words) on 2 mapper hosts; faults 1 (host m1 cut: veth down); ' "$chunks" "$words"
printf 'messages failed 0; lost 0 (counts exact); chunks redelivered %s; ' "$redelivered"
printf 'recovery %.1f s (cut to redelivery, heartbeat %s s), job done %.1f s after the cut; ' \
  "$(seconds_between "$t_cut" "$t_redelivered")" "$heartbeat_s" "$(seconds_between "$t_cut" "$t_done")"
printf 'guarantee: a mapper host cut off mid-job only delays the job, whose counts stay exact\n'
