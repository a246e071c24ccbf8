# Blobs, vaulted backup: copies of the named containers go to the vault (the policy has a vault
# store). The containers can be changed in place. The same storage account as
# blob_operational.tf: a vault protects an account once, so use one or the other.
resource "azurebackup_instance" "blob_vaulted" {
  vault_id      = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stbackupdemo"
  location      = "westeurope"
  policy_id     = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-blob-vaulted"
  containers    = ["data", "logs"]
}
