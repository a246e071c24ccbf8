# The vault's ten newest failed backups.
data "azurebackup_backup_jobs" "failed" {
  vault_id  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  operation = "Backup"
  status    = "Failed"
  limit     = 10
}

# Every job of one instance since the start of the year.
data "azurebackup_backup_jobs" "disk" {
  vault_id           = data.azurebackup_backup_jobs.failed.vault_id
  backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi-disk-1"
  since              = "2026-01-01T00:00:00Z"
}

output "failed_backups" {
  value = [for j in data.azurebackup_backup_jobs.failed.jobs : "${j.start_time} ${j.backup_instance_id}: ${coalesce(j.error_code, "?")}"]
}

output "disk_job_statuses" {
  value = data.azurebackup_backup_jobs.disk.jobs[*].status
}
