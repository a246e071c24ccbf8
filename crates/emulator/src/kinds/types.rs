//! The service's type strings (`datasourceType`, ARM resource types) and the built-in role names
//! the emulator checks.

pub const DISK_TYPE: &str = "Microsoft.Compute/disks";
pub const PG_DATABASE_TYPE: &str = "Microsoft.DBforPostgreSQL/servers/databases";
pub const PG_SERVER_TYPE: &str = "Microsoft.DBforPostgreSQL/servers";
pub const PG_FLEX_TYPE: &str = "Microsoft.DBforPostgreSQL/flexibleServers";
pub const STORAGE_ACCOUNT_TYPE: &str = "Microsoft.Storage/storageAccounts";
pub const BLOB_TYPE: &str = "Microsoft.Storage/storageAccounts/blobServices";
pub const ADLS_TYPE: &str = "Microsoft.Storage/storageAccounts/adlsBlobServices";
pub const AKS_TYPE: &str = "Microsoft.ContainerService/managedClusters";
pub const MYSQL_FLEX_TYPE: &str = "Microsoft.DBforMySQL/flexibleServers";
pub const COSMOS_TYPE: &str = "Microsoft.DocumentDB/databaseAccounts";
pub const ELASTIC_SAN_TYPE: &str = "Microsoft.ElasticSan/elasticSans";
pub const ESAN_VOLUME_GROUP_TYPE: &str = "Microsoft.ElasticSan/elasticSans/volumeGroups";

/// Roles (the action each stands for in the service's messages is named where it is checked).
pub const ROLE_DISK_BACKUP_READER: &str = "Disk Backup Reader";
pub const ROLE_DISK_SNAPSHOT_CONTRIBUTOR: &str = "Disk Snapshot Contributor";
pub const ROLE_READER: &str = "Reader";
pub const ROLE_CONTRIBUTOR: &str = "Contributor";
pub const ROLE_KV_SECRETS_USER: &str = "Key Vault Secrets User";
pub const ROLE_PG_FLEX_LTR: &str = "PostgreSQL Flexible Server Long Term Retention Backup Role";
pub const ROLE_STORAGE_BACKUP_CONTRIBUTOR: &str = "Storage Account Backup Contributor";
pub const ROLE_MYSQL_BACKUP_EXPORT: &str = "MySQL Backup And Export Operator";
pub const ROLE_COSMOS_OPERATOR: &str = "Cosmos DB Operator";
pub const ROLE_ESAN_SNAPSHOT_EXPORTER: &str = "Elastic SAN Snapshot Exporter";
