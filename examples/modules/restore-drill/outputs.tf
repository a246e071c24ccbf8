output "backup_instance_id" {
  description = "The backup instance drilled."
  value       = var.backup_instance_id
}

output "source_datasource_id" {
  description = "ARM ID of the protected resource whose backup was restored."
  value       = data.azurebackup_instance.this.datasource_id
}

output "recovery_point_id" {
  description = "The recovery point restored."
  value       = local.restore.recovery_point_id
}

output "restore_job_id" {
  description = "GUID of the restore job (in the vault's backupJobs)."
  value       = local.restore.job_id
}

output "restore_job_status" {
  description = "The restore job's status: Completed after a successful drill."
  value       = local.restore.job_status
}

output "restore_start_time" {
  description = "When the restore job started (RFC 3339)."
  value       = local.restore.start_time
}

output "restore_end_time" {
  description = "When the restore job ended (RFC 3339)."
  value       = local.restore.end_time
}

output "restored_disk_id" {
  description = "Managed disks: ARM ID of the restored disk; null for restores as files."
  value       = local.restore.restored_resource_id
}

output "restored_files_container_id" {
  description = "Flexible servers: the container the dump files were written to; null for disks."
  value       = var.target_container_id
}
