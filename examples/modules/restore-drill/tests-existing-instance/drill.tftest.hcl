# The drill of an instance that already has recovery points (any Terraform from 1.6): restores
# its newest point and checks the job. Nothing here protects or backs up anything, so it is the
# drill to run against production backups, and the one for Terraform older than 1.14 (which has
# no azurebackup_backup_now action). Give the instance and the target on the command line:
#
#   terraform init -test-directory=tests-existing-instance
#   terraform test -test-directory=tests-existing-instance \
#     -var backup_instance_id=<instance ARM ID> -var target_resource_group_id=<resource group ARM ID>
#
# (a PostgreSQL or MySQL flexible server takes -var target_container_id=<container ARM ID>
# instead). At the end a restored disk is deleted; the backup instance is never touched.

run "restore_the_newest_point" {
  assert {
    condition     = output.restore_job_status == "Completed"
    error_message = "The restore job must complete."
  }

  assert {
    condition     = var.target_resource_group_id == null ? output.restored_disk_id == null : startswith(output.restored_disk_id, "${var.target_resource_group_id}/providers/Microsoft.Compute/disks/")
    error_message = "A disk restore must report the new disk it created in the target resource group; a restore as files none."
  }
}

run "the_completed_restore_reads_back" {
  command = plan

  assert {
    condition     = output.restore_job_status == "Completed" && output.restored_disk_id == run.restore_the_newest_point.restored_disk_id
    error_message = "Read follows the job: still Completed, still the same target."
  }
}
