# Which roles does the vault need before it can protect this disk, on which scopes, for whom?
data "azurebackup_role_assignments" "disk" {
  vault_id                   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id              = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
  snapshot_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"
}

# One role assignment per element, keyed so that plans stay stable:
#
# resource "azurerm_role_assignment" "backup" {
#   for_each             = { for a in data.azurebackup_role_assignments.disk.assignments : a.key => a }
#   scope                = each.value.scope
#   role_definition_name = each.value.role_definition_name
#   principal_id         = each.value.principal_id
# }

output "disk_backup_roles" {
  value = {
    for a in data.azurebackup_role_assignments.disk.assignments : a.role_definition_name => a.scope
  }
}

output "vault_principal_id" {
  value = data.azurebackup_role_assignments.disk.principal_id
}
