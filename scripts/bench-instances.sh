#!/usr/bin/env bash
# Benchmark: N managed-disk backup instances in one vault (default 100) against the emulator,
# every ARM request delayed by LATENCY_MS (default 50; real ARM answers in 50-300 ms).
# Prints, per phase (apply, refresh = `terraform plan`, destroy): wall time next to the floor that
# Terraform core sets (N built-in `terraform_data` resources, measured in the same run), ARM
# requests per instance (and in all, by operation, from the emulator's counters), and the
# provider's peak RSS (the kernel's VmHWM of every provider process Terraform starts, sampled
# until it exits; and the largest anonymous part seen, the rest being the binary's pages). Also
# the stripped binary's size. Then, after the refresh, `terraform query` of the vault (a list
# block with `limit = N`, Terraform 1.15.5: list resources need 1.14+) and the same query with
# `-generate-config-out`, each with its wall time, ARM requests (the emulator's counters: list
# pages only, no GET per instance, is what to look for) and the provider's peak RSS; they have no
# floor (Terraform's built-in provider has no list resource). Numbers only: nothing here passes
# or fails on a threshold.
#   usage: scripts/bench-instances.sh [N]
#   env:   PROFILE=release|debug (default release), LATENCY_MS=50, PARALLELISM=20 (apply and
#          destroy; refresh uses Terraform's default of 10), TERRAFORM=path (default: PATH),
#          QUERY_TERRAFORM=path (default .tools/terraform-1.15.5/terraform, installed if missing;
#          QUERY_TERRAFORM=none skips the query phases)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
n=${1:-100}
profile=${PROFILE:-release}
latency=${LATENCY_MS:-50}
parallelism=${PARALLELISM:-20}

bins=(--workspace --bins)
if [ "$profile" = release ]; then cargo build --quiet --release "${bins[@]}"; else cargo build --quiet "${bins[@]}"; fi
bin="$root/target/$profile/terraform-provider-azurebackup"
emulator="$root/target/$profile/azurebackup-emulator"
tf=${TERRAFORM:-$(command -v terraform || { bash scripts/install-terraform.sh >/dev/null; echo "$root/.tools/terraform-1.0.3/terraform"; })}

query_tf=${QUERY_TERRAFORM:-$root/.tools/terraform-1.15.5/terraform}
if [ "$query_tf" != none ] && [ ! -x "$query_tf" ]; then query_tf=$(bash scripts/install-terraform.sh 1.15.5); fi

