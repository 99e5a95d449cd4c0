#!/usr/bin/env bash
# The main job: install what is needed, build the scalelab binary (release;
# not the tests), and run the whole course in its short form: `scalelab tour
# --quick` runs every experiment in order and writes reports/index.html, each
# experiment's figures beside the course's. Extra arguments go to the tour
# (e.g. --only hw1,midterm, or --skip hw7).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --demo
cmake --preset release >/dev/null
cmake --build --preset release --target scalelab

bin=build/release/bin/scalelab
rc=0
"$bin" tour --quick --out reports "$@" || rc=$?
echo "demo: open $(pwd)/reports/index.html"
exit "$rc"
