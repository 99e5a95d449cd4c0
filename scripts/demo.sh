#!/usr/bin/env bash
# The main job: install what is needed, build scalelab (release), start the
# albums service and run the hw1 response-time experiment against it.
# Extra arguments go to `scalelab lab hw1` (e.g. --duration 10s).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release

bin=build/release/bin/scalelab
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=build/release/albums.log
echo "demo: starting albums on 127.0.0.1:$port (log: $log)"
"$bin" serve albums --port "$port" >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.05
done

"$bin" lab hw1 --url "http://127.0.0.1:$port/albums" --out reports/hw1 "$@"
