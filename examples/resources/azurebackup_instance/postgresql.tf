# A PostgreSQL single-server database; the connection secret lives in Key Vault.
resource "azurebackup_instance" "postgresql" {
  vault_id             = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id        = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.DBforPostgreSQL/servers/pg-single/databases/appdb"
  location             = "westeurope"
  policy_id            = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-postgres"
  key_vault_secret_uri = "https://kv-demo.vault.azure.net/secrets/pg-conn"

  timeouts {
    create = "45m"
  }
}
