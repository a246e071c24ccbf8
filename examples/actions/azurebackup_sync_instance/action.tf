# After granting the vault's identity the role it lacked:
#   terraform apply -invoke=action.azurebackup_sync_instance.disk
action "azurebackup_sync_instance" "disk" {
  config {
    backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi-disk-1"
  }
}
