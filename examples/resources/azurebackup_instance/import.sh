# A backup instance is imported by its full ARM ID:
# /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.DataProtection/backupVaults/{vault}/backupInstances/{name}
terraform import azurebackup_instance.disk "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/disk-1-b6292708-7515-58b8-896b-7e1e4a7a4e29"
