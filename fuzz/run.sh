#!/usr/bin/env bash
# Runs a libFuzzer target for a bounded time: fuzz/run.sh BINARY SECONDS
# The corpus grows under build/fuzz/corpus; crash inputs land in build/fuzz/.
set -euo pipefail
bin=$1
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=$(dirname "$(dirname "$bin")")
mkdir -p "$work/corpus"
exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -dict="$here/http.dict" -artifact_prefix="$work/" "$work/corpus" "$here/seeds"
