# A restore drill: restores a backup instance's newest recovery point (or the one named) to a
# new place, waits for Azure's restore job, and fails unless the job completed and made what a
# restore must make. Managed disks are restored to a new disk, which is deleted again when the
# drill is destroyed; PostgreSQL and MySQL flexible servers are restored as dump files into a
# blob container. Run it from `terraform test` (see tests/ and tests-existing-instance/) in CI,
# so that a backup nobody could restore shows up as a failed pipeline, not on the day it is needed.

data "azurebackup_instance" "this" {
  id = var.backup_instance_id
}

data "azurebackup_recovery_points" "this" {
  backup_instance_id = var.backup_instance_id
}

locals {
  kind_is_disk     = data.azurebackup_instance.this.datasource_type == "Microsoft.Compute/disks"
  kind_is_flexible = contains(["Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.DBforMySQL/flexibleServers"], data.azurebackup_instance.this.datasource_type)
  newest_point     = data.azurebackup_recovery_points.this.latest
  recovery_point_id = var.recovery_point_id != null ? var.recovery_point_id : (
    local.newest_point == null ? null : local.newest_point.recovery_point_id
  )
  restored_disk_name = var.restored_disk_name != null ? var.restored_disk_name : format(
    "%s-drill-%s",
    basename(data.azurebackup_instance.this.datasource_id),
    substr(coalesce(local.recovery_point_id, "none"), 0, 8),
  )
}

resource "azurebackup_restore" "this" {
  backup_instance_id = var.backup_instance_id
  recovery_point_id  = local.recovery_point_id

  dynamic "disk" {
    for_each = var.target_resource_group_id == null ? [] : [var.target_resource_group_id]
    content {
      target_resource_group_id = disk.value
      target_disk_name         = local.restored_disk_name
    }
  }

  dynamic "files" {
    for_each = var.target_container_id == null ? [] : [var.target_container_id]
    content {
      target_container_id = files.value
      file_prefix         = var.file_prefix
    }
  }

  # Only a disk restore makes a resource of its own; restored files stay in the container.
  delete_restored_target = var.target_resource_group_id != null && var.delete_restored_disk

  lifecycle {
    precondition {
      condition     = local.recovery_point_id != null
      error_message = "The backup instance ${var.backup_instance_id} has no recovery point yet: take one (the azurebackup_backup_now action, Terraform 1.14+) or wait for its policy's schedule, or set recovery_point_id."
    }
    precondition {
      condition     = local.kind_is_disk ? var.target_resource_group_id != null && var.target_container_id == null : true
      error_message = "The backup instance protects a managed disk: set target_resource_group_id (the disk is restored to a new disk there) and leave target_container_id null."
    }
    precondition {
      condition     = local.kind_is_flexible ? var.target_container_id != null && var.target_resource_group_id == null : true
      error_message = "The backup instance protects a ${data.azurebackup_instance.this.datasource_type}, which Azure restores only as files: set target_container_id and leave target_resource_group_id null."
    }
    precondition {
      condition     = local.kind_is_disk || local.kind_is_flexible
      error_message = "The drill restores managed disks and PostgreSQL / MySQL flexible servers; this instance protects a ${data.azurebackup_instance.this.datasource_type}."
    }
    postcondition {
      condition     = self.job_status == "Completed"
      error_message = "The restore job ${self.job_id} ended ${self.job_status}, not Completed."
    }
    postcondition {
      condition     = var.target_resource_group_id == null || self.restored_resource_id == "${var.target_resource_group_id}/providers/Microsoft.Compute/disks/${local.restored_disk_name}"
      error_message = "The restore job completed but did not report the new disk ${local.restored_disk_name} in ${coalesce(var.target_resource_group_id, "-")} as what it created."
    }
  }
}
