#!/usr/bin/env bash
# The container image as a user meets it: scripts/image.sh packages the
# scalelab binary under test (target runtime-prebuilt: no compile in a
# container), the albums service runs in it on a published loopback port,
# answers GET /health and GET /albums, passes the image's HEALTHCHECK, and
# exits 0 on SIGTERM (the stop). Exits 77 (skipped) only where this machine
# cannot run containers: no podman/docker, or a trivial run fails.
#   container_test.sh SCALELAB_BINARY
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/lib.sh"
source "$root/scripts/container_lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
readonly stop_timeout_s=15  # above the server's default 10 s drain

tool=$(container_tool) || skip "neither podman nor docker is installed (scripts/setup.sh --deploy)"
mapfile -t limits < <(container_limit_flags "$tool")
work=$(mktemp -d)
tag="localhost/scalelab:ctest-$$"
name="scalelab-ctest-$$"
cleanup() {
  "$tool" rm -f "$name" >/dev/null 2>&1 || true
  "$tool" rmi -f "$tag" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Probe: can this machine start a container at all? podman runs a plain
# directory as the root filesystem, so no image or registry is involved.
if [[ $tool == podman ]]; then
  bash "$root/deploy/stage-rootfs.sh" "$bin" "$work/probe"
  "$tool" run --rm "${limits[@]}" --rootfs "$work/probe" /usr/local/bin/scalelab --version >"$work/probe.log" 2>&1 ||
    skip "podman cannot run a container here: $(tail -1 "$work/probe.log")"
else
  "$tool" info >/dev/null 2>&1 || skip "docker is installed but its engine does not answer"
fi

bash "$root/scripts/image.sh" --prebuilt "$bin" --tag "$tag" >"$work/build.log" 2>&1 ||
  fail "image build: $(tail -5 "$work/build.log")"
grep -q "image.sh: $tag .* MB" "$work/build.log" || fail "image.sh printed no size: $(tail -2 "$work/build.log")"

port=$(free_port)
# An ASan-built binary (CI) would run LeakSanitizer at exit, which needs
# ptrace: containers usually forbid it, and leaks are the native test's job.
"$tool" run -d --name "$name" "${limits[@]}" -p "127.0.0.1:$port:8080" -e ASAN_OPTIONS=detect_leaks=0 "$tag" \
  >/dev/null 2>"$work/run.log" || fail "run: $(tail -3 "$work/run.log")"
wait_healthy "http://127.0.0.1:$port/health" || fail "no /health on the published port: $("$tool" logs "$name" 2>&1 | tail -5)"
body=$(curl -fsS "http://127.0.0.1:$port/albums") || fail "GET /albums"
[[ $body == *'"Blue Train"'* ]] || fail "unexpected /albums body: $body"
user=$("$tool" exec "$name" /bin/bash -c 'echo $(</proc/1/status)' | grep -o 'Uid: [0-9]*') || fail "exec"
[[ $user != "Uid: 0" ]] || fail "the service runs as root"
if [[ $tool == podman ]]; then
  "$tool" healthcheck run "$name" 2>/dev/null || fail "the image's HEALTHCHECK reports unhealthy"
fi

"$tool" stop -t "$stop_timeout_s" "$name" >/dev/null 2>&1
code=$("$tool" inspect --format '{{.State.ExitCode}}' "$name")
[[ $code == 0 ]] || fail "exit code $code after SIGTERM: $("$tool" logs "$name" 2>&1 | tail -5)"
"$tool" logs "$name" 2>&1 | grep -q "signal 15: shutting down" || fail "SIGTERM did not start the drain"
echo "container: albums served on 127.0.0.1:$port from $tag, $user, clean exit on SIGTERM"
