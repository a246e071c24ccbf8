#!/usr/bin/env bash
# Benchmark: N managed-disk backup instances (default 100) against the emulator with zero latency.
# Prints wall times of apply, refresh-plan and destroy, ARM requests per instance for each phase
# (from the emulator's request log), and the provider's peak RSS (GNU time on every provider
# process Terraform starts). Numbers only: nothing here passes or fails on a threshold.
#   usage: scripts/bench-instances.sh [N]     (PROFILE=debug for a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
n=${1:-100}
profile=${PROFILE:-release}

bins=(--workspace --bins)
if [ "$profile" = release ]; then cargo build --quiet --release "${bins[@]}"; else cargo build --quiet "${bins[@]}"; fi
bin="$root/target/$profile/terraform-provider-azurebackup"
emulator="$root/target/$profile/azurebackup-emulator"
tf=$(command -v terraform || { bash scripts/install-terraform.sh >/dev/null; echo "$root/.tools/terraform-1.0.3/terraform"; })
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed to measure the provider's RSS" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/azurebackup-bench.XXXXXX")
emu_pid=""
cleanup() { [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$emulator" --listen 127.0.0.1:0 --ca-file "$work/ca.pem" --validate-ms 0 --put-ms 0 --protection-ms 0 --delete-ms 0 --retry-after 0 >"$work/emu.json" 2>"$work/emu.log" &
emu_pid=$!
for _ in $(seq 1 100); do [ -s "$work/emu.json" ] && break; sleep 0.1; done
eval "$(python3 -c 'import json,sys,shlex; d=json.loads(open(sys.argv[1]).readline()); print("\n".join("export %s=%s" % (k, shlex.quote(v)) for k,v in d["env"].items())); print("admin=%s" % shlex.quote(d["admin"]))' "$work/emu.json")"
curl_admin() { curl -sS --fail --cacert "$work/ca.pem" "$@"; }

sub=11111111-1111-1111-1111-111111111111
python3 - "$n" "$sub" >"$work/disks.json" <<'PY'
import json, sys
n, sub = int(sys.argv[1]), sys.argv[2]
print(json.dumps([{"id": f"/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/bench-{i:04d}", "location": "westeurope"} for i in range(n)]))
PY
curl_admin -X POST -H 'content-type: application/json' --data @"$work/disks.json" "$admin/datasources" >/dev/null

# A wrapper in the dev_overrides directory runs the real provider under GNU time.
mkdir -p "$work/plugin" "$work/rss"
cat >"$work/plugin/terraform-provider-azurebackup" <<WRAP
#!/bin/sh
exec /usr/bin/time -f %M -o "$work/rss/\$\$" "$bin" "\$@"
WRAP
chmod +x "$work/plugin/terraform-provider-azurebackup"
cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides { "registry.terraform.io/azurebackup/azurebackup" = "$work/plugin" }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
mkdir -p "$work/tf"
cat >"$work/tf/main.tf" <<HCL
terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
  }
}
provider "azurebackup" {}
locals {
  vault = "/subscriptions/$sub/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
}
resource "azurebackup_instance" "disk" {
  for_each                   = toset([for i in range($n) : format("bench-%04d", i)])
  vault_id                   = local.vault
  datasource_id              = "/subscriptions/$sub/resourceGroups/rg-data/providers/Microsoft.Compute/disks/\${each.key}"
  location                   = "westeurope"
  policy_id                  = "\${local.vault}/backupPolicies/policy-disk"
  snapshot_resource_group_id = "/subscriptions/$sub/resourceGroups/rg-snapshots"
}
HCL
cd "$work/tf"

phase() {
  local name=$1; shift
  rm -f "$work/rss/"*
  curl_admin -X DELETE "$admin/requests" >/dev/null
  local t0 t1
  t0=$(date +%s.%N)
  "$tf" "$@" -input=false -no-color >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; echo "$name failed" >&2; exit 1; }
  t1=$(date +%s.%N)
  local reqs rss
  reqs=$(curl_admin "$admin/requests" | python3 -c 'import json,sys; r=json.load(sys.stdin)["requests"]; print(sum(1 for x in r if not x.get("path","").startswith("/admin") and "oauth2" not in x.get("path","")))')
  rss=$(cat "$work/rss/"* 2>/dev/null | sort -n | tail -n1)
  python3 -c 'import sys; name,t0,t1,reqs,n,rss=sys.argv[1:]; print("%-14s %8.2f s   %6.2f ARM requests/instance   provider peak RSS %6.1f MB" % (name, float(t1)-float(t0), int(reqs)/int(n), int(rss or 0)/1024))' "$name" "$t0" "$t1" "$reqs" "$n" "${rss:-0}"
}

echo "terraform: $("$tf" version | head -n1), provider: $profile build, instances: $n"
phase apply apply -auto-approve
phase refresh-plan plan
phase destroy destroy -auto-approve
