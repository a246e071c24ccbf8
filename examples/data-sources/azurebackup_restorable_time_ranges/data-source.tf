# The windows an operational blob backup can be restored to any point in.
data "azurebackup_restorable_time_ranges" "blobs" {
  backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi-blobs-1"
}

# Only the part of them in January.
data "azurebackup_restorable_time_ranges" "january" {
  backup_instance_id = data.azurebackup_restorable_time_ranges.blobs.id
  start_time         = "2026-01-01T00:00:00Z"
  end_time           = "2026-01-31T23:59:59Z"
}

output "earliest_restorable_time" {
  value = data.azurebackup_restorable_time_ranges.blobs.earliest
}

output "latest_restorable_time" {
  value = data.azurebackup_restorable_time_ranges.blobs.latest
}

output "january_ranges" {
  value = data.azurebackup_restorable_time_ranges.january.ranges
}
