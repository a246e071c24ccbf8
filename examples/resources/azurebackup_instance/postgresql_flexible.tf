# A PostgreSQL flexible server: the server itself is the datasource.
resource "azurebackup_instance" "postgresql_flexible" {
  vault_id      = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-1"
  location      = "westeurope"
  policy_id     = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-pgflex"
}
