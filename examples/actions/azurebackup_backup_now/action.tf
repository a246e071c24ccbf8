# An on-demand backup with the policy's backup rule and default retention tag:
#   terraform apply -invoke=action.azurebackup_backup_now.disk
action "azurebackup_backup_now" "disk" {
  config {
    backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi-disk-1"
  }
}

# A backup kept with the policy's weekly tag, without waiting for the job.
action "azurebackup_backup_now" "weekly" {
  config {
    backup_instance_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi-disk-1"
    rule_name          = "BackupHourly"
    retention_tag      = "Weekly"
    wait               = false
  }
}

# A backup before every change of the resource that holds the data.
resource "terraform_data" "schema_migration" {
  input = "v42"

  lifecycle {
    action_trigger {
      events  = [before_update]
      actions = [action.azurebackup_backup_now.disk]
    }
  }
}
