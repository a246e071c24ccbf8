variable "vault_id" {
  description = "ARM ID of the Backup vault that protects the disks."
  type        = string
}

variable "policy_id" {
  description = "ARM ID of a disk backup policy of that vault."
  type        = string
}

variable "snapshot_resource_group_id" {
  description = "ARM ID of the resource group for operational-tier snapshots."
  type        = string
}

variable "location" {
  description = "Azure region of the disks."
  type        = string
}

variable "disk_ids" {
  description = "ARM IDs of the managed disks to protect."
  type        = set(string)
}
