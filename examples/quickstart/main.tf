# Quickstart: three backup instances (a managed disk, a PostgreSQL single-server database and a
# PostgreSQL flexible server, three of the nine kinds) against the emulator's default world
# (make demo starts it and exports its ARM_* variables). examples/resources/azurebackup_instance
# has one example per kind.
terraform {
  required_providers {
    azurebackup = {
      source = "azurebackup/azurebackup"
    }
  }
}

provider "azurebackup" {}

locals {
  sub   = "/subscriptions/11111111-1111-1111-1111-111111111111"
  vault = "${local.sub}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  data  = "${local.sub}/resourceGroups/rg-data/providers"
}

resource "azurebackup_instance" "disk" {
  vault_id                   = local.vault
  datasource_id              = "${local.data}/Microsoft.Compute/disks/disk-1"
  location                   = "westeurope"
  policy_id                  = "${local.vault}/backupPolicies/policy-disk"
  snapshot_resource_group_id = "${local.sub}/resourceGroups/rg-snapshots"
}

resource "azurebackup_instance" "postgresql" {
  vault_id             = local.vault
  datasource_id        = "${local.data}/Microsoft.DBforPostgreSQL/servers/pg-single/databases/appdb"
  location             = "westeurope"
  policy_id            = "${local.vault}/backupPolicies/policy-postgres"
  key_vault_secret_uri = "https://kv-demo.vault.azure.net/secrets/pg-conn"
}

resource "azurebackup_instance" "flexible" {
  vault_id      = local.vault
  datasource_id = "${local.data}/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-1"
  location      = "westeurope"
  policy_id     = "${local.vault}/backupPolicies/policy-pgflex"
}

output "instances" {
  value = {
    for k, r in {
      disk       = azurebackup_instance.disk
      postgresql = azurebackup_instance.postgresql
      flexible   = azurebackup_instance.flexible
      } : k => {
      id               = r.id
      protection_state = r.protection_state
    }
  }
}
