#!/usr/bin/env bash
# Soak: N managed-disk backup instances against the emulator with a fault mix and a seed.
# Apply, then plan until empty (applying again after a failed or non-empty round), then destroy
# (again while it fails), at most K rounds each. After every step the emulator (admin API) is
# compared with the state and the script prints: rounds to converge, orphans (in Azure, not in
# state), ghosts (in state, not in Azure), duplicates (a datasource protected twice) and
# provider panics. Exits 1 if it did not converge or any of those is not 0.
#   usage: scripts/soak.sh [-n N] [-k K] [-s SEED] [-m mild|drops|harsh] [-f FAULTS_JSON]
#   mixes: mild  = 2% throttling, 1% 5xx
#          drops = 5% throttling, 5% 5xx, 2% dropped connections (the issue's mix)
#          harsh = 15% throttling, 10% 5xx, 5% drops, 3% failed operations
#   PROFILE=release for a release build (default debug); TERRAFORM=path to choose the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
n=20 k=10 seed=1 mix=drops faults=""
while getopts "n:k:s:m:f:" o; do
  case $o in
    n) n=$OPTARG ;; k) k=$OPTARG ;; s) seed=$OPTARG ;; m) mix=$OPTARG ;; f) faults=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
if [ -z "$faults" ]; then
  case $mix in
    mild) faults='{"throttle_rate":0.02,"server_error_rate":0.01}' ;;
    drops) faults='{"throttle_rate":0.05,"server_error_rate":0.05,"drop_rate":0.02}' ;;
    harsh) faults='{"throttle_rate":0.15,"server_error_rate":0.10,"drop_rate":0.05,"fail_operation_rate":0.03}' ;;
    *) echo "unknown mix $mix (mild, drops, harsh)" >&2; exit 2 ;;
  esac
fi
profile=${PROFILE:-debug}
if [ "$profile" = release ]; then cargo build --quiet --release --workspace --bins; else cargo build --quiet --workspace --bins; fi
bin_dir="$root/target/$profile"
emulator="$bin_dir/azurebackup-emulator"
tf=${TERRAFORM:-$(command -v terraform || { bash scripts/install-terraform.sh >/dev/null; echo "$root/.tools/terraform-1.0.3/terraform"; })}

work=$(mktemp -d "${TMPDIR:-/tmp}/azurebackup-soak.XXXXXX")
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
print(json.dumps([{"id": f"/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/soak-{i:04d}", "location": "westeurope"} for i in range(n)]))
PY
curl_admin -X POST -H 'content-type: application/json' --data @"$work/disks.json" "$admin/datasources" >/dev/null
curl_admin -X PUT -H 'content-type: application/json' --data "{\"seed\":$seed,\"faults\":$faults}" "$admin/knobs" >/dev/null

cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides { "registry.terraform.io/azurebackup/azurebackup" = "$bin_dir" }
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
  for_each                   = toset([for i in range($n) : format("soak-%04d", i)])
  vault_id                   = local.vault
  datasource_id              = "/subscriptions/$sub/resourceGroups/rg-data/providers/Microsoft.Compute/disks/\${each.key}"
  location                   = "westeurope"
  policy_id                  = "\${local.vault}/backupPolicies/policy-disk"
  snapshot_resource_group_id = "/subscriptions/$sub/resourceGroups/rg-snapshots"
}
HCL
cd "$work/tf"

panics=0
worst_orphans=0 worst_ghosts=0 worst_dups=0
# Runs terraform, keeps its output, counts panics; returns terraform's exit status.
tfrun() {
  local status=0
  "$tf" "$@" -input=false -no-color >"$work/out.txt" 2>&1 || status=$?
  if grep -qE "panicked|Plugin did not respond" "$work/out.txt"; then panics=$((panics + 1)); fi
  return $status
}
# Compares the emulator with the state; prints and records orphans, ghosts and duplicates.
check() {
  local step=$1
  curl_admin "$admin/instances" >"$work/azure.json"
  "$tf" show -json -no-color >"$work/state.json" 2>/dev/null || echo '{}' >"$work/state.json"
  read -r o g d < <(python3 - "$work/azure.json" "$work/state.json" <<'PY'
import json, sys, collections
azure = json.load(open(sys.argv[1])).get("instances", [])
try:
    state = json.load(open(sys.argv[2]))
except Exception:
    state = {}
res = (state.get("values") or {}).get("root_module", {}).get("resources", [])
s = {r["values"]["id"].lower() for r in res if r.get("values", {}).get("id")}
a = {i["id"].lower() for i in azure}
per = collections.Counter(i["datasource_id"].lower() for i in azure)
print(len(a - s), len(s - a), sum(1 for c in per.values() if c > 1))
PY
)
  printf '  %-14s azure=%-4s orphans=%s ghosts=%s duplicates=%s\n' "$step" "$(python3 -c 'import json,sys;print(len(json.load(open(sys.argv[1]))["instances"]))' "$work/azure.json")" "$o" "$g" "$d"
  [ "$o" -gt "$worst_orphans" ] && worst_orphans=$o
  [ "$d" -gt "$worst_dups" ] && worst_dups=$d
  last_ghosts=$g
  return 0
}

echo "soak: $n instances, seed $seed, faults $faults, terraform $("$tf" version | head -1)"
converged=""
for round in $(seq 1 "$k"); do
  if tfrun apply -auto-approve; then a=ok; else a=failed; fi
  check "apply#$round($a)"
  [ "$a" = ok ] || continue
  st=0; tfrun plan -detailed-exitcode || st=$?
  check "plan#$round($st)"
  if [ "$st" = 0 ]; then converged=$round; break; fi
done
[ "$last_ghosts" -gt "$worst_ghosts" ] && worst_ghosts=$last_ghosts
destroyed=""
for round in $(seq 1 "$k"); do
  if tfrun destroy -auto-approve; then destroyed=$round; check "destroy#$round(ok)"; break; fi
  check "destroy#$round(failed)"
done
[ "$last_ghosts" -gt "$worst_ghosts" ] && worst_ghosts=$last_ghosts
left=$(curl_admin "$admin/instances" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["instances"]))')
counts=$(curl_admin "$admin/counters" | python3 -c 'import json,sys;o=json.load(sys.stdin)["operations"];print(sum(v["count"] for v in o.values()))')
echo "result: rounds_to_converge=${converged:-none} destroy_rounds=${destroyed:-none} orphans=$worst_orphans ghosts_at_end=$worst_ghosts duplicates=$worst_dups left_after_destroy=$left panics=$panics arm_requests=$counts"
[ -n "$converged" ] && [ -n "$destroyed" ] && [ "$worst_orphans" = 0 ] && [ "$worst_ghosts" = 0 ] && [ "$worst_dups" = 0 ] && [ "$left" = 0 ] && [ "$panics" = 0 ]
