#!/usr/bin/env bash
# Runs one of deploy/tools' offline checks (check-k8s/terraform/compose.mjs)
# on the deploy/ directory. Its npm packages (pinned by deploy/tools/
# package-lock.json) are installed once under TOOLS_DIR, in the build tree,
# never into the sources. Exits 77 (skipped) where node or npm is missing.
#   node_check.sh TOOLS_DIR CHECK DEPLOY_DIR
set -euo pipefail
tools_dir=$1
check=$2
target=$3
src=$(cd "$(dirname "$0")/../../deploy/tools" && pwd)
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "SKIP: node and npm are needed for the offline deploy checks" >&2; exit 77; }

mkdir -p "$tools_dir"
# Two checks may start at once (ctest -j): one installs, the other waits.
exec 9>"$tools_dir/.install.lock"
flock 9
if ! cmp -s "$src/package-lock.json" "$tools_dir/package-lock.json" || [[ ! -d $tools_dir/node_modules ]]; then
  cp "$src/package.json" "$src/package-lock.json" "$tools_dir/"
  (cd "$tools_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
flock -u 9
# Node resolves packages next to the script: run a copy placed by node_modules.
cp "$src/$check" "$tools_dir/"
node "$tools_dir/$check" "$target"
