# A restore drill: restores a backup instance's newest recovery point (or the one named) to a
# new place, waits for Azure's restore job, and fails unless the job completed and made what a
# restore must make. Managed disks are restored to a new disk, which is deleted again when the
# drill is destroyed; PostgreSQL and MySQL flexible servers are restored as dump files into a
# blob container. Run it from `terraform test` (see tests/ and tests-existing-instance/) in CI,
# so that a backup nobody could restore shows up as a failed pipeline, not on the day it is needed.

data "azurebackup_instance" "this" {
  id = var.backup_instance_id

  lifecycle {
    postcondition {
      condition     = (var.target_resource_group_id == null) != (var.target_container_id == null)
      error_message = "Set exactly one of target_resource_group_id (a managed disk, restored to a new disk) and target_container_id (a flexible server, restored as files)."
    }
    postcondition {
      condition     = contains(["Microsoft.Compute/disks", "Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.DBforMySQL/flexibleServers"], self.datasource_type)
      error_message = "The drill restores managed disks and PostgreSQL / MySQL flexible servers; ${var.backup_instance_id} protects a ${self.datasource_type}."
    }
    postcondition {
      condition     = (self.datasource_type == "Microsoft.Compute/disks") == (var.target_resource_group_id != null)
      error_message = "A managed disk is restored to a new disk (set target_resource_group_id); a flexible server only as files (set target_container_id). ${var.backup_instance_id} protects a ${self.datasource_type}."
    }
  }
}

data "azurebackup_recovery_points" "this" {
  backup_instance_id = var.backup_instance_id

  lifecycle {
    postcondition {
      condition     = var.recovery_point_id != null || self.latest != null
      error_message = "The backup instance ${var.backup_instance_id} has no recovery point yet: take one (the azurebackup_backup_now action, Terraform 1.14+) or wait for its policy's schedule, or set recovery_point_id."
    }
  }
}

locals {
  recovery_point_id = var.recovery_point_id != null ? var.recovery_point_id : try(data.azurebackup_recovery_points.this.latest.recovery_point_id, null)
  restored_disk_name = var.restored_disk_name != null ? var.restored_disk_name : format(
    "%s-drill-%s", basename(data.azurebackup_instance.this.datasource_id), substr(local.recovery_point_id, 0, 8)
  )
  # The one restore of the two below that exists.
  restore = one(concat(azurebackup_restore.disk, azurebackup_restore.files))
}

resource "azurebackup_restore" "disk" {
  count = var.target_resource_group_id != null ? 1 : 0

  backup_instance_id = var.backup_instance_id
  recovery_point_id  = local.recovery_point_id

  disk {
    target_resource_group_id = var.target_resource_group_id
    target_disk_name         = local.restored_disk_name
  }

  # A restored disk is billed until it is deleted: delete it when the drill is destroyed.
  delete_restored_target = var.delete_restored_disk

  timeouts {
    create = var.restore_timeout
  }

  lifecycle {
    postcondition {
      condition     = self.job_status == "Completed"
      error_message = "The restore job ${self.job_id} ended ${self.job_status}, not Completed."
    }
    postcondition {
      condition     = self.restored_resource_id == "${var.target_resource_group_id}/providers/Microsoft.Compute/disks/${local.restored_disk_name}"
      error_message = "The restore job completed but did not report the new disk ${local.restored_disk_name} in ${var.target_resource_group_id} as what it created."
    }
  }
}

resource "azurebackup_restore" "files" {
  count = var.target_container_id != null ? 1 : 0

  backup_instance_id = var.backup_instance_id
  recovery_point_id  = local.recovery_point_id

  files {
    target_container_id = var.target_container_id
    file_prefix         = var.file_prefix
  }

  timeouts {
    create = var.restore_timeout
  }

  lifecycle {
    postcondition {
      condition     = self.job_status == "Completed"
      error_message = "The restore job ${self.job_id} ended ${self.job_status}, not Completed."
    }
  }
}
