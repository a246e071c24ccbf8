#!/usr/bin/env bash
# The README's main job, offline: build the provider and the emulator, start the emulator with its
# default world, install the provider into a local filesystem mirror, `terraform init` + `apply`
# the quickstart (three backup instances: a managed disk, a PostgreSQL single-server database and
# a PostgreSQL flexible server), show them, then destroy them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building the provider and the emulator"
cargo build --quiet --workspace --bins
bin="$root/target/debug/terraform-provider-azurebackup"
emulator="$root/target/debug/azurebackup-emulator"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)

tf=$(command -v terraform || true)
if [ -z "$tf" ]; then
  bash scripts/install-terraform.sh >/dev/null
  tf="$root/.tools/terraform-1.0.3/terraform"
fi
echo "terraform: $tf ($(TF_CLI_CONFIG_FILE=/dev/null "$tf" version | head -n1))"

work=$(mktemp -d "${TMPDIR:-/tmp}/azurebackup-demo.XXXXXX")
emu_pid=""
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step "Starting the emulator (Azure Data Protection API + token endpoint on 127.0.0.1)"
"$emulator" --listen 127.0.0.1:0 --ca-file "$work/emulator-ca.pem" >"$work/emulator.json" 2>"$work/emulator.log" &
emu_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/emulator.json" ] && break
  kill -0 "$emu_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; echo "emulator failed to start" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/emulator.json" ] || { echo "emulator did not report ready within 10 s" >&2; exit 1; }
# Export the variables the emulator prints (its fake, fixed credentials and its endpoints).
eval "$(python3 -c 'import json,sys,shlex; d=json.loads(open(sys.argv[1]).readline()); print("\n".join("export %s=%s" % (k, shlex.quote(v)) for k,v in d["env"].items()))' "$work/emulator.json")"
echo "endpoint: $ARM_RESOURCE_MANAGER_ENDPOINT"

step "Installing the provider into a local filesystem mirror"
os=$(uname -s | tr '[:upper:]' '[:lower:]'); arch=$(uname -m); case "$arch" in x86_64) arch=amd64;; aarch64) arch=arm64;; esac
mirror="$work/mirror/registry.terraform.io/azurebackup/azurebackup/$version/${os}_${arch}"
mkdir -p "$mirror"
cp "$bin" "$mirror/terraform-provider-azurebackup_v$version"
cat >"$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/azurebackup/azurebackup"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
cp examples/quickstart/main.tf "$work/"
cd "$work"

step "terraform init"
"$tf" init -input=false -no-color | grep -E 'Installing|Installed|initialized' || true
step "terraform apply (validate at plan, PUT, poll the async operation, wait for protection)"
"$tf" apply -input=false -auto-approve -no-color
step "The protected instances"
"$tf" output -json instances | python3 -c 'import json,sys
for kind, i in sorted(json.load(sys.stdin).items()):
    print("  %-11s %-22s %s" % (kind, i["protection_state"], i["id"].rsplit("/", 1)[-1]))' 
step "terraform plan (must be empty)"
"$tf" plan -input=false -no-color -detailed-exitcode | tail -n 3
step "terraform destroy"
"$tf" destroy -input=false -auto-approve -no-color | tail -n 3
step "Done: every instance was created, protected and destroyed against the emulator."
