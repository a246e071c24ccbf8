# Azure Data Lake Storage: the same storage account ID as blobs, chosen by datasource_type.
# The containers are required and can be changed in place.
resource "azurebackup_instance" "data_lake" {
  vault_id        = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stlakedemo"
  datasource_type = "Microsoft.Storage/storageAccounts/adlsBlobServices"
  location        = "westeurope"
  policy_id       = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-adls"
  containers      = ["raw", "curated"]
}
