# A Cosmos DB account: no parameters. The vault needs Reader on the account's resource group and
# Cosmos DB Operator on the account.
resource "azurebackup_instance" "cosmos_db" {
  vault_id      = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-demo"
  location      = "westeurope"
  policy_id     = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-cosmos"
}
