#!/usr/bin/env bash
# The main job: install what is needed, build scalelab (release), start the
# albums service and run the hw1 response-time experiment against it.
# Extra arguments go to `scalelab lab hw1` (e.g. --duration 10s).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release

source scripts/lib.sh
bin=build/release/bin/scalelab
port=$(free_port)
log=build/release/albums.log
echo "demo: starting albums on 127.0.0.1:$port (log: $log)"
"$bin" serve albums --port "$port" >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
wait_healthy "http://127.0.0.1:$port/health" || { tail "$log"; exit 1; }

"$bin" lab hw1 --url "http://127.0.0.1:$port/albums" --out reports/hw1 "$@"
