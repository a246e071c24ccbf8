# An Elastic SAN volume group, one volume of it: only API version 2026-06-01 knows Elastic SAN,
# and that version needs a vault whose soft delete is AlwaysOn.
provider "azurebackup" {
  alias       = "v2026"
  api_version = "2026-06-01"
}

resource "azurebackup_instance" "elastic_san" {
  provider = azurebackup.v2026

  vault_id                   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-secure"
  datasource_id              = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.ElasticSan/elasticSans/esan-demo/volumeGroups/vg-demo"
  volume_name                = "vol-1"
  location                   = "westeurope"
  policy_id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-secure/backupPolicies/policy-esan"
  snapshot_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"
}
