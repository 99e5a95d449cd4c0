# Shell helpers shared by the project's scripts and shell tests. Source it.

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on, from
# 20000-31999 (below Linux's ephemeral range, so clients do not take it).
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "free_port: no free port found" >&2
  return 1
}

# wait_healthy URL: waits up to 5 s for URL to answer 2xx; fails otherwise.
wait_healthy() {
  for _ in $(seq 1 100); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "wait_healthy: $1 did not answer within 5 s" >&2
  return 1
}

# render_nginx_conf PORT PREFIX PATH BODY [WORKER_CONNECTIONS]: prints the
# bench nginx peer's config (bench/peers/nginx/nginx.conf.in, or
# $SCALELAB_NGINX_TEMPLATE): one worker on 127.0.0.1:PORT, its files under
# PREFIX, answering GET PATH with the fixed BODY (any bytes: quotes and
# backslashes are escaped for nginx's single-quoted string).
# WORKER_CONNECTIONS defaults to 4096; the worker's open-file limit is set
# above it. Every script that starts nginx renders through here, so the
# template and its placeholders have one owner; it fails (and prints
# nothing) when a placeholder is left unreplaced.
render_nginx_conf() {
  local -r default_connections=4096
  local -r spare_files=10000   # listen socket, logs, temp files, margin
  local port=$1 prefix=$2 path=$3 body=$4 conns=${5:-$default_connections}
  local template=${SCALELAB_NGINX_TEMPLATE:-$(dirname "${BASH_SOURCE[0]}")/../bench/peers/nginx/nginx.conf.in}
  local conf escaped left
  conf=$(<"$template") || return 1
  escaped=${body//\\/\\\\}
  escaped=${escaped//\'/\\\'}
  # Quoted replacements: bash 5.2 would otherwise expand & to the match.
  conf=${conf//@PORT@/"$port"}
  conf=${conf//@PREFIX@/"$prefix"}
  conf=${conf//@PATH@/"$path"}
  conf=${conf//@BODY@/"$escaped"}
  conf=${conf//@WORKER_CONNECTIONS@/"$conns"}
  conf=${conf//@NOFILE@/"$((conns + spare_files))"}
  # Comments may name placeholders; only directives must not keep one.
  left=$(grep -v '^[[:space:]]*#' <<<"$conf" | grep -o '@[A-Z_]*@' | sort -u | tr '\n' ' ') || true
  if [[ -n $left ]]; then
    echo "render_nginx_conf: $template: unreplaced placeholder(s): $left" >&2
    return 1
  fi
  printf '%s\n' "$conf"
}

# bench_need SCRIPT COMMAND PACKAGE: exits 77 (ctest's skip code for the
# bench-smoke tests) with a message naming COMMAND, its Debian PACKAGE and the
# command that installs it, when COMMAND is not on the PATH.
bench_need() {
  command -v "$2" >/dev/null && return 0
  bench_missing "$1" "$2 (Debian package $3)"
}

# bench_missing SCRIPT WHAT: exits 77 naming the missing peer WHAT.
bench_missing() {
  echo "$1: $2 is missing; install the bench peers with: scripts/setup.sh --bench (as root)" >&2
  exit 77
}

# bench_smoke_note SCRIPT: says that a --smoke run's figures measure nothing.
bench_smoke_note() {
  echo "$1: smoke run: one short round with tiny counts; it checks that the bench runs, its figures measure nothing (results go to a temp dir, removed at the end)"
}

# median: the median of the numbers on stdin, one per line (the mean of the
# middle two when their count is even). The bench scripts compare medians of
# their rounds.
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# kb_order: a ~1 KB order (22 items) as JSON, for hw7's accept path.
kb_order() {
  local items
  items=$(for i in $(seq 1 22); do printf '{"product_id": %d, "quantity": %d, "price": 19.99},' $((1000 + i)) $((1 + i % 5)); done)
  echo "{\"customer_id\": 4242, \"items\": [${items%,}]}"
}

# orders_accept_scenario NAME PORT BODY: the `scalelab load` scenario of hw7's
# accept path: POST /orders/async with BODY to 127.0.0.1:PORT, each answered 202.
orders_accept_scenario() {
  cat <<EOF
name: $1
host: http://127.0.0.1:$2
tasks:
  - name: accept
    requests:
      - name: POST /orders/async
        method: POST
        path: /orders/async
        json: '$3'
        expect: [202]
EOF
}

# wrk_figures FILE: "rps p50_ms p99_ms errors" from one `wrk --latency`
# output (errors: non-2xx/3xx responses plus socket errors); fails when
# the output has no figures. Every bench script parses wrk through here.
wrk_figures() {
  awk '
    function ms(v,   n, u) {
      n = v; sub(/[a-z]+$/, "", n); u = v; sub(/^[0-9.]+/, "", u)
      if (u == "us") return n / 1000
      if (u == "ms") return n
      if (u == "s")  return n * 1000
      if (u == "m")  return n * 60000
      if (u == "h")  return n * 3600000
      return -1
    }
    /^Requests\/sec:/           { rps = $2 }
    $1 == "50%"                 { p50 = ms($2) }
    $1 == "99%"                 { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { v = $i; sub(/,/, "", v); err += v }
    }
    END {
      if (rps == "" || p50 == "" || p99 == "") exit 1
      printf "%s %.4f %.4f %d\n", rps, p50, p99, err
    }' "$1"
}

# npm_tools SRC_DIR TOOLS_DIR: installs the npm packages pinned by
# SRC_DIR/package-lock.json once under TOOLS_DIR (in the build tree, never
# into the sources), with `npm ci`; reinstalls when the lock file changed.
# Two callers at once (ctest -j): one installs, the other waits. Node
# resolves packages next to a script, so callers run a copy placed in
# TOOLS_DIR.
npm_tools() {
  local src=$1 tools_dir=$2
  mkdir -p "$tools_dir"
  (
    flock 9
    if ! cmp -s "$src/package-lock.json" "$tools_dir/package-lock.json" || [[ ! -d $tools_dir/node_modules ]]; then
      cp "$src/package.json" "$src/package-lock.json" "$tools_dir/"
      (cd "$tools_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
    fi
  ) 9>"$tools_dir/.install.lock"
}

# wrk_to_file SECS CONNECTIONS URL OUT: one `wrk -t1 --latency` run into
# OUT, under the caller's "${load_pin[@]}" (a CPU pinning prefix, possibly
# empty). wrk runs in the background and is waited for, its pid in wrk_pid,
# so that the caller's cleanup on a signal stops it at once instead of
# after the measurement. lib.sh's wrk_figures reads OUT.
wrk_to_file() {
  local rc=0
  "${load_pin[@]}" wrk -t1 -c"$2" -d"${1}s" --latency "$3" >"$4" 2>&1 &
  wrk_pid=$!
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  return "$rc"
}
