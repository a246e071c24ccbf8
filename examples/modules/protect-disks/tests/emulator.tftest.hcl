# Runs against the emulator (`azurebackup-emulator`, with its ARM_* variables exported):
# the disks of its default world get protected for real.

variables {
  vault_id                   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  policy_id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-disk"
  snapshot_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"
  location                   = "westeurope"
  disk_ids = [
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1",
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-2",
  ]
}

run "protects_every_disk" {
  command = apply

  assert {
    condition     = length(output.instance_ids) == 2
    error_message = "Expected one backup instance per disk."
  }

  assert {
    condition     = alltrue([for s in values(output.protection_states) : s == "ProtectionConfigured"])
    error_message = "Every disk must end up ProtectionConfigured."
  }
}
