# Grant a Backup vault every role it needs, then protect: the roles come from the
# azurebackup_role_assignments data source, so nobody looks a role or a scope up by hand.

locals {
  vault_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  disk_id  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
  server   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-1"
  snapshot = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"
}

data "azurebackup_role_assignments" "disk" {
  vault_id                   = local.vault_id
  datasource_id              = local.disk_id
  snapshot_resource_group_id = local.snapshot
}

data "azurebackup_role_assignments" "server" {
  vault_id      = local.vault_id
  datasource_id = local.server
}

locals {
  # One entry per role assignment, keyed by the stable `key` so that adding a datasource never
  # re-creates the assignments of the others. Two datasources needing the same role on the
  # same scope for the same principal share one key, hence the grouping `...`.
  assignments = {
    for k, v in {
      for a in concat(
        data.azurebackup_role_assignments.disk.assignments,
        data.azurebackup_role_assignments.server.assignments,
      ) : a.key => a...
    } : k => v[0]
  }
}

# With azurerm, the module below is simply:
#
# resource "azurerm_role_assignment" "backup" {
#   for_each             = local.assignments
#   scope                = each.value.scope
#   role_definition_name = each.value.role_definition_name
#   principal_id         = each.value.principal_id
# }
module "role_assignment" {
  source   = "./modules/role-assignment"
  for_each = local.assignments

  scope                = each.value.scope
  role_definition_name = each.value.role_definition_name
  principal_id         = each.value.principal_id
}

# Protect only once the roles are in place (the service checks them when the instance is
# created; real role assignments can take a few minutes to propagate).
resource "azurebackup_instance" "disk" {
  vault_id                   = local.vault_id
  datasource_id              = local.disk_id
  location                   = "westeurope"
  policy_id                  = "${local.vault_id}/backupPolicies/policy-disk"
  snapshot_resource_group_id = local.snapshot

  depends_on = [module.role_assignment]
}

resource "azurebackup_instance" "server" {
  vault_id      = local.vault_id
  datasource_id = local.server
  location      = "westeurope"
  policy_id     = "${local.vault_id}/backupPolicies/policy-pgflex"

  depends_on = [module.role_assignment]
}

output "role_assignments" {
  value = { for k, m in module.role_assignment : k => m.assignment }
}