work=$(mktemp -d "${TMPDIR:-/tmp}/azurebackup-bench.XXXXXX")
emu_pid=""
sampler_pid=""
cleanup() {
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null
  wait 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT

# Operations finish at once: what is measured is the provider and its requests, not Azure's
# minutes of configuring protection.
"$emulator" --listen 127.0.0.1:0 --ca-file "$work/ca.pem" --validate-ms 0 --put-ms 0 --protection-ms 0 --delete-ms 0 --retry-after 0 --latency-ms "$latency" >"$work/emu.json" 2>"$work/emu.log" &
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

# A wrapper in the dev_overrides directory notes the provider's PID and execs it (so Terraform
# stays its parent, as without the wrapper); a sampler keeps each process's peak RSS (VmHWM,
# which the kernel keeps as a high-water mark) until it exits.
mkdir -p "$work/plugin" "$work/rss" "$work/pids"
cat >"$work/plugin/terraform-provider-azurebackup" <<WRAP
#!/bin/sh
touch "$work/pids/\$\$"
exec "$bin" "\$@"
WRAP
chmod +x "$work/plugin/terraform-provider-azurebackup"
(
  while :; do
    for f in "$work/pids/"*; do
      [ -e "$f" ] || continue
      pid=${f##*/}
      st=$(cat "/proc/$pid/status" 2>/dev/null) || st=""
      hwm=$(printf '%s\n' "$st" | sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p')
      anon=$(printf '%s\n' "$st" | sed -n 's/^RssAnon:[[:space:]]*\([0-9]*\) kB/\1/p')
      if [ -n "$hwm" ]; then
        echo "$hwm" >"$work/rss/$pid"
        prev=$(cat "$work/rss/anon-$pid" 2>/dev/null || echo 0)
        [ "${anon:-0}" -gt "$prev" ] && echo "$anon" >"$work/rss/anon-$pid"
      else rm -f "$f"; fi
    done
    sleep 0.02
  done
) &
sampler_pid=$!
cat >"$work/terraform.rc" <<RC
provider_installation {
  dev_overrides { "registry.terraform.io/azurebackup/azurebackup" = "$work/plugin" }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
mkdir -p "$work/tf" "$work/floor"
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
# The floor: the same number of resources of Terraform's built-in provider (no plugin process).
cat >"$work/floor/main.tf" <<HCL
resource "terraform_data" "x" {
  for_each = toset([for i in range($n) : format("bench-%04d", i)])
  input    = each.key
}
HCL

# run DIR NAME ARGS...: runs Terraform, leaves the wall time in $work/NAME.time.
run() {
  local dir=$1 name=$2; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  local flags=(-input=false -no-color)
  # `terraform query` takes no -input.
  [ "$1" = query ] && flags=(-no-color)
  (cd "$dir" && "$tf" "$@" "${flags[@]}" >"$work/$name.log" 2>&1) || { cat "$work/$name.log" >&2; echo "$name failed" >&2; exit 1; }
  t1=$(date +%s.%N)
  python3 -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$t0" "$t1" >"$work/$name.time"
}

# phase NAME FLOOR_ARGS -- ARGS: the floor, then ours, then one line of numbers.
phase() {
  local name=$1; shift
  local floor_args=() ours_args=()
  while [ "$1" != -- ]; do floor_args+=("$1"); shift; done
  shift
  ours_args=("$@")
  run "$work/floor" "floor-$name" "${floor_args[@]}"
  rm -f "$work/rss/"*
  curl_admin -X DELETE "$admin/requests" >/dev/null
  run "$work/tf" "$name" "${ours_args[@]}"
  curl_admin "$admin/counters" >"$work/$name.counters"
  local rss
  rss=$(cat "$work/rss/"[0-9]* 2>/dev/null | sort -n | tail -n1)
  anon=$(cat "$work/rss/anon-"* 2>/dev/null | sort -n | tail -n1)
  python3 - "$name" "$(cat "$work/$name.time")" "$(cat "$work/floor-$name.time")" "$n" "${rss:-0}" "${anon:-0}" "$work/$name.counters" <<'PY'
import json, sys
name, ours, floor, n, rss, anon, counters = sys.argv[1:]
ops = json.load(open(counters))["operations"]
# ARM requests only: identity (token, discovery, metadata) is not ARM.
arm = {k: v["count"] for k, v in ops.items() if k not in ("token", "discovery", "metadata", "managedIdentityToken", "admin")}
total = sum(arm.values())
ours, floor, n = float(ours), float(floor), int(n)
by = ", ".join("%s %d" % (k, v) for k, v in sorted(arm.items()))
print("%-8s %8.2f %8.2f %6.2f %9.2f %8d %8.1f %6.1f   %s" % (name, ours, floor, ours / floor if floor else 0, total / n, total, int(rss) / 1024, int(anon) / 1024, by))
PY
}

# query NAME ARGS...: `terraform query` (Terraform 1.15.5) of the vault in its own folder, then
# one line of numbers like phase's, with no floor.
mkdir -p "$work/query"
cat >"$work/query/main.tf" <<HCL
terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
  }
}
provider "azurebackup" {}
HCL
cat >"$work/query/vault.tfquery.hcl" <<HCL
list "azurebackup_instance" "all" {
  provider = azurebackup
  limit    = $n
  config {
    vault_id = "/subscriptions/$sub/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  }
}
HCL
query() {
  local name=$1; shift
  rm -f "$work/rss/"* "$work/query/generated.tf"
  curl_admin -X DELETE "$admin/requests" >/dev/null
  local saved_tf=$tf
  tf=$query_tf
  run "$work/query" "$name" query "$@"
  tf=$saved_tf
  curl_admin "$admin/counters" >"$work/$name.counters"
  local rss anon found
  rss=$(cat "$work/rss/"[0-9]* 2>/dev/null | sort -n | tail -n1)
  anon=$(cat "$work/rss/anon-"* 2>/dev/null | sort -n | tail -n1)
  # What the query found: lines of its human output naming an instance, or the generated imports.
  if [ -f "$work/query/generated.tf" ]; then found=$(grep -c '^import {' "$work/query/generated.tf" || true)
  else found=$(grep -c '^list\.azurebackup_instance\.all' "$work/$name.log" || true); fi
  python3 - "$name" "$(cat "$work/$name.time")" "$n" "${rss:-0}" "${anon:-0}" "$work/$name.counters" "$found" <<'PY'
import json, sys
name, ours, n, rss, anon, counters, found = sys.argv[1:]
ops = json.load(open(counters))["operations"]
arm = {k: v["count"] for k, v in ops.items() if k not in ("token", "discovery", "metadata", "managedIdentityToken", "admin")}
total = sum(arm.values())
by = ", ".join("%s %d" % (k, v) for k, v in sorted(arm.items()))
print("%-8s %8.2f %8s %6s %9.3f %8d %8.1f %6.1f   %s (found %s)" % (name, float(ours), "-", "-", total / int(n), total, int(rss) / 1024, int(anon) / 1024, by, found))
PY
}

size=$(stat -c %s "$bin")
echo "terraform $("$tf" version | head -n1 | sed 's/^Terraform v//'), provider $profile build ($(python3 -c "print('%.1f' % ($size/1048576))") MB), $n instances in one vault, ARM latency ${latency} ms, -parallelism=$parallelism for apply and destroy"
echo "phase     ours(s) floor(s) ratio  ARM req/inst ARM req  RSS(MB) anon(MB)  ARM requests by operation"
phase apply apply -auto-approve -parallelism="$parallelism" -- apply -auto-approve -parallelism="$parallelism"
phase refresh plan -- plan
if [ "$query_tf" != none ]; then
  echo "query: terraform $("$query_tf" version | head -n1 | sed 's/^Terraform v//'), one list block, limit = $n"
  query query
  query query-gen -generate-config-out=generated.tf
fi
phase destroy destroy -auto-approve -parallelism="$parallelism" -- destroy -auto-approve -parallelism="$parallelism"
