#!/usr/bin/env bash
# The main job: install what is needed, build the scalelab binary (release;
# not the tests), and run the whole course in its short form: `scalelab tour
# --quick` runs every experiment in order and writes reports/index.html, each
# experiment's figures beside the course's. Extra arguments go to the tour
# (e.g. --only hw1,midterm, or --skip hw7).
set -euo pipefail
cd "$(dirname "$0")/.."

# What the build needs first; the servers the experiments start (RabbitMQ,
# Redis, HAProxy) and the rest install while it builds.
SECONDS=0
bash scripts/setup.sh --demo-build
setup_s=$SECONDS
setup_log=$(mktemp -t scalelab-setup.XXXXXX)
bash scripts/setup.sh --demo >"$setup_log" 2>&1 &
setup_pid=$!
finish_setup() {
  if ! wait "$setup_pid"; then
    cat "$setup_log" >&2
    echo "demo: installing the experiments' packages failed (above)" >&2
    exit 1
  fi
  grep '^setup:' "$setup_log" || true  # what it installed; apt's own lines only on failure
  rm -f "$setup_log"
}

if ! { cmake --preset release >/dev/null && cmake --build --preset release --target scalelab; }; then
  wait "$setup_pid" || true
  rm -f "$setup_log"
  echo "demo: the build failed (above)" >&2
  exit 1
fi
build_s=$((SECONDS - setup_s))
finish_setup
ready_s=$SECONDS

bin=build/release/bin/scalelab
rc=0
"$bin" tour --quick --out reports "$@" || rc=$?
echo "demo: setup ${setup_s} s, build ${build_s} s, the rest of setup $((ready_s - setup_s - build_s)) s more," \
  "tour $((SECONDS - ready_s)) s: ${SECONDS} s in all"
echo "demo: open $(pwd)/reports/index.html"
exit "$rc"
