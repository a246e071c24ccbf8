output "instance_ids" {
  description = "Backup instance ID per disk ID."
  value       = { for disk, bi in azurebackup_instance.disk : disk => bi.id }
}

output "protection_states" {
  description = "Protection state per disk ID."
  value       = { for disk, bi in azurebackup_instance.disk : disk => bi.protection_state }
}
