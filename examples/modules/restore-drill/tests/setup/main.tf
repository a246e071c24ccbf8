# Test helper (Terraform 1.14+): protects a datasource and takes a backup of it at once with the
# azurebackup_backup_now action, so that the drill has a recovery point to restore without
# waiting for the policy's schedule. Used by the run blocks in tests/*.tftest.hcl; its resources
# are destroyed (the instance removed) when `terraform test` ends.

terraform {
  required_version = ">= 1.14.0"

  required_providers {
    azurebackup = {
      source = "azurebackup/azurebackup"
    }
  }
}

variable "vault_id" {
  type = string
}

variable "policy_id" {
  type = string
}

variable "datasource_id" {
  type = string
}

variable "location" {
  type = string
}

variable "snapshot_resource_group_id" {
  description = "Managed disks only."
  type        = string
  default     = null
}

resource "azurebackup_instance" "this" {
  vault_id                   = var.vault_id
  datasource_id              = var.datasource_id
  location                   = var.location
  policy_id                  = var.policy_id
  snapshot_resource_group_id = var.snapshot_resource_group_id
}

action "azurebackup_backup_now" "this" {
  config {
    backup_instance_id = azurebackup_instance.this.id
  }
}

# Creating this runs the backup and waits for its job; the drill reads the instance through it.
resource "terraform_data" "backed_up" {
  input = azurebackup_instance.this.id

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.azurebackup_backup_now.this]
    }
  }
}

data "azurebackup_recovery_points" "after_backup" {
  backup_instance_id = terraform_data.backed_up.output
}

output "backup_instance_id" {
  value = terraform_data.backed_up.output
}

output "recovery_point_id" {
  description = "The point the backup made (the instance's only one)."
  value       = data.azurebackup_recovery_points.after_backup.latest.recovery_point_id
}
