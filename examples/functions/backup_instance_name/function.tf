# The name azurebackup_instance gives an instance whose `name` is not set: known before apply,
# e.g. to build the instance ID in another module.
output "disk_instance_name" {
  value = provider::azurebackup::backup_instance_name(
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo",
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1",
  )
}
