# A managed disk: operational-tier snapshots go to a resource group of your choice.
resource "azurebackup_instance" "disk" {
  vault_id                   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id              = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
  location                   = "westeurope"
  policy_id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-disk"
  snapshot_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"

  tags = {
    team = "storage"
  }
}
