# Protects a set of managed disks with one policy.
resource "azurebackup_instance" "disk" {
  for_each = var.disk_ids

  vault_id                   = var.vault_id
  datasource_id              = each.value
  location                   = var.location
  policy_id                  = var.policy_id
  snapshot_resource_group_id = var.snapshot_resource_group_id
}
