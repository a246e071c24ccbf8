# Prove that backups work: checks on recovery-point freshness and failed jobs, a backup before
# every risky change, and fixing a protection error. Needs Terraform 1.14+ for the actions
# (the checks need 1.5+).

variable "vault_id" {
  type    = string
  default = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
}

variable "max_recovery_point_age_hours" {
  type    = number
  default = 26
}

resource "azurebackup_instance" "disk" {
  vault_id                   = var.vault_id
  datasource_id              = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
  location                   = "westeurope"
  policy_id                  = "${var.vault_id}/backupPolicies/policy-disk"
  snapshot_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"
}

data "azurebackup_recovery_points" "disk" {
  backup_instance_id = azurebackup_instance.disk.id
}

data "azurebackup_backup_jobs" "disk_failures" {
  vault_id           = var.vault_id
  backup_instance_id = azurebackup_instance.disk.id
  status             = "Failed"
  limit              = 5
}

# Fails (as a warning on plan and apply) when the newest recovery point is too old.
check "recent_recovery_point" {
  assert {
    condition     = data.azurebackup_recovery_points.disk.latest != null && data.azurebackup_recovery_points.disk.latest_age_seconds < var.max_recovery_point_age_hours * 3600
    error_message = "The newest recovery point of ${azurebackup_instance.disk.name} is older than ${var.max_recovery_point_age_hours} hours (or there is none)."
  }
}

check "no_failed_backups" {
  assert {
    condition     = length(data.azurebackup_backup_jobs.disk_failures.jobs) == 0
    error_message = "Backups of ${azurebackup_instance.disk.name} failed: ${join("; ", [for j in data.azurebackup_backup_jobs.disk_failures.jobs : "${j.start_time}: ${coalesce(j.error_message, j.status)}"])}"
  }
}

check "protection_healthy" {
  assert {
    condition     = azurebackup_instance.disk.protection_error_code == null
    error_message = "${azurebackup_instance.disk.name} is in ${azurebackup_instance.disk.protection_state}: ${coalesce(azurebackup_instance.disk.protection_error_message, "no details")}. Fix the cause, then run: terraform apply -invoke=action.azurebackup_sync_instance.disk"
  }
}

action "azurebackup_backup_now" "disk" {
  config {
    backup_instance_id = azurebackup_instance.disk.id
  }
}

action "azurebackup_sync_instance" "disk" {
  config {
    backup_instance_id = azurebackup_instance.disk.id
  }
}

# Stands for the change that could lose data (a migration, a resize, ...): every update of it
# first takes a backup of the disk.
resource "terraform_data" "migration" {
  input = "v1"

  lifecycle {
    action_trigger {
      events  = [before_update]
      actions = [action.azurebackup_backup_now.disk]
    }
  }
}
