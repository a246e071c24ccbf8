# The recovery points of one backup instance, newest first.
data "azurebackup_recovery_points" "disk" {
  backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi-disk-1"
}

# Only those of January in the vault store.
data "azurebackup_recovery_points" "january" {
  backup_instance_id = data.azurebackup_recovery_points.disk.backup_instance_id
  start_time         = "2026-01-01T00:00:00Z"
  end_time           = "2026-01-31T23:59:59Z"
  data_store_type    = "VaultStore"
}

output "newest_recovery_point" {
  value = data.azurebackup_recovery_points.disk.latest
}

output "newest_recovery_point_age_hours" {
  value = data.azurebackup_recovery_points.disk.latest_age_seconds == null ? null : floor(data.azurebackup_recovery_points.disk.latest_age_seconds / 3600)
}

output "january_point_ids" {
  value = data.azurebackup_recovery_points.january.recovery_points[*].recovery_point_id
}
