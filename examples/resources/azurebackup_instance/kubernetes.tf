# An AKS cluster: snapshots of its volumes go to the snapshot resource group. The vault needs
# Reader on the cluster and on that group; the cluster's own identity needs Contributor on it.
# Every field of the kubernetes block can be changed in place.
resource "azurebackup_instance" "kubernetes" {
  vault_id                   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id              = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.ContainerService/managedClusters/aks-demo"
  location                   = "westeurope"
  policy_id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-aks"
  snapshot_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"

  kubernetes {
    included_namespaces   = ["app", "data"]
    excluded_namespaces   = ["kube-system"]
    label_selectors       = ["backup=true"]
    included_volume_types = ["AzureDisk"]
    backup_hook_references = [
      { name = "db-quiesce", namespace = "data" },
    ]
  }
}
