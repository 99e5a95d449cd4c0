#!/usr/bin/env bash
# Every test: install what is needed (the bench peers and podman too, so that
# the bench-smoke and container tests run instead of skipping); build the
# libFuzzer target with clang; build everything with AddressSanitizer + UndefinedBehaviorSanitizer;
# run the whole ctest suite (unit, integration over loopback, the CLI end to
# end, every bench/ script's --smoke round, and a bounded fuzzing run). Ends
# with ctest's summary.
#   SCALELAB_TEST_PRESET   configure/test preset (default asan)
#   SCALELAB_FUZZ_SECONDS  fuzzing time (default 60; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${SCALELAB_TEST_PRESET:-asan}
fuzz_seconds=${SCALELAB_FUZZ_SECONDS:-60}

bash scripts/setup.sh --bench --deploy --browser

fuzzer=""
if [[ $fuzz_seconds -gt 0 ]]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz --target http_fuzz  # only what the fuzz target links
  fuzzer=$PWD/build/fuzz/bin/http_fuzz
fi

cmake --preset "$preset" -DSCALELAB_FUZZER="$fuzzer" -DSCALELAB_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset"
