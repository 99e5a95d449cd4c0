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
