variable "backup_instance_id" {
  description = "ARM ID of the backup instance to drill: a managed disk, or a PostgreSQL / MySQL flexible server."
  type        = string
}

variable "recovery_point_id" {
  description = "The recovery point to restore (its `recovery_point_id`); null restores the instance's newest one."
  type        = string
  default     = null
}

variable "target_resource_group_id" {
  description = "Managed disks: ARM ID of the resource group the restored disk is created in (the vault's identity needs Disk Restore Operator there). Set this or target_container_id."
  type        = string
  default     = null
}

variable "restored_disk_name" {
  description = "Managed disks: name of the new disk; null derives `{source disk}-drill-{first 8 characters of the recovery point}`, so each new point gets a new disk."
  type        = string
  default     = null
}

variable "target_container_id" {
  description = "PostgreSQL / MySQL flexible servers: ARM ID of the blob container the dump files are written to (`{storage account ID}/blobServices/default/containers/{name}`; the vault's identity needs Storage Blob Data Contributor there). Set this or target_resource_group_id."
  type        = string
  default     = null
}

variable "file_prefix" {
  description = "PostgreSQL / MySQL flexible servers: prefix of the dump files' names."
  type        = string
  default     = "drill"
}

variable "delete_restored_disk" {
  description = "Managed disks: delete the restored disk when the drill is destroyed (`terraform test` destroys at its end). A restored disk is a full managed disk, billed until it is deleted."
  type        = bool
  default     = true
}

variable "restore_timeout" {
  description = "How long to wait for the restore job (the resource's `timeouts.create`), e.g. `2h`; a large disk needs longer."
  type        = string
  default     = "2h"
}
