# The disk drill, self-contained (Terraform 1.14+): protects a disk, takes a backup with the
# azurebackup_backup_now action, restores that recovery point to a new disk, checks the job and
# the disk, and at the end deletes the restored disk and removes the backup instance.
#
# The IDs are those of the emulator's default world (docs/emulator.md). Against Azure, copy this
# file and put your own in it (a run block's variables win over -var and .tfvars values); see
# docs/guides/restore-drill.md for the roles and the cost.

run "protect_and_back_up" {
  module {
    source = "./tests/setup"
  }

  variables {
    vault_id                   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
    policy_id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-disk"
    datasource_id              = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
    location                   = "westeurope"
    snapshot_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"
  }
}

run "restore_the_newest_point" {
  variables {
    backup_instance_id       = run.protect_and_back_up.backup_instance_id
    target_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data"
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
    condition     = output.restored_disk_id == "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1-drill-${substr(output.recovery_point_id, 0, 8)}"
    error_message = "The restore must report the new disk it created."
  }
}

run "the_completed_restore_reads_back" {
  command = plan

  variables {
    backup_instance_id       = run.protect_and_back_up.backup_instance_id
    target_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data"
  }

  assert {
    condition     = output.restore_job_status == "Completed" && output.restored_disk_id == run.restore_the_newest_point.restored_disk_id
    error_message = "Read follows the job: still Completed, still the same disk."
  }
}
