# Blobs, operational backup: point-in-time restore inside the storage account, no parameters.
# The vault's identity needs Storage Account Backup Contributor on the account.
resource "azurebackup_instance" "blob_operational" {
  vault_id      = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stbackupdemo"
  location      = "westeurope"
  policy_id     = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-blob"
}
