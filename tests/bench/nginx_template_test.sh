#!/usr/bin/env bash
# The bench nginx peer's config: render_nginx_conf (scripts/lib.sh) replaces
# every placeholder of bench/peers/nginx/nginx.conf.in, the path and the body
# land in it, it refuses a template with an unknown placeholder, and no bench
# script renders the template on its own (a private sed once dropped @PATH@
# and @BODY@, and nginx never answered). With nginx installed, the rendered
# config is served and must answer the body's exact bytes.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
nginx_pid=""
trap '[[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

path=/products/12345
# Bytes that break naive quoting: a single quote, a backslash, sed's & and |.
body='{"id":12345,"name":"it'\''s a \"deal\" & more | C:\\dir"}'
port=$(free_port)

test_renders_every_placeholder() {
  local conf
  conf=$(render_nginx_conf "$port" "$tmp/nginx" "$path" "$body") || fail "render_nginx_conf failed"
  ! grep -v '^[[:space:]]*#' <<<"$conf" | grep -q '@[A-Z_]*@' \
    || fail "unreplaced placeholder: $(grep -o '@[A-Z_]*@' <<<"$conf" | sort -u | tr '\n' ' ')"
  grep -q "location = $path {" <<<"$conf" || fail "path $path not in the config"
  grep -q "listen 127.0.0.1:$port;" <<<"$conf" || fail "port $port not in the config"
  grep -qF "return 200 '{\"id\":12345" <<<"$conf" || fail "body not in the config"
  grep -q "worker_connections 4096;" <<<"$conf" || fail "default worker_connections"
  conf=$(render_nginx_conf "$port" "$tmp/nginx" "$path" "$body" 30000)
  grep -q "worker_connections 30000;" <<<"$conf" || fail "worker_connections argument ignored"
}

test_refuses_an_unknown_placeholder() {
  sed 's|^daemon off;|daemon off;\nuser @USER@;|' "$repo/bench/peers/nginx/nginx.conf.in" >"$tmp/extra.conf.in"
  if SCALELAB_NGINX_TEMPLATE=$tmp/extra.conf.in render_nginx_conf "$port" "$tmp/nginx" "$path" "$body" \
      >"$tmp/out" 2>"$tmp/err"; then
    fail "a template with @USER@ rendered"
  fi
  grep -q "@USER@" "$tmp/err" || fail "the error does not name @USER@: $(cat "$tmp/err")"
  [[ ! -s $tmp/out ]] || fail "a refused config was still printed"
}

test_no_bench_script_renders_on_its_own() {
  local script
  for script in "$repo"/bench/*.sh; do
    grep -q "nginx\.conf\.in" "$script" && fail "$(basename "$script") reads nginx.conf.in itself; use render_nginx_conf"
    if grep -qE '(^|[[:space:]])nginx[[:space:]]+-p' "$script"; then
      grep -q "render_nginx_conf" "$script" || fail "$(basename "$script") starts nginx without render_nginx_conf"
    fi
  done
}

test_nginx_serves_the_exact_body() {
  command -v nginx >/dev/null || { echo "nginx not installed: serving check skipped"; return 0; }
  mkdir -p "$tmp/nginx"
  render_nginx_conf "$port" "$tmp/nginx" "$path" "$body" >"$tmp/nginx/nginx.conf"
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
  nginx_pid=$!
  wait_healthy "http://127.0.0.1:$port$path" || fail "nginx did not answer: $(cat "$tmp/nginx/error.log")"
  [[ $(curl -fsS "http://127.0.0.1:$port$path") == "$body" ]] || fail "nginx answered other bytes than the body"
}

test_renders_every_placeholder
test_refuses_an_unknown_placeholder
test_no_bench_script_renders_on_its_own
test_nginx_serves_the_exact_body
echo "nginx template: ok"
