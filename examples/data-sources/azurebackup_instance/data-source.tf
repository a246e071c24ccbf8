# Is this disk protected, by which instance, and in which state?
data "azurebackup_instance" "disk" {
  vault_id      = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
}

# Or read an instance by its ID.
data "azurebackup_instance" "by_id" {
  id = data.azurebackup_instance.disk.id
}

output "disk_protection_state" {
  value = data.azurebackup_instance.disk.protection_state
}

output "disk_policy_id" {
  value = data.azurebackup_instance.by_id.policy_id
}
