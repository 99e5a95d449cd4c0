# Shell helpers for the container scripts (image.sh, compose-smoke.sh, the
# container test). Source it.
#
# SCALELAB_CONTAINER_TOOL picks podman or docker (default: podman when
# installed, else docker). With podman, every build and run lowers the
# container's open-files and processes limits: podman asks by default for
# more than an unprivileged sandbox's hard limits (nofile 20000 here), and
# runc fails with "error setting rlimit ... operation not permitted" when it
# may not raise them. Lowering is always allowed; docker needs none of this.

# The numbers the container gets; scalelab needs far fewer of either.
readonly container_nofile=4096
readonly container_nproc=4096

container_tool() {
  if [[ -n ${SCALELAB_CONTAINER_TOOL:-} ]]; then
    echo "$SCALELAB_CONTAINER_TOOL"
  elif command -v podman >/dev/null; then
    echo podman
  elif command -v docker >/dev/null; then
    echo docker
  else
    return 1
  fi
}

# container_limit_flags TOOL: prints the flags `build` and `run` need, one a line.
container_limit_flags() {
  if [[ $1 == podman ]]; then
    printf '%s\n' --runtime runc --ulimit "nofile=$container_nofile:$container_nofile" \
      --ulimit "nproc=$container_nproc:$container_nproc"
  fi
}

# container_image_size TOOL IMAGE: prints the image's size in MB.
container_image_size() {
  "$1" image inspect --format '{{.Size}}' "$2" | awk '{ printf "%.1f MB\n", $1 / 1e6 }'
}

# The Debian 12 base of the build stage and of deploy/infra.Containerfile.
readonly container_base_image=localhost/scalelab-base:bookworm

# ensure_base_image TOOL: makes $container_base_image from Debian's own
# packages when it is missing (mmdebstrap --variant=minbase, ~2 minutes, needs
# Debian's mirror, SCALELAB_DEBIAN_MIRROR to pick another), so no image
# registry is needed.
ensure_base_image() {
  "$1" image inspect "$container_base_image" >/dev/null 2>&1 && return 0
  command -v mmdebstrap >/dev/null || { echo "mmdebstrap missing (scripts/setup.sh --deploy)" >&2; return 1; }
  echo "making $container_base_image with mmdebstrap (a couple of minutes)" >&2
  mmdebstrap --variant=minbase bookworm - "${SCALELAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}" |
    "$1" import - "$container_base_image"
}
