# Every backup instance of one vault (Terraform 1.14 and later: `terraform query`).
list "azurebackup_instance" "vault" {
  provider         = azurebackup
  include_resource = true
  limit            = 1000

  config {
    vault_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  }
}

# Only the managed disks of one application's resource group that are protected.
list "azurebackup_instance" "app_disks" {
  provider = azurebackup

  config {
    vault_id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
    datasource_type           = "Microsoft.Compute/disks"
    protection_state          = "ProtectionConfigured"
    datasource_resource_group = "rg-data"
  }
}
