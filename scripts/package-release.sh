#!/usr/bin/env bash
# Packages a built provider binary the way the Terraform Registry and HashiCorp's releases lay it
# out, plus the emulator in an archive of its own, into $DIST (default dist/):
#   terraform-provider-azurebackup_<ver>_<os>_<arch>.zip   holding terraform-provider-azurebackup_v<ver> (mode 0755)
#   terraform-provider-azurebackup_<ver>_manifest.json      copy of terraform-registry-manifest.json
#   azurebackup-emulator_<ver>_<os>_<arch>.zip             holding azurebackup-emulator (mode 0755)
#   terraform-provider-azurebackup_<ver>_SHA256SUMS         sha256sum format, over the files above (every
#                                                           platform's zips in DIST)
#   terraform-provider-azurebackup_<ver>_SHA256SUMS.sig     detached binary GPG signature of it, made
#                                                           only when GPG_FINGERPRINT is set (as goreleaser does)
#   mirror/<hostname>/<namespace>/<type>/                   a Terraform provider network mirror
#       index.json        {"versions": {"<ver>": {}, ...}}
#       <ver>.json        {"archives": {"<os>_<arch>": {"url": "<zip>", "hashes": ["zh:<sha256 of the zip>"]}}}
#       the provider zip  (a copy; the url is relative to <ver>.json)
#     Serve dist/mirror/ over HTTPS and point a `network_mirror { url = "https://host/..." }` block
#     at it. Running the script again for another OS/ARCH into the same DIST adds that platform
#     to <ver>.json and keeps the others.
# It does not build: `make release` builds first. Settings (environment):
#   PROFILE  cargo profile whose binaries to package (release; debug for fast tests)
#   BIN      the provider binary (default target/$PROFILE/terraform-provider-azurebackup)
#   EMULATOR_BIN  the emulator binary (default target/$PROFILE/azurebackup-emulator)
#   DIST     output folder;  VERSION  default from Cargo.toml;  OS, ARCH  default from uname
#   SOURCE_DATE_EPOCH  timestamp stored in the zips (default: each binary's mtime)
#   GPG_FINGERPRINT  the key that signs SHA256SUMS (gpg --local-user; its agent supplies any
#                    passphrase); unset: no signature.  GNUPGHOME as gpg reads it.
#   SOURCE   the provider's source address for the mirror layout
#            (default registry.terraform.io/azurebackup/azurebackup)
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
# Windows executables keep their .exe inside the zip, as the Registry expects.
exe=""
if [[ $os == windows ]]; then exe=.exe; fi
zip_one "$bin" "$dist/$zip_name" "${name}_v${version}${exe}"
zip_one "$emu_bin" "$dist/$emu_zip_name" "$emu_name${exe}"

# Over every platform's zips in $dist (a release built platform by platform into one folder has
# one SHA256SUMS for all of them), and the manifest.
(cd "$dist" && sha256sum "${name}_${version}"_*.zip "${emu_name}_${version}"_*.zip "$manifest_name" \
    | sort -k 2 > "$sums_name")

# The signature the Terraform Registry (and anyone mirroring us) checks SHA256SUMS against.
if [[ -n ${GPG_FINGERPRINT:-} ]]; then
    rm -f "$dist/$sums_name.sig"
    gpg --batch --yes --local-user "$GPG_FINGERPRINT" \
        --output "$dist/$sums_name.sig" --detach-sign "$dist/$sums_name"
fi

# The network mirror layout (Terraform's provider network mirror protocol).
source_addr=${SOURCE:-registry.terraform.io/azurebackup/azurebackup}
if [[ ! $source_addr =~ ^[A-Za-z0-9.:-]+/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$ ]]; then
    echo "error: SOURCE must be <hostname>/<namespace>/<type>, not '$source_addr'" >&2
    exit 1
fi
mirror="$dist/mirror/$source_addr"
mkdir -p "$mirror"
cp "$dist/$zip_name" "$mirror/$zip_name.tmp"
mv -f "$mirror/$zip_name.tmp" "$mirror/$zip_name"
python3 - "$mirror" "$version" "${os}_${arch}" "$zip_name" <<'PY'
import hashlib, json, os, sys
mirror, version, platform, zip_name = sys.argv[1:5]
def load(path, key):
    try:
        with open(path) as f:
            doc = json.load(f)
        if isinstance(doc.get(key), dict):
            return doc
    except FileNotFoundError:
        pass
    return {key: {}}
def save(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
with open(os.path.join(mirror, zip_name), "rb") as f:
    digest = hashlib.sha256(f.read()).hexdigest()
version_path = os.path.join(mirror, version + ".json")
doc = load(version_path, "archives")
doc["archives"][platform] = {"url": zip_name, "hashes": ["zh:" + digest]}
save(version_path, doc)
index_path = os.path.join(mirror, "index.json")
index = load(index_path, "versions")
index["versions"][version] = {}
save(index_path, index)
PY
echo "$dist/$zip_name"
echo "$dist/$emu_zip_name"
