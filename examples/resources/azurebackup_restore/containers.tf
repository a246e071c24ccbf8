# Containers of a vaulted blob backup, restored into another storage account.
data "azurebackup_recovery_points" "blob" {
  backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/stbackupdemo"
}

resource "azurebackup_restore" "containers" {
  backup_instance_id = data.azurebackup_recovery_points.blob.backup_instance_id
  recovery_point_id  = data.azurebackup_recovery_points.blob.latest.recovery_point_id

  containers {
    target_storage_account_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/strestore"
    names                     = ["data"]
  }
}
