locals {
  instance = provider::azurebackup::parse_backup_instance_id("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/disk-1")
}

output "vault_name" {
  value = local.instance.vault_name # "vault-demo"
}

output "vault_id" {
  value = local.instance.vault_id
}
