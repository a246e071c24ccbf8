# A MySQL flexible server: no parameters. The vault needs Reader on the server's resource group
# and MySQL Backup And Export Operator on the server.
resource "azurebackup_instance" "mysql_flexible" {
  vault_id      = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.DBforMySQL/flexibleServers/mysql-demo"
  location      = "westeurope"
  policy_id     = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-mysql"
}
