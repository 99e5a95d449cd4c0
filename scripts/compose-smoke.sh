#!/usr/bin/env bash
# Brings up deploy/compose.yaml's hw2 services (profiles hw2 and hw2-redis)
# and runs the course's hw2 experiment across containers: POST album 4 to
# instance 2, then GET /albums on instance 1. Two instances with their own
# memory disagree; two instances on one Redis agree. Always tears it down.
#   scripts/compose-smoke.sh [--bin BINARY]
#     --bin  package this host-built binary as the image first (fast);
#            without it, SCALELAB_IMAGE (default localhost/scalelab:latest)
#            must exist or is built from source by scripts/image.sh
# Redis: SCALELAB_REDIS_IMAGE, default an image built here from Debian's
# redis-server (deploy/infra.Containerfile), as no registry may be reachable.
# Uses podman-compose (or `docker compose` with SCALELAB_CONTAINER_TOOL=docker).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source scripts/container_lib.sh
fail() { echo "compose-smoke: FAIL: $*" >&2; exit 1; }
readonly album4='{"id":"4","title":"The Modern Sound of Betty Carter","artist":"Betty Carter","price":49.99}'
readonly up_timeout_s=90  # first start of Redis and four services, with restarts

bin=""
while (($#)); do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "compose-smoke.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

tool=$(container_tool) || fail "neither podman nor docker is installed (scripts/setup.sh --deploy)"
if [[ $tool == podman ]]; then compose=(podman-compose); else compose=(docker compose); fi
export SCALELAB_IMAGE=${SCALELAB_IMAGE:-localhost/scalelab:latest}
export SCALELAB_REDIS_IMAGE=${SCALELAB_REDIS_IMAGE:-localhost/scalelab-redis:bookworm}
mapfile -t limits < <(container_limit_flags "$tool")

if [[ -n $bin ]]; then
  bash scripts/image.sh --prebuilt "$bin" --tag "$SCALELAB_IMAGE"
elif ! "$tool" image inspect "$SCALELAB_IMAGE" >/dev/null 2>&1; then
  bash scripts/image.sh --tag "$SCALELAB_IMAGE"
fi
if ! "$tool" image inspect "$SCALELAB_REDIS_IMAGE" >/dev/null 2>&1; then
  ensure_base_image "$tool"
  fmt=(); [[ $tool == podman ]] && fmt=(--format docker)
  "$tool" build --pull=never "${fmt[@]}" "${limits[@]}" -f deploy/infra.Containerfile --target redis \
    --build-arg "BASE_IMAGE=$container_base_image" -t "$SCALELAB_REDIS_IMAGE" deploy
fi

for v in ALBUMS_1_PORT ALBUMS_2_PORT ALBUMS_REDIS_1_PORT ALBUMS_REDIS_2_PORT; do
  export "$v=$(free_port)"
done
project="scalelab-smoke-$$"
compose+=(-p "$project" -f deploy/compose.yaml)
log=$(mktemp)
down() {
  "${compose[@]}" down >>"$log" 2>&1 || true
  # podman-compose 1.0.3 leaves the project's network behind.
  [[ $tool == podman ]] && "$tool" network rm -f "${project}_default" >/dev/null 2>&1
  rm -f "$log"
}
trap down EXIT
"${compose[@]}" up -d albums-1 albums-2 redis albums-redis-1 albums-redis-2 >"$log" 2>&1 ||
  fail "compose up: $(tail -5 "$log")"

# healthy URL: GET URL answers 2xx within up_timeout_s.
healthy() {
  local deadline=$((SECONDS + up_timeout_s))
  until curl -fsS -m 2 "$1" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# pair NAME PORT1 PORT2: the experiment on one pair; prints AGREE or DISAGREE.
pair() {
  local one="http://127.0.0.1:$2" two="http://127.0.0.1:$3"
  healthy "$one/health" && healthy "$two/health" || fail "$1 pair not healthy: $("${compose[@]}" ps 2>&1 | tail -5)"
  curl -fsS -m 5 -X POST -H 'Content-Type: application/json' -d "$album4" "$two/albums" >/dev/null ||
    fail "$1: POST album 4 to instance 2"
  local a b
  a=$(curl -fsS -m 5 "$one/albums") b=$(curl -fsS -m 5 "$two/albums")
  local has1=no has2=no
  [[ $a == *'"id":"4"'* ]] && has1=yes
  [[ $b == *'"id":"4"'* ]] && has2=yes
  local verdict=DISAGREE
  [[ $has1 == "$has2" ]] && verdict=AGREE
  echo "  $1: album 4 on instance 1: $has1, on instance 2: $has2 -> $verdict" >&2
  echo "$verdict"
}

echo "compose-smoke: hw2 across containers ($tool, project $project)" >&2
memory=$(pair memory "$ALBUMS_1_PORT" "$ALBUMS_2_PORT")
redis=$(pair redis "$ALBUMS_REDIS_1_PORT" "$ALBUMS_REDIS_2_PORT")
[[ $memory == DISAGREE ]] || fail "own-memory instances should disagree"
[[ $redis == AGREE ]] || fail "instances on one Redis should agree"
echo "compose-smoke: PASS (own memory disagrees, shared Redis agrees)"
