# A PostgreSQL flexible server's backup, restored as dump files into a blob container (the
# vault's identity needs Storage Blob Data Contributor on it).
data "azurebackup_recovery_points" "pgflex" {
  backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/pgflex-1"
}

resource "azurebackup_restore" "pgflex" {
  backup_instance_id = data.azurebackup_recovery_points.pgflex.backup_instance_id
  recovery_point_id  = data.azurebackup_recovery_points.pgflex.latest.id

  files {
    target_container_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/strestore/blobServices/default/containers/restores"
    file_prefix         = "drill"
  }
}
