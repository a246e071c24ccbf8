#!/usr/bin/env bash
# Packages a built provider binary the way the Terraform Registry and HashiCorp's releases lay it
# out, plus the emulator in an archive of its own, into $DIST (default dist/):
#   terraform-provider-azurebackup_<ver>_<os>_<arch>.zip   holding terraform-provider-azurebackup_v<ver> (mode 0755)
#   terraform-provider-azurebackup_<ver>_manifest.json      copy of terraform-registry-manifest.json
#   azurebackup-emulator_<ver>_<os>_<arch>.zip             holding azurebackup-emulator (mode 0755)
#   terraform-provider-azurebackup_<ver>_SHA256SUMS         sha256sum format, over the three files above
# It does not build: `make release` builds first. Settings (environment):
#   PROFILE  cargo profile whose binaries to package (release; debug for fast tests)
#   BIN      the provider binary (default target/$PROFILE/terraform-provider-azurebackup)
#   EMULATOR_BIN  the emulator binary (default target/$PROFILE/azurebackup-emulator)
#   DIST     output folder;  VERSION  default from Cargo.toml;  OS, ARCH  default from uname
#   SOURCE_DATE_EPOCH  timestamp stored in the zips (default: each binary's mtime)
# python3's zipfile writes the zips, so no `zip` tool is needed. Prints the provider zip's path,
# then the emulator zip's path, one a line.
set -euo pipefail
trap 'echo "error: $0 failed at line $LINENO" >&2' ERR
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=terraform-provider-azurebackup

profile=${PROFILE:-release}
bin=${BIN:-${CARGO_TARGET_DIR:-$root/target}/$profile/$name}
emu_name=azurebackup-emulator
emu_bin=${EMULATOR_BIN:-${CARGO_TARGET_DIR:-$root/target}/$profile/$emu_name}
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
if [[ ! -x $emu_bin ]]; then
    echo "error: no emulator binary at $emu_bin (build it first: make build)" >&2
    exit 1
fi
if [[ -z $version ]]; then
    echo "error: cannot read the version from Cargo.toml" >&2
    exit 1
fi

mkdir -p "$dist"
zip_name="${name}_${version}_${os}_${arch}.zip"
emu_zip_name="${emu_name}_${version}_${os}_${arch}.zip"
manifest_name="${name}_${version}_manifest.json"
sums_name="${name}_${version}_SHA256SUMS"
cp "$root/terraform-registry-manifest.json" "$dist/$manifest_name"

# One executable into one zip: source, destination, name inside the zip.
zip_one() {
python3 - "$1" "$2" "$3" <<'PY'
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
}
zip_one "$bin" "$dist/$zip_name" "${name}_v${version}"
zip_one "$emu_bin" "$dist/$emu_zip_name" "$emu_name"

(cd "$dist" && sha256sum "$zip_name" "$manifest_name" "$emu_zip_name" | sort -k 2 > "$sums_name")
echo "$dist/$zip_name"
echo "$dist/$emu_zip_name"
