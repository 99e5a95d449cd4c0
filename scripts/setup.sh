#!/usr/bin/env bash
# Installs every Debian 12 package scalelab uses. Idempotent: packages already
# present are skipped, and nothing is fetched when all are there.
#   scripts/setup.sh          build + test toolchain and libraries
#   scripts/setup.sh --bench  also the peers and load tools used by bench/
#   scripts/setup.sh --deploy also podman, podman-compose and mmdebstrap (deploy/)
#   scripts/setup.sh --browser also Chromium, for the browser tests (ctest -L browser)
#   scripts/setup.sh --build-only  only what a release build of the binary
#                             needs (the container image's build stage)
#   scripts/setup.sh --demo   only what scripts/demo.sh configures, builds and
#                             runs (not clang for fuzzing, nor Locust)
#   scripts/setup.sh --demo-build  the part of --demo the build needs (demo.sh
#                             installs the rest while it builds)
set -euo pipefail

build_packages=(
  cmake ninja-build g++ pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libhiredis-dev librabbitmq-dev libyaml-cpp-dev
  libtbb-dev                        # lab hw3: TBB's concurrent_hash_map
)
# What the experiments use when they run (scalelab tour).
run_packages=(
  # real servers, started by the project on private ports (never the system ones)
  redis-server redis-tools rabbitmq-server haproxy
  # report charts (inlined into HTML reports)
  libjs-chart.js
  # procps for ps/pgrep in scripts
  procps curl
  # tests/support/netns.sh: hosts as network namespaces, link cuts, forwarders
  iproute2 iptables socat
)
# The tests' and micro-benchmarks' libraries (the release preset configures them).
test_packages=(libgtest-dev libgmock-dev libbenchmark-dev)
packages=(
  "${build_packages[@]}"
  "${test_packages[@]}"
  clang libclang-rt-14-dev          # libFuzzer target (fuzz preset)
  python3-locust                    # a test checks our CSV columns against Locust's own; also a bench peer
  "${run_packages[@]}"
)
bench_packages=(
  wrk nginx-light
  socat                             # bench/haproxy.sh joins its instance through the admin socket
  golang-go golang-github-gin-gonic-gin-dev
  python3 python3-fastapi python3-uvicorn
  jq time                           # orders_accept reads load's JSON; load_generators times each generator
)
deploy_packages=(
  podman runc containernetworking-plugins iptables  # build and run the image (root: CNI networking)
  golang-github-containernetworking-plugin-dnsname  # compose: containers find each other by service name
  podman-compose                    # deploy/compose.yaml
  mmdebstrap                        # the image's Debian base, from Debian's own packages
)
browser_packages=(
  chromium                          # headless, driven by playwright-core (tests/browser); never a downloaded browser
)

for arg in "$@"; do
  case "$arg" in
    --bench) packages+=("${bench_packages[@]}") ;;
    --deploy) packages+=("${deploy_packages[@]}") ;;
    --browser) packages+=("${browser_packages[@]}") ;;
    --build-only) packages=("${build_packages[@]}") ;;
    --demo) packages=("${build_packages[@]}" "${test_packages[@]}" "${run_packages[@]}") ;;
    --demo-build) packages=("${build_packages[@]}" "${test_packages[@]}") ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run as root (or with sudo) to install them" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Packaged servers (redis, rabbitmq, haproxy) must not start system instances
# on their default ports: scalelab starts its own, privately. policy-rc.d
# answering 101 tells invoke-rc.d not to start anything during the install.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  added_policy=1
fi
remove_policy() { if [[ $added_policy == 1 ]]; then rm -f "$policy"; fi; }
trap remove_policy EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
