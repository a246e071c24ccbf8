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

# Creating this runs the backup and waits for its job. The point it made is read by the drill's
# own run, after this run's apply has ended (an action_trigger's action ends with the apply).
resource "terraform_data" "backed_up" {
  input = azurebackup_instance.this.id

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.azurebackup_backup_now.this]
    }
  }
}

output "backup_instance_id" {
  description = "The instance, once its backup has completed."
  value       = terraform_data.backed_up.output
}
