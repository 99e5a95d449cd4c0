# Helpers shared by the tests of tests/netns, with the namespace harness
# (tests/support/netns.sh) they all use; the test defines $dir and logs'
# files in $dir. Bounded waits on a log file poll every 50 ms: the processes
# under test are separate programs in other namespaces, with nothing to
# subscribe to but their logs.
source "$(dirname "${BASH_SOURCE[0]}")/../support/netns.sh"

fail() { echo "FAIL: $*" >&2; logs >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# The URL of the ctest fixture's RabbitMQ (FIXTURES_REQUIRED rabbitmq).
rabbitmq_fixture_url() {
  local f=${SCALELAB_TEST_RABBITMQ_DIR:-}/url
  [[ -n ${SCALELAB_TEST_RABBITMQ_DIR:-} && -s $f ]] || fail "no RabbitMQ fixture (SCALELAB_TEST_RABBITMQ_DIR=${SCALELAB_TEST_RABBITMQ_DIR:-unset})"
  cat "$f"
}

# The port of scheme://[user@]host:port[/path].
url_port() {
  local rest=${1#*://}
  rest=${rest#*@}
  rest=${rest%%/*}
  echo "${rest##*:}"
}

now_s() { date +%s.%N; }
# A timestamped progress line on stderr (in ctest's output, for a slow run).
phase() { echo "$(date -u +%T.%3N) $*" >&2; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# wait_for_count FILE TEXT N SECONDS: true once FILE has N lines with TEXT.
wait_for_count() {
  local file=$1 text=$2 n=$3 deadline=$((SECONDS + $4))
  while ((SECONDS < deadline)); do
    local have
    have=$(grep -cF -- "$text" "$file" 2>/dev/null || true)
    ((${have:-0} >= n)) && return 0
    sleep 0.05
  done
  return 1
}

wait_for_line() { wait_for_count "$1" "$2" 1 "$3"; }

# wait_for_match FILE REGEX SECONDS: true once a line of FILE matches REGEX (grep -E).
wait_for_match() {
  local deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    grep -qE -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# Every log of the run, for a failure's message.
logs() {
  local f
  for f in "$dir"/*.log "$dir"/*.txt "$dir"/*.err; do
    [[ -s $f ]] && echo "--- ${f##*/}:" && tail -n 40 "$f"
  done
  true
}

# The EXIT trap: the test's own processes on the machine, then every host
# (with what runs in it) and the forwarders, then the files.
test_cleanup() {
  local p
  # (Grouped: bash reports each killed job on stderr as it reaps it.)
  {
    for p in $(jobs -p); do kill -9 "$p" || true; done
    netns_cleanup
    wait || true
  } 2>/dev/null
  if [[ -n ${NETNS_KEEP:-} ]]; then
    echo "kept $dir" >&2  # NETNS_KEEP=1: the run's files, for a post-mortem
  elif [[ -n ${dir:-} ]]; then
    rm -rf "$dir"
  fi
  true
}
