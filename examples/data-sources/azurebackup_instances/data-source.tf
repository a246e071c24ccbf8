# Every disk instance of the vault (the vault's list is read page by page).
data "azurebackup_instances" "disks" {
  vault_id        = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_type = "Microsoft.Compute/disks"
}

# Instances that need attention.
data "azurebackup_instances" "failing" {
  vault_id         = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  protection_state = "ProtectionError"
}

output "protected_disk_ids" {
  value = data.azurebackup_instances.disks.instances[*].datasource_id
}

output "failing_instance_ids" {
  value = data.azurebackup_instances.failing.instances[*].id
}
