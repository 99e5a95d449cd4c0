#!/usr/bin/env bash
# Builds scalelab's container image (deploy/Containerfile) and prints its size.
#   scripts/image.sh                   from source: the build stage runs
#                                      scripts/setup.sh and a release build
#   scripts/image.sh --prebuilt BIN    packages BIN, a binary built on this host
#   --tag NAME                         image name (default localhost/scalelab:latest)
# With podman, the Debian base of the build stage (localhost/scalelab-base:
# bookworm) is made first when missing, from Debian's own packages
# (mmdebstrap --variant=minbase | podman import): no image registry is needed.
# Every build is --pull=never. SCALELAB_CONTAINER_TOOL=docker uses docker.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/container_lib.sh

tag=localhost/scalelab:latest
prebuilt=""
while (($#)); do
  case "$1" in
    --prebuilt) prebuilt=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "image.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

tool=$(container_tool) || { echo "image.sh: neither podman nor docker is installed (scripts/setup.sh --deploy)" >&2; exit 1; }
mapfile -t limits < <(container_limit_flags "$tool")
# --format docker: the OCI image format has no HEALTHCHECK, podman drops it.
build=("$tool" build --pull=never -f deploy/Containerfile -t "$tag" "${limits[@]}")
[[ $tool == podman ]] && build+=(--format docker)

start=$SECONDS
if [[ -n $prebuilt ]]; then
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  bash deploy/stage-rootfs.sh "$prebuilt" "$context/rootfs"
  "${build[@]}" --target runtime-prebuilt "$context"
else
  ensure_base_image "$tool"
  "${build[@]}" --build-arg "BASE_IMAGE=$container_base_image" .
fi
echo "image.sh: $tag $(container_image_size "$tool" "$tag") (built in $((SECONDS - start)) s)"
