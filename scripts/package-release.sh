#!/usr/bin/env bash
# Packages a built provider binary the way the Terraform Registry and HashiCorp's releases lay it
# out, into $DIST (default dist/):
#   terraform-provider-azurebackup_<ver>_<os>_<arch>.zip   holding terraform-provider-azurebackup_v<ver> (mode 0755)
#   terraform-provider-azurebackup_<ver>_manifest.json      copy of terraform-registry-manifest.json
#   terraform-provider-azurebackup_<ver>_SHA256SUMS         sha256sum format, over the two files above
# It does not build: `make release` builds first. Settings (environment):
#   PROFILE  cargo profile whose binary to package (release; debug for fast tests)
#   BIN      the binary itself (default target/$PROFILE/terraform-provider-azurebackup)
#   DIST     output folder;  VERSION  default from Cargo.toml;  OS, ARCH  default from uname
#   SOURCE_DATE_EPOCH  timestamp stored in the zip (default: the binary's mtime)
# python3's zipfile writes the zip, so no `zip` tool is needed. Prints the zip's path.
set -euo pipefail
trap 'echo "error: $0 failed at line $LINENO" >&2' ERR
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=terraform-provider-azurebackup

profile=${PROFILE:-release}
bin=${BIN:-${CARGO_TARGET_DIR:-$root/target}/$profile/$name}
dist=${DIST:-$root/dist}
version=${VERSION:-$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | sed -n 1p)}
os=${OS:-$(uname -s | tr '[:upper:]' '[:lower:]')}
arch=${ARCH:-$(uname -m)}
case $arch in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    i?86) arch=386 ;;
esac

if [[ ! -x $bin ]]; then
    echo "error: no provider binary at $bin (build it first: make build)" >&2
    exit 1
fi
if [[ -z $version ]]; then
    echo "error: cannot read the version from Cargo.toml" >&2
    exit 1
fi

mkdir -p "$dist"
zip_name="${name}_${version}_${os}_${arch}.zip"
manifest_name="${name}_${version}_manifest.json"
sums_name="${name}_${version}_SHA256SUMS"
cp "$root/terraform-registry-manifest.json" "$dist/$manifest_name"

python3 - "$bin" "$dist/$zip_name" "${name}_v${version}" <<'PY'
import os, sys, time, zipfile
src, dest, member = sys.argv[1:4]
stamp = int(os.environ.get("SOURCE_DATE_EPOCH") or os.stat(src).st_mtime)
# Zip timestamps cannot go before 1980.
date_time = time.gmtime(max(stamp, 315532800))[:6]
info = zipfile.ZipInfo(member, date_time=date_time)
info.create_system = 3  # Unix, so that the mode below is honoured when Terraform unpacks it
info.external_attr = (0o100755 & 0xFFFF) << 16
info.compress_type = zipfile.ZIP_DEFLATED
tmp = dest + ".tmp"
with open(src, "rb") as f, zipfile.ZipFile(tmp, "w") as z:
    z.writestr(info, f.read())
os.replace(tmp, dest)
PY

(cd "$dist" && sha256sum "$zip_name" "$manifest_name" | sort -k 2 > "$sums_name")
echo "$dist/$zip_name"
