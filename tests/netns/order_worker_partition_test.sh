#!/usr/bin/env bash
# Order workers on two hosts (network namespaces); the orders service,
# RabbitMQ (the ctest fixture) and a private Redis on the machine. Mid-run,
# worker host w1 is partitioned (netfilter DROP on its link, or the link
# down where netfilter is not available): the broker notices the silent
# consumer through the AMQP heartbeat and delivers the orders w1 held
# unacked to w2. Every accepted order ends completed with exactly one charge
# record (lost 0, double-charged 0), read from the store after the run.
# Usage: order_worker_partition_test.sh SCALELAB   (SCALELAB_TEST_RABBITMQ_DIR set)
# Prints one line of figures. Skipped (77) where namespaces are not allowed.
set -euo pipefail
bin=$1
source "$(dirname "$0")/lib.sh"

readonly heartbeat_s=1         # the workers' AMQP heartbeat: the broker drops them ~2 s after a cut
readonly orders=60
readonly workers_per_host=3    # orders in hand at once (the prefetch too)
readonly payment_delay=400ms   # per order, so a worker almost always holds some
readonly order='{"customer_id":42,"items":[{"product_id":1,"quantity":2,"price":9.99}]}'

netns_setup
url=$(rabbitmq_fixture_url)
amqp_port=$(url_port "$url")
dir=$(mktemp -d)
cleanup() {
  [[ -n ${dir:-} && -d $dir/redis ]] && "$bin" infra down --dir "$dir/redis" >/dev/null 2>&1
  test_cleanup
}
trap cleanup EXIT
"$bin" infra up redis --dir "$dir/redis" >"$dir/redis-up.txt" 2>&1 || fail "no private Redis"
redis_port=$(url_port "$(cat "$dir/redis/url")")
rcli() { redis-cli -p "$redis_port"; }  # commands on stdin

for w in w1 w2; do
  netns_host "$w"
  netns_uplink "$w"
  netns_forward "$w" "$amqp_port" || fail "no AMQP forwarder for $w"
  netns_forward "$w" "$redis_port" || fail "no Redis forwarder for $w"
  netns_reaches "$w" "${NETNS_GW[$w]}" "$amqp_port" || skip "veth pairs were created, but $w cannot reach ${NETNS_GW[$w]}"
done
how="link"
netns_can_drop && how=drop

"$bin" serve orders --port 0 --store "redis://127.0.0.1:$redis_port" --broker "$url" >"$dir/service.log" 2>&1 &
wait_for_line "$dir/service.log" "listening on" 30 || fail "the orders service did not start"
service_port=$(grep -m1 -oE 'listening on [0-9.]+:[0-9]+' "$dir/service.log" | sed 's/.*://')
for w in w1 w2; do
  netns_exec "$w" "$bin" serve order-worker --port 0 --workers "$workers_per_host" --payment-delay "$payment_delay" \
    --log-level debug --store "redis://${NETNS_GW[$w]}:$redis_port" \
    --broker "amqp://guest:guest@${NETNS_GW[$w]}:$amqp_port?heartbeat=$heartbeat_s" >"$dir/$w.log" 2>&1 &
  wait_for_line "$dir/$w.log" "order-worker: store" 30 || fail "worker $w did not start"
done

# The load: every order accepted (202) with its own idempotency key.
for i in $(seq 1 "$orders"); do
  curl -fsS -X POST -H 'Content-Type: application/json' -H "Idempotency-Key: netns-$$-$i" -d "$order" \
    "http://127.0.0.1:$service_port/orders/async" >>"$dir/accepted.txt" || fail "order $i was not accepted"
  echo >>"$dir/accepted.txt"
done
sed -nE 's/.*"order_id":"([^"]+)".*/\1/p' "$dir/accepted.txt" >"$dir/ids.txt"
[[ $(wc -l <"$dir/ids.txt") -eq $orders ]] || fail "accepted $(wc -l <"$dir/ids.txt") orders, want $orders"

# Partition w1 just after it took its fourth order: it holds some unacked.
wait_for_count "$dir/w1.log" ": processing" 4 60 || fail "w1 never got going"
t_cut=$(now_s)
netns_cut w1 "$how"
# w1 reaches neither the broker nor the store: the broker must notice and
# deliver the orders w1 held to w2. Then every order finishes.
wait_for_match "$dir/w2.log" "delivery [2-9]: processing" 60 || fail "no order came to w2 again within 60 s of the cut"
t_redelivered=$(now_s)
statuses() { sed 's#^#GET order/#' "$dir/ids.txt" | rcli | grep -oE '"status":"[a-z]+"' | cut -d'"' -f4; }
deadline=$((SECONDS + 90))
until [[ $(statuses | grep -c '^completed$' || true) -eq $orders ]]; do
  ((SECONDS < deadline)) || fail "not every order completed within 90 s: $(statuses | sort | uniq -c | tr '\n' ' ')"
  sleep 0.1
done
t_done=$(now_s)
# The orders w2 got again are orders w1 had taken: the ones it held at the cut.
taken_again() {
  grep -Fxf <(sed -nE 's/.*order ([^ ]+) delivery 1: processing/\1/p' "$dir/w1.log") \
    <(sed -nE 's/.*order ([^ ]+) delivery [2-9]: processing/\1/p' "$dir/w2.log") || true
}
redelivered=$(taken_again | sort -u | grep -c . || true)
((redelivered >= 1)) || fail "no order w1 held at the cut was delivered again to w2"

# The store after the run: one charge record per order, each order completed.
charges=$(sed 's#^#EXISTS order-charge/#' "$dir/ids.txt" | rcli | grep -c '^1$' || true)
[[ $charges -eq $orders ]] || fail "$charges charge records for $orders orders"
completed=$(statuses | grep -c '^completed$' || true)
netns_heal w1
# The workers' own counts of the charges they recorded: never more than one
# per order. (A worker counts a charge only with its order completed: w1 may
# have recorded a charge and then lost the store before completing, and w2
# then completes that order without charging it again, so the sum can be
# below the number of orders while the store holds one charge for each.)
for w in w1 w2; do
  pid=$(ip netns pids "$NETNS_PREFIX$w" | head -1)
  kill -TERM "$pid" 2>/dev/null || true
done
charged=0
for w in w1 w2; do
  wait_for_line "$dir/$w.log" "order-worker: completed" 20 || fail "worker $w did not report its counts"
  n=$(sed -nE 's/.*order-worker: completed [0-9]+, charged ([0-9]+),.*/\1/p' "$dir/$w.log")
  charged=$((charged + n))
done
((charged <= orders)) || fail "the workers recorded $charged charges for $orders orders"

printf 'netns orders: load %s orders on 2 worker hosts; faults 1 (host w1 partitioned: %s); ' "$orders" \
  "$([[ $how == drop ]] && echo 'netfilter DROP' || echo 'veth down')"
printf 'requests failed 0; lost 0, double-charged 0 (%s completed, %s charge records, %s counted by the workers with their orders); ' \
  "$completed" "$charges" "$charged"
printf 'orders redelivered to w2 %s; recovery %.1f s (cut to redelivery, heartbeat %s s), all orders completed %.1f s after the cut; ' \
  "$redelivered" "$(seconds_between "$t_cut" "$t_redelivered")" "$heartbeat_s" "$(seconds_between "$t_cut" "$t_done")"
printf 'guarantee: orders held by a partitioned worker are redelivered to another and each is charged once\n'
