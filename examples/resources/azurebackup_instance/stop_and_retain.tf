# Stop protection but keep the data: `terraform destroy` (or removing this block) stops the
# backups, keeps every recovery point and only forgets the instance in Terraform state. It stays
# in the vault in ProtectionStopped until you delete it in Azure. `protection_mode` pauses
# backups in place ("BackupsSuspended") or stops them ("ProtectionStopped") without destroying.
resource "azurebackup_instance" "retained" {
  vault_id                   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id              = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-2"
  location                   = "westeurope"
  policy_id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-disk"
  snapshot_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"

  protection_mode  = "Protected"
  destroy_behavior = "StopProtectionRetainData"
}
