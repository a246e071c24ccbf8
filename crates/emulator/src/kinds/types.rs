//! The service's type strings (`datasourceType`, ARM resource types), which kind of resource an
//! ARM ID names, and the built-in role names the emulator checks. Plain data: the world file and
//! the store read these without knowing the kinds' behaviour.

use crate::armpath::{lower, parent_of};

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
/// Roles restores need (of the restoring identity, on the target).
pub const ROLE_DISK_RESTORE_OPERATOR: &str = "Disk Restore Operator";
pub const ROLE_STORAGE_BLOB_DATA_CONTRIBUTOR: &str = "Storage Blob Data Contributor";
pub const ROLE_ESAN_VOLUME_IMPORTER: &str = "Elastic SAN Volume Importer";
pub const ROLE_DOCUMENTDB_ACCOUNT_CONTRIBUTOR: &str = "DocumentDB Account Contributor";

/// Every `datasourceType` the emulator models (one per model in [`super::MODELS`]).
pub const DATASOURCE_TYPES: &[&str] = &[
    DISK_TYPE,
    PG_DATABASE_TYPE,
    PG_FLEX_TYPE,
    BLOB_TYPE,
    ADLS_TYPE,
    AKS_TYPE,
    MYSQL_FLEX_TYPE,
    COSMOS_TYPE,
    ESAN_VOLUME_GROUP_TYPE,
];

/// Whether `datasource_type` is one the emulator models (for policies in the world file).
pub fn is_known_type(datasource_type: &str) -> bool {
    DATASOURCE_TYPES
        .iter()
        .any(|t| t.eq_ignore_ascii_case(datasource_type))
}

/// What kind of resource an ARM ID names (the world holds these; a storage account is one
/// resource that may be protected as two datasource types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Disk,
    PgServer,
    PgDatabase,
    PgFlex,
    StorageAccount,
    AksCluster,
    MysqlFlex,
    CosmosDb,
    ElasticSan,
    EsanVolumeGroup,
}

impl Kind {
    /// Recognises the ID shape (provider namespace and types compared case-insensitively).
    pub fn of(id: &str) -> Option<Kind> {
        let l = lower(id);
        let segs: Vec<&str> = l.trim_matches('/').split('/').collect();
        let p = segs.iter().position(|s| *s == "providers")?;
        let tail = &segs[p + 1..];
        match tail {
            ["microsoft.compute", "disks", _] => Some(Kind::Disk),
            ["microsoft.dbforpostgresql", "servers", _] => Some(Kind::PgServer),
            ["microsoft.dbforpostgresql", "servers", _, "databases", _] => Some(Kind::PgDatabase),
            ["microsoft.dbforpostgresql", "flexibleservers", _] => Some(Kind::PgFlex),
            ["microsoft.storage", "storageaccounts", _] => Some(Kind::StorageAccount),
            ["microsoft.containerservice", "managedclusters", _] => Some(Kind::AksCluster),
            ["microsoft.dbformysql", "flexibleservers", _] => Some(Kind::MysqlFlex),
            ["microsoft.documentdb", "databaseaccounts", _] => Some(Kind::CosmosDb),
            ["microsoft.elasticsan", "elasticsans", _] => Some(Kind::ElasticSan),
            ["microsoft.elasticsan", "elasticsans", _, "volumegroups", _] => {
                Some(Kind::EsanVolumeGroup)
            }
            _ => None,
        }
    }

    /// The `datasourceType` the service assumes when a request leaves it out (a storage account
    /// is blob unless told otherwise; an Elastic SAN is the set of its volume groups).
    pub fn datasource_type(self) -> &'static str {
        match self {
            Kind::Disk => DISK_TYPE,
            Kind::PgServer => PG_SERVER_TYPE,
            Kind::PgDatabase => PG_DATABASE_TYPE,
            Kind::PgFlex => PG_FLEX_TYPE,
            Kind::StorageAccount => BLOB_TYPE,
            Kind::AksCluster => AKS_TYPE,
            Kind::MysqlFlex => MYSQL_FLEX_TYPE,
            Kind::CosmosDb => COSMOS_TYPE,
            Kind::ElasticSan | Kind::EsanVolumeGroup => ESAN_VOLUME_GROUP_TYPE,
        }
    }

    /// The ARM resource type (`resourceType` of a datasource or set).
    pub fn resource_type(self) -> &'static str {
        match self {
            Kind::StorageAccount => STORAGE_ACCOUNT_TYPE,
            Kind::ElasticSan => ELASTIC_SAN_TYPE,
            k => k.datasource_type(),
        }
    }

    /// Children live in their parent's region and need the parent declared in the world.
    pub fn parent(self, id: &str) -> Option<String> {
        match self {
            Kind::PgDatabase | Kind::EsanVolumeGroup => Some(parent_of(id, 2)),
            _ => None,
        }
    }
}
