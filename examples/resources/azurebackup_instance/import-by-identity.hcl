# Terraform 1.12 and later: an import block by identity (the same attributes as azurerm's
# backup instance resources), with a resource block for it.
import {
  to = azurebackup_instance.disk
  identity = {
    subscription_id     = "11111111-1111-1111-1111-111111111111"
    resource_group_name = "rg-backup"
    backup_vault_name   = "vault-demo"
    name                = "disk-1-b6292708-7515-58b8-896b-7e1e4a7a4e29"
  }
}
