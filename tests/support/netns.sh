# Hosts and links for shell tests: network namespaces joined by veth pairs
# (Debian's iproute2), so that processes run on separate addresses as on a
# cluster, and link faults (a veth taken down, or netfilter drops inside a
# namespace). Source it, then:
#
#   netns_setup                    skip (exit 77) unless namespaces and veth work here
#   trap netns_cleanup EXIT        (or call netns_cleanup from the test's own trap)
#   netns_host NAME                a namespace "$NETNS_PREFIX$NAME" with lo up
#   netns_router NAME              a host that forwards between its links (hosts
#                                  uplinked to it reach each other through it)
#   netns_uplink NAME [PEER]       a veth pair from host NAME to host PEER (default:
#                                  the machine itself) on a private /24; sets
#                                  NETNS_ADDR[NAME] (NAME's side, .2) and
#                                  NETNS_GW[NAME] (PEER's side, .1, NAME's default route)
#   netns_exec NAME CMD...         run CMD on host NAME
#   netns_forward NAME PORT        the machine's 127.0.0.1:PORT, reachable from NAME
#                                  as NETNS_GW[NAME]:PORT (socat, listening on
#                                  that address only)
#   netns_can_drop                 true where netfilter (iptables) works in a namespace
#   netns_cut NAME link|drop       cut NAME's uplink: veth down, or DROP on it
#   netns_heal NAME                undo the cut (the link up, the default route back)
#   netns_cleanup                  kill every process in the hosts, delete them and
#                                  their veths, stop the forwarders (idempotent)
#
# Names are unique per run (the prefix holds the shell's pid; interface names
# stay under 16 characters). Subnets are 10.213.Y.0/24, Y picked under a lock
# among those no route of the machine covers, so parallel tests never clash.
# Only the test's own namespaces and the veths it creates are changed:
# netfilter rules go inside a namespace, never in the machine's tables.
# Needs root; callers define skip() (exit 77) and may use $NETNS_WHY.

NETNS_PREFIX="sl$$"
NETNS_HOSTS=()
NETNS_FORWARDERS=()
NETNS_CUT=()
declare -A NETNS_ADDR=() NETNS_GW=() NETNS_IF=()
NETNS_LOCK=/tmp/scalelab-netns.lock
NETNS_IPTABLES=${NETNS_IPTABLES-/usr/sbin/iptables}  # "" cuts by veth down only

netns_setup() {
  command -v ip >/dev/null || skip "iproute2 (ip) is not installed"
  [[ $(id -u) == 0 ]] || skip "network namespaces need root (uid $(id -u))"
  ip netns add "${NETNS_PREFIX}probe" 2>/dev/null || skip "cannot create network namespaces here (ip netns add failed)"
  ip netns del "${NETNS_PREFIX}probe"
}

netns_host() {
  local ns=$NETNS_PREFIX$1
  ip netns add "$ns" || skip "cannot create network namespace $ns"
  NETNS_HOSTS+=("$1")
  ip -n "$ns" link set lo up
}

netns_router() {
  netns_host "$1"
  netns_exec "$1" sysctl -qw net.ipv4.ip_forward=1  # that namespace's own setting
}

netns_exec() {
  local name=$1
  shift
  ip netns exec "$NETNS_PREFIX$name" "$@"
}

# A free 10.213.Y: no route of the machine, nor of the peer host given as
# `ip -n NS`, covers it (run under the lock).
netns_free_subnet() {
  local y
  for y in $(seq 1 254); do
    [[ -z $({ ip -4 route show match "10.213.$y.0/24"; "$@" -4 route show match "10.213.$y.0/24"; } | grep -v '^default') ]] \
      && { echo "10.213.$y"; return 0; }
  done
  return 1
}

