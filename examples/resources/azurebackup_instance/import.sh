# A backup instance is imported by its full ARM ID:
# /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.DataProtection/backupVaults/{vault}/backupInstances/{name}
terraform import azurebackup_instance.disk "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/disk-1-0c1e6e0c-5a8e-5d0b-9f7e-3c2b1a0d4e5f"
