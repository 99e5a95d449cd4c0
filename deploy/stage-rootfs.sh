#!/usr/bin/env bash
# Lays out the runtime image's whole filesystem in a directory: the scalelab
# binary, every shared library `ldd` lists for it (an ASan build brings its
# sanitizer runtimes along the same way), bash for the health check, a
# non-root user and a /tmp. The Containerfile copies that directory into an
# empty (scratch) image, so the image holds no package manager, compiler or
# headers: only what the binary loads.
#   deploy/stage-rootfs.sh BINARY OUTDIR
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: $0 BINARY OUTDIR" >&2
  exit 2
fi
binary=$1
out=$2
readonly user_id=10001  # not 0, and above the ids Debian gives system users

# Copies a file to the same path under $out, following symlinks, so that the
# dynamic loader finds it where ldd found it on the host.
copy_at_path() {
  mkdir -p "$out$(dirname "$1")"
  cp -L "$1" "$out$1"
}

# Every library an executable loads, as absolute paths ("=> /path" or the
# loader's own bare path); linux-vdso has no file and is skipped.
libraries_of() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

rm -rf "$out"
mkdir -p "$out/usr/local/bin" "$out/etc" "$out/bin"
install -m 755 "$binary" "$out/usr/local/bin/scalelab"
cp -L /bin/bash "$out/bin/bash"
for exe in "$binary" /bin/bash; do
  for lib in $(libraries_of "$exe"); do copy_at_path "$lib"; done
done
mkdir -p -m 1777 "$out/tmp"
printf 'root:x:0:0:root:/root:/bin/bash\nscalelab:x:%d:%d:scalelab:/tmp:/bin/bash\n' "$user_id" "$user_id" \
  >"$out/etc/passwd"
printf 'root:x:0:\nscalelab:x:%d:\n' "$user_id" >"$out/etc/group"
install -m 755 "$(dirname "$0")/healthcheck.sh" "$out/usr/local/bin/scalelab-healthcheck"