netns_uplink() {
  local name=$1 peer=${2:-} ns=$NETNS_PREFIX$1 ifname=$NETNS_PREFIX$1 subnet
  local peer_args=() peer_ip=(ip)
  if [[ -n $peer ]]; then
    peer_args=(netns "$NETNS_PREFIX$peer")
    peer_ip=(ip -n "$NETNS_PREFIX$peer")
  fi
  exec {lock}>"$NETNS_LOCK"
  flock "$lock"
  subnet=$(netns_free_subnet "${peer_ip[@]}") || { exec {lock}>&-; skip "no free 10.213.x.0/24 subnet on this machine"; }
  if ! ip link add "${ifname}p" "${peer_args[@]}" type veth peer name "$ifname" netns "$ns" 2>/dev/null; then
    exec {lock}>&-
    skip "cannot create veth pairs here"
  fi
  "${peer_ip[@]}" addr add "$subnet.1/24" dev "${ifname}p"
  "${peer_ip[@]}" link set "${ifname}p" up
  exec {lock}>&-  # the address now marks the subnet as taken
  ip -n "$ns" addr add "$subnet.2/24" dev "$ifname"
  ip -n "$ns" link set "$ifname" up
  ip -n "$ns" route add default via "$subnet.1"
  NETNS_ADDR[$name]=$subnet.2
  NETNS_GW[$name]=$subnet.1
  NETNS_IF[$name]=$ifname
}

netns_forward() {
  local name=$1 port=$2
  command -v socat >/dev/null || skip "socat is not installed (scripts/setup.sh installs it)"
  # Its own process group, so the connections' children go with it.
  setsid socat "TCP-LISTEN:$port,bind=${NETNS_GW[$name]},reuseaddr,fork" "TCP:127.0.0.1:$port" &
  NETNS_FORWARDERS+=($!)
  local _
  for _ in $(seq 1 50); do
    ss -Hltn "src ${NETNS_GW[$name]}:$port" | grep -q . && return 0
    sleep 0.1
  done
  echo "socat did not listen on ${NETNS_GW[$name]}:$port" >&2
  return 1
}

# True when host NAME reaches HOST:PORT over TCP within 5 s.
netns_reaches() {
  netns_exec "$1" timeout 5 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

netns_can_drop() {
  [[ -x $NETNS_IPTABLES && ${#NETNS_HOSTS[@]} -gt 0 ]] || return 1
  netns_exec "${NETNS_HOSTS[0]}" "$NETNS_IPTABLES" -w -S >/dev/null 2>&1
}

netns_cut() {
  local name=$1 how=$2 ifname=${NETNS_IF[$1]}
  case $how in
    link) ip -n "$NETNS_PREFIX$name" link set "$ifname" down ;;
    drop)
      netns_exec "$name" "$NETNS_IPTABLES" -w -I INPUT -i "$ifname" -j DROP
      netns_exec "$name" "$NETNS_IPTABLES" -w -I OUTPUT -o "$ifname" -j DROP
      ;;
    *) echo "netns_cut: link or drop, not '$how'" >&2; return 2 ;;
  esac
  NETNS_CUT+=("$name:$how")
}

netns_heal() {
  local name=$1 ifname=${NETNS_IF[$1]} ns=$NETNS_PREFIX$1
  ip -n "$ns" link set "$ifname" up
  # A link taken down loses its routes: the default route comes back by hand.
  ip -n "$ns" route replace default via "${NETNS_GW[$name]}"
  while netns_exec "$name" "$NETNS_IPTABLES" -w -D INPUT -i "$ifname" -j DROP 2>/dev/null; do :; done
  while netns_exec "$name" "$NETNS_IPTABLES" -w -D OUTPUT -o "$ifname" -j DROP 2>/dev/null; do :; done
}

netns_cleanup() {
  local name p
  for p in "${NETNS_FORWARDERS[@]}"; do kill -9 -- "-$p" 2>/dev/null || true; done
  NETNS_FORWARDERS=()
  # Whatever runs on a host dies with it: `ip netns exec` wrappers may be gone
  # already, so the namespace's own pid list is the authority.
  for name in "${NETNS_HOSTS[@]}"; do
    for p in $(ip netns pids "$NETNS_PREFIX$name" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  done
  for name in "${NETNS_HOSTS[@]}"; do
    ip netns del "$NETNS_PREFIX$name" 2>/dev/null || true
    # Deleting a namespace deletes its veth ends and so their peers; this
    # catches a peer left behind by an interrupted setup.
    ip link del "$NETNS_PREFIX${name}p" 2>/dev/null || true
  done
  NETNS_HOSTS=()
}
