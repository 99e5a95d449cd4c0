#!/usr/bin/env bash
# `scalelab infra up|down haproxy` as a user meets it: up prints the frontend's
# URL and records it, the empty backend answers 503, the admin socket answers,
# and down leaves no HAProxy process behind.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../scripts/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/haproxy_cli.XXXXXX")
trap '"$bin" infra down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
"$bin" infra up --help | grep -q "haproxy" || fail "infra up --help does not list haproxy"

port=$(free_port)
url=$("$bin" infra up haproxy --dir "$dir" --port "$port") || fail "infra up haproxy"
[[ $url == "http://127.0.0.1:$port" ]] || fail "printed url: $url"
[[ $(cat "$dir/url") == "$url" ]] || fail "recorded url: $(cat "$dir/url")"
pgid=$(cat "$dir/pid")
kill -0 -- "-$pgid" 2>/dev/null || fail "no process group $pgid"
grep -qF "stats socket \"$dir/admin.sock\"" "$dir/haproxy.cfg" || fail "config: $(cat "$dir/haproxy.cfg")"
[[ -S $dir/admin.sock ]] || fail "no admin socket"

code=$(curl -s -o /dev/null -w '%{http_code}' "$url/")
[[ $code == 503 ]] || fail "empty backend answered $code, not 503"

"$bin" infra down --dir "$dir" || fail "infra down"
if kill -0 -- "-$pgid" 2>/dev/null; then fail "process group $pgid still runs after down"; fi
if curl -s -o /dev/null --max-time 2 "$url/"; then fail "the frontend still answers after down"; fi
echo "haproxy cli: ok"
