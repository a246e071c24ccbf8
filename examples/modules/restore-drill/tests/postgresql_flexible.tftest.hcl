# The PostgreSQL flexible server drill, self-contained (Terraform 1.14+): protects a server,
# takes a backup with the azurebackup_backup_now action and restores it as dump files into a
# blob container (the only way Azure restores a flexible server from a Backup vault). At the end
# the backup instance is removed; the files stay in the container.
#
# The IDs are those of the emulator's default world (docs/emulator.md); against Azure, copy this
# file and put your own in it.

run "protect_and_back_up" {
  module {
    source = "./tests/setup"
  }

  variables {
    vault_id      = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
    policy_id     = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-pgflex"
    datasource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-1"
    location      = "westeurope"
  }
}

run "restore_as_files" {
  variables {
    backup_instance_id  = run.protect_and_back_up.backup_instance_id
    target_container_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/strestore/blobServices/default/containers/restores"
    file_prefix         = "drill"
  }

  assert {
    condition     = output.restore_job_status == "Completed"
    error_message = "The restore job must complete."
  }

  assert {
    condition     = output.recovery_point_id != null
    error_message = "The drill must restore the point the backup just made (the instance's only one)."
  }

  assert {
    condition     = output.restored_disk_id == null
    error_message = "A restore as files creates no resource of its own."
  }
}
