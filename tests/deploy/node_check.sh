#!/usr/bin/env bash
# Runs one of deploy/tools' offline checks (check-k8s/terraform/compose.mjs)
# on the deploy/ directory. Its npm packages (pinned by deploy/tools/
# package-lock.json) are installed once under TOOLS_DIR, in the build tree,
# never into the sources. Exits 77 (skipped) where node or npm is missing.
#   node_check.sh TOOLS_DIR CHECK DEPLOY_DIR
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
tools_dir=$1
check=$2
target=$3
src=$(cd "$(dirname "$0")/../../deploy/tools" && pwd)
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "SKIP: node and npm are needed for the offline deploy checks" >&2; exit 77; }

npm_tools "$src" "$tools_dir"
# Node resolves packages next to the script: run a copy placed by node_modules.
cp "$src/$check" "$tools_dir/"
node "$tools_dir/$check" "$target"
