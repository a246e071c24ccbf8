# A managed disk's newest recovery point, restored to a new disk next to it. With
# delete_restored_target = true a destroy deletes that disk again: a restore drill.
data "azurebackup_recovery_points" "disk" {
  backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/disk-1"
}

resource "azurebackup_restore" "disk" {
  backup_instance_id     = data.azurebackup_recovery_points.disk.backup_instance_id
  recovery_point_id      = data.azurebackup_recovery_points.disk.latest.recovery_point_id
  delete_restored_target = true

  disk {
    target_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data"
    target_disk_name         = "disk-1-restored"
  }

  timeouts {
    create = "1h"
  }
}

output "restored_disk_id" {
  value = azurebackup_restore.disk.restored_resource_id
}
