#!/usr/bin/env bash
# `terraform fmt -check` on deploy/terraform where a terraform binary is
# installed (it is not a Debian package: skipped elsewhere; the HCL parse and
# the rules are deploy.terraform's job). fmt needs no providers.
set -euo pipefail
command -v terraform >/dev/null || { echo "SKIP: terraform is not installed" >&2; exit 77; }
export TF_CLI_CONFIG_FILE=/dev/null
terraform fmt -check -diff "$1" || { echo "FAIL: run terraform fmt $1" >&2; exit 1; }
echo "terraform fmt: clean"
