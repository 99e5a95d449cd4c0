#!/usr/bin/env bash
# Runs one browser test (a Node script under tests/browser/) against Debian's
# Chromium. playwright-core (pinned by tests/browser/package-lock.json) is
# installed once under TOOLS_DIR, in the build tree, never into the sources;
# no browser is ever downloaded. Exits 77 (skipped) where chromium, node or
# npm is missing (scripts/setup.sh --browser installs chromium).
#   run.sh TOOLS_DIR SCRIPT ARGS...
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
tools_dir=$1
script=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "SKIP: node and npm are needed for the browser tests" >&2; exit 77; }
[[ -x /usr/bin/chromium ]] ||
  { echo "SKIP: /usr/bin/chromium is missing (scripts/setup.sh --browser installs Debian's chromium)" >&2; exit 77; }

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm_tools "$src" "$tools_dir"
# Node resolves packages next to the script: run copies (the script and the
# modules it imports) placed by node_modules.
cp "$src"/*.mjs "$tools_dir/"
exec node "$tools_dir/$script" "$@"
