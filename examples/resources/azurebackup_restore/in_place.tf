# An operational blob backup, restored in place to the latest restorable time minus an hour
# (only the blobs under logs/).
data "azurebackup_restorable_time_ranges" "blob" {
  backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/strestore"
}

resource "azurebackup_restore" "in_place" {
  backup_instance_id = data.azurebackup_restorable_time_ranges.blob.backup_instance_id
  point_in_time      = timeadd(data.azurebackup_restorable_time_ranges.blob.latest, "-1h")

  in_place {
    prefix_range {
      start = "logs/"
      end   = "logs/zzzz"
    }
  }
}
