//! Restore requests, built per kind from typed inputs: the serde shapes of
//! `AzureBackupRestoreRequest` (recovery-point based, time based, with rehydration), its three
//! target infos and their criteria, and one builder per kind of restore (a disk to a new disk,
//! a point in time in place, containers to an account, files into a container, a new database,
//! a cluster, a Cosmos DB account, Elastic SAN volumes). A resource never writes restore JSON
//! by hand: it calls a builder, which checks its inputs and names the field at fault.

use serde::Serialize;

use crate::azure::arm_id::{
    CosmosDbAccountId, ElasticSanVolumeGroupId, KeyVaultSecretUri, ManagedClusterId, ManagedDiskId,
    PostgresDatabaseId, ResourceGroupId, StorageAccountId,
};
use crate::azure::models::{AuthCredentials, Datasource, IdentityDetails, SecretStoreResource};

/// A builder input the service would refuse, with the input it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InputError {
    pub field: &'static str,
    pub message: String,
}

fn input(field: &'static str, message: impl Into<String>) -> InputError {
    InputError {
        field,
        message: message.into(),
    }
}

/// Where the restore reads from (`sourceDataStoreType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SourceDataStore {
    OperationalStore,
    VaultStore,
    ArchiveStore,
}

/// `recoveryOption`: the service knows one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum RecoveryOption {
    #[default]
    FailIfExists,
}

/// How long and how urgently an archived point is rehydrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RehydrationPriority {
    Standard,
    High,
}

/// The request body of `restore` (and `restoreRequestObject` of `validateRestore`).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreRequest {
    pub object_type: &'static str,
    pub recovery_point_id: Option<String>,
    /// ISO 8601, for a time-based request.
    pub recovery_point_time: Option<String>,
    pub rehydration_priority: Option<RehydrationPriority>,
    /// ISO 8601 duration, `P10D` to `P30D`.
    pub rehydration_retention_duration: Option<String>,
    pub source_data_store_type: SourceDataStore,
    pub source_resource_id: Option<String>,
    pub restore_target_info: RestoreTargetInfo,
    pub identity_details: Option<IdentityDetails>,
}

/// `validateRestore`'s body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateRestoreRequest<'a> {
    pub restore_request_object: &'a RestoreRequest,
}

/// `restoreTargetInfo`, by `objectType`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "objectType")]
pub enum RestoreTargetInfo {
    /// A datasource (a new disk, database, account).
    #[serde(rename = "RestoreTargetInfo", rename_all = "camelCase")]
    Datasource {
        recovery_option: RecoveryOption,
        restore_location: String,
        datasource_info: Datasource,
        datasource_set_info: Option<Datasource>,
        datasource_auth_credentials: Option<AuthCredentials>,
    },
    /// Items of a datasource (containers, prefix ranges, namespaces, volumes).
    #[serde(rename = "ItemLevelRestoreTargetInfo", rename_all = "camelCase")]
    ItemLevel {
        recovery_option: RecoveryOption,
        restore_location: String,
        datasource_info: Datasource,
        datasource_set_info: Option<Datasource>,
        restore_criteria: Vec<RestoreCriteria>,
    },
    /// Files into a blob container.
    #[serde(rename = "RestoreFilesTargetInfo", rename_all = "camelCase")]
    Files {
        recovery_option: RecoveryOption,
        restore_location: String,
        target_details: TargetDetails,
    },
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetDetails {
    pub file_prefix: String,
    pub restore_target_location_type: &'static str,
    pub url: String,
    pub target_resource_arm_id: Option<String>,
}

/// `restoreCriteria[]`, by `objectType`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "objectType")]
pub enum RestoreCriteria {
    /// A container (vaulted blob, Data Lake), optionally renamed.
    #[serde(rename = "ItemPathBasedRestoreCriteria", rename_all = "camelCase")]
    ItemPath {
        item_path: String,
        is_path_relative_to_backup_item: bool,
        sub_item_path_prefix: Option<Vec<String>>,
        rename_to: Option<String>,
    },
    /// A range of blob name prefixes (operational blob).
    #[serde(
        rename = "RangeBasedItemLevelRestoreCriteria",
        rename_all = "camelCase"
    )]
    Range {
        min_matching_value: String,
        max_matching_value: String,
    },
    /// What of an AKS backup to restore (operational tier).
    #[serde(rename = "KubernetesClusterRestoreCriteria", rename_all = "camelCase")]
    Cluster {
        include_cluster_scope_resources: bool,
        included_namespaces: Option<Vec<String>>,
        excluded_namespaces: Option<Vec<String>>,
    },
    /// The same from the vault tier, through a staging resource group and account.
    #[serde(
        rename = "KubernetesClusterVaultTierRestoreCriteria",
        rename_all = "camelCase"
    )]
    ClusterVaultTier {
        include_cluster_scope_resources: bool,
        included_namespaces: Option<Vec<String>>,
        excluded_namespaces: Option<Vec<String>>,
        staging_resource_group_id: String,
        staging_storage_account_id: String,
    },
    /// An Elastic SAN volume, optionally renamed (2026-06-01; field names follow the item-path
    /// criteria, which the emulator also reads).
    #[serde(rename = "GenericRestoreDatasourceCriteria", rename_all = "camelCase")]
    Volume {
        item_path: String,
        rename_to: Option<String>,
    },
}

fn datasource(
    id: String,
    name: &str,
    datasource_type: &str,
    resource_type: &str,
    location: &str,
) -> Datasource {
    Datasource {
        datasource_type: Some(datasource_type.to_string()),
        object_type: Some("Datasource".to_string()),
        resource_uri: Some(id.clone()),
        resource_id: id,
        resource_location: Some(location.to_string()),
        resource_name: Some(name.to_string()),
        resource_type: Some(resource_type.to_string()),
    }
}

fn location(loc: &str) -> Result<String, InputError> {
    let l = loc.trim();
    if l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(input(
            "location",
            format!("{loc:?} is not an Azure region name (for example westeurope)"),
        ));
    }
    Ok(l.to_ascii_lowercase())
}

fn recovery_point(id: &str) -> Result<String, InputError> {
    let id = id.trim();
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(input(
            "recovery_point_id",
            format!(
                "{id:?} is not a recovery point ID (the name of one of the instance's recovery points)"
            ),
        ));
    }
    Ok(id.to_string())
}

impl RestoreRequest {
    fn from_point(
        rp: &str,
        store: SourceDataStore,
        target: RestoreTargetInfo,
    ) -> Result<RestoreRequest, InputError> {
        Ok(RestoreRequest {
            object_type: "AzureBackupRecoveryPointBasedRestoreRequest",
            recovery_point_id: Some(recovery_point(rp)?),
            recovery_point_time: None,
            rehydration_priority: None,
            rehydration_retention_duration: None,
            source_data_store_type: store,
            source_resource_id: None,
            restore_target_info: target,
            identity_details: None,
        })
    }

    /// Restores the point from the archive tier, rehydrating it for `retention_days`
    /// (10 to 30).
    pub fn from_archive(
        mut self,
        priority: RehydrationPriority,
        retention_days: u32,
    ) -> Result<RestoreRequest, InputError> {
        if self.recovery_point_id.is_none() {
            return Err(input(
                "recovery_point_id",
                "only a restore from a recovery point can rehydrate it",
            ));
        }
        if !(10..=30).contains(&retention_days) {
            return Err(input(
                "rehydration_retention_days",
                format!("{retention_days} is outside 10 to 30 days"),
            ));
        }
        self.object_type = "AzureBackupRestoreWithRehydrationRequest";
        self.source_data_store_type = SourceDataStore::ArchiveStore;
        self.rehydration_priority = Some(priority);
        self.rehydration_retention_duration = Some(format!("P{retention_days}D"));
        Ok(self)
    }

    /// Names the datasource restored from (`sourceResourceId`).
    pub fn with_source(mut self, source_id: impl Into<String>) -> RestoreRequest {
        self.source_resource_id = Some(source_id.into());
        self
    }

    /// Restores with a user-assigned identity of the vault instead of its system identity.
    pub fn with_user_identity(mut self, identity_id: impl Into<String>) -> RestoreRequest {
        self.identity_details = Some(IdentityDetails {
            use_system_assigned_identity: Some(false),
            user_assigned_identity_arm_url: Some(identity_id.into()),
        });
        self
    }

    /// The recovery point, point in time, or nothing the request restores from.
    pub fn validate_body(&self) -> ValidateRestoreRequest<'_> {
        ValidateRestoreRequest {
            restore_request_object: self,
        }
    }
}

/// A managed disk restored to a new disk (`target_disk`, which must not exist) in the source's
/// region, from an operational-tier recovery point.
pub fn disk(
    rp: &str,
    target_disk: &ManagedDiskId,
    region: &str,
) -> Result<RestoreRequest, InputError> {
    let loc = location(region)?;
    RestoreRequest::from_point(
        rp,
        SourceDataStore::OperationalStore,
        RestoreTargetInfo::Datasource {
            recovery_option: RecoveryOption::FailIfExists,
            restore_location: loc.clone(),
            datasource_info: datasource(
                target_disk.to_string(),
                &target_disk.name,
                "Microsoft.Compute/disks",
                "Microsoft.Compute/disks",
                &loc,
            ),
            datasource_set_info: None,
            datasource_auth_credentials: None,
        },
    )
}

/// The new disk's ID: `target_disk_name` in `target_resource_group`.
pub fn new_disk_id(
    target_resource_group: &ResourceGroupId,
    target_disk_name: &str,
) -> Result<ManagedDiskId, InputError> {
    let text =
        format!("{target_resource_group}/providers/Microsoft.Compute/disks/{target_disk_name}");
    text.parse::<ManagedDiskId>()
        .map_err(|e| input("target_disk_name", e.to_string()))
}

/// One prefix range of an operational blob restore (`min` ≤ `max`, both container/blob
/// prefixes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRange {
    pub min: String,
    pub max: String,
}

fn storage_info(account: &StorageAccountId, datasource_type: &str, loc: &str) -> Datasource {
    datasource(
        account.to_string(),
        &account.name,
        datasource_type,
        "Microsoft.Storage/storageAccounts",
        loc,
    )
}

const BLOB: &str = "Microsoft.Storage/storageAccounts/blobServices";
const ADLS: &str = "Microsoft.Storage/storageAccounts/adlsBlobServices";

/// An operational blob backup restored in place to `time` (RFC 3339), the whole account or up
/// to ten prefix ranges.
pub fn blob_point_in_time(
    account: &StorageAccountId,
    time: time::OffsetDateTime,
    ranges: &[PrefixRange],
    region: &str,
) -> Result<RestoreRequest, InputError> {
    let loc = location(region)?;
    if ranges.len() > 10 {
        return Err(input(
            "prefix_ranges",
            format!("at most 10 ranges, {} given", ranges.len()),
        ));
    }
    for r in ranges {
        if r.min.is_empty() || r.max.is_empty() || r.min > r.max {
            return Err(input(
                "prefix_ranges",
                format!(
                    "{:?} to {:?} is not a prefix range (start ≤ end, both non-empty)",
                    r.min, r.max
                ),
            ));
        }
    }
    let time = time
        .to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| input("point_in_time", e.to_string()))?;
    let info = storage_info(account, BLOB, &loc);
    let target = if ranges.is_empty() {
        RestoreTargetInfo::Datasource {
            recovery_option: RecoveryOption::FailIfExists,
            restore_location: loc,
            datasource_set_info: Some(set_of(&info)),
            datasource_info: info,
            datasource_auth_credentials: None,
        }
    } else {
        RestoreTargetInfo::ItemLevel {
            recovery_option: RecoveryOption::FailIfExists,
            restore_location: loc,
            datasource_set_info: Some(set_of(&info)),
            datasource_info: info,
            restore_criteria: ranges
                .iter()
                .map(|r| RestoreCriteria::Range {
                    min_matching_value: r.min.clone(),
                    max_matching_value: r.max.clone(),
                })
                .collect(),
        }
    };
    Ok(RestoreRequest {
        object_type: "AzureBackupRecoveryTimeBasedRestoreRequest",
        recovery_point_id: None,
        recovery_point_time: Some(time),
        rehydration_priority: None,
        rehydration_retention_duration: None,
        source_data_store_type: SourceDataStore::OperationalStore,
        source_resource_id: None,
        restore_target_info: target,
        identity_details: None,
    })
}

fn set_of(info: &Datasource) -> Datasource {
    Datasource {
        object_type: Some("DatasourceSet".into()),
        ..info.clone()
    }
}

/// One container of a vaulted blob or Data Lake restore, optionally under another name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRestore {
    pub name: String,
    pub rename_to: Option<String>,
}

/// Blob container names: 3 to 63 lower-case letters, digits and single hyphens, starting and
/// ending with a letter or digit.
pub fn valid_container_name(n: &str) -> bool {
    (3..=63).contains(&n.len())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !n.starts_with('-')
        && !n.ends_with('-')
        && !n.contains("--")
}

/// Vaulted blob (`data_lake` false) or Data Lake Storage containers restored into
/// `target_account` from a vault-tier recovery point.
pub fn containers(
    rp: &str,
    data_lake: bool,
    target_account: &StorageAccountId,
    names: &[ContainerRestore],
    region: &str,
) -> Result<RestoreRequest, InputError> {
    let loc = location(region)?;
    if names.is_empty() {
        return Err(input("names", "at least one container is required"));
    }
    for c in names {
        for n in std::iter::once(&c.name).chain(c.rename_to.iter()) {
            if !valid_container_name(n) {
                return Err(input(
                    "names",
                    format!(
                        "{n:?} is not a blob container name (3-63 lower-case letters, digits, hyphens)"
                    ),
                ));
            }
        }
    }
    let info = storage_info(target_account, if data_lake { ADLS } else { BLOB }, &loc);
    RestoreRequest::from_point(
        rp,
        SourceDataStore::VaultStore,
        RestoreTargetInfo::ItemLevel {
            recovery_option: RecoveryOption::FailIfExists,
            restore_location: loc,
            datasource_set_info: Some(set_of(&info)),
            datasource_info: info,
            restore_criteria: names
                .iter()
                .map(|c| RestoreCriteria::ItemPath {
                    item_path: c.name.clone(),
                    is_path_relative_to_backup_item: true,
                    sub_item_path_prefix: None,
                    rename_to: c.rename_to.clone(),
                })
                .collect(),
        },
    )
}

/// A blob container by ARM ID: `{storage account}/blobServices/default/containers/{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobContainerId {
    pub account: StorageAccountId,
    pub name: String,
}

impl std::fmt::Display for BlobContainerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/blobServices/default/containers/{}",
            self.account, self.name
        )
    }
}

impl std::str::FromStr for BlobContainerId {
    type Err = InputError;
    fn from_str(s: &str) -> Result<Self, InputError> {
        let bad = |why: &str| {
            input(
                "target_container_id",
                format!(
                    "{s:?} is not a blob container ID ({{storage account ID}}/blobServices/default/containers/{{name}}): {why}"
                ),
            )
        };
        let segs: Vec<&str> = s.trim_end_matches('/').rsplitn(5, '/').collect();
        let [name, containers, default, blob_services, account] = segs.as_slice() else {
            return Err(bad("too few segments"));
        };
        if !blob_services.eq_ignore_ascii_case("blobServices")
            || !default.eq_ignore_ascii_case("default")
            || !containers.eq_ignore_ascii_case("containers")
        {
            return Err(bad(
                "the tail must be /blobServices/default/containers/{name}",
            ));
        }
        let account: StorageAccountId = account
            .parse()
            .map_err(|e: crate::azure::arm_id::ArmIdError| bad(&e.to_string()))?;
        if !valid_container_name(name) {
            return Err(bad(
                "the container name must be 3-63 lower-case letters, digits and hyphens",
            ));
        }
        Ok(BlobContainerId {
            account,
            name: (*name).to_string(),
        })
    }
}

/// A files restore (PostgreSQL / MySQL flexible server, or a PostgreSQL database) into
/// `container`; `blob_suffix` is the cloud's storage suffix (`core.windows.net` in Azure's
/// public cloud).
pub fn as_files(
    rp: &str,
    container: &BlobContainerId,
    file_prefix: &str,
    blob_suffix: &str,
    region: &str,
) -> Result<RestoreRequest, InputError> {
    let loc = location(region)?;
    let prefix = file_prefix.trim();
    if prefix.is_empty()
        || prefix.len() > 200
        || prefix.contains(['/', '\\', '?', '#'])
        || prefix.chars().any(char::is_control)
    {
        return Err(input(
            "file_prefix",
            format!("{file_prefix:?} is not a file name prefix (1-200 characters, no / \\ ? #)"),
        ));
    }
    let suffix = blob_suffix.trim().trim_start_matches('.');
    if suffix.is_empty() || suffix.contains('/') {
        return Err(input(
            "blob_suffix",
            format!("{blob_suffix:?} is not a storage DNS suffix"),
        ));
    }
    RestoreRequest::from_point(
        rp,
        SourceDataStore::VaultStore,
        RestoreTargetInfo::Files {
            recovery_option: RecoveryOption::FailIfExists,
            restore_location: loc,
            target_details: TargetDetails {
                file_prefix: prefix.to_string(),
                restore_target_location_type: "AzureBlobs",
                url: format!(
                    "https://{}.blob.{suffix}/{}",
                    container.account.name, container.name
                ),
                target_resource_arm_id: Some(container.to_string()),
            },
        },
    )
}

/// A PostgreSQL single-server database restored to a new database on a server, which reads
/// its connection string from `secret`.
pub fn postgres_database(
    rp: &str,
    target: &PostgresDatabaseId,
    secret: &KeyVaultSecretUri,
    region: &str,
) -> Result<RestoreRequest, InputError> {
    let loc = location(region)?;
    const DB: &str = "Microsoft.DBforPostgreSQL/servers/databases";
    let server = &target.server;
    let mut set = datasource(
        server.to_string(),
        &server.name,
        DB,
        "Microsoft.DBforPostgreSQL/servers",
        &loc,
    );
    set.object_type = Some("DatasourceSet".into());
    RestoreRequest::from_point(
        rp,
        SourceDataStore::VaultStore,
        RestoreTargetInfo::Datasource {
            recovery_option: RecoveryOption::FailIfExists,
            restore_location: loc.clone(),
            datasource_info: datasource(target.to_string(), &target.name, DB, DB, &loc),
            datasource_set_info: Some(set),
            datasource_auth_credentials: Some(AuthCredentials {
                object_type: "SecretStoreBasedAuthCredentials".into(),
                secret_store_resource: Some(SecretStoreResource {
                    uri: Some(secret.to_string()),
                    secret_store_type: "AzureKeyVault".into(),
                }),
            }),
        },
    )
}

/// What of an AKS backup to restore into a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterRestore {
    pub include_cluster_scope_resources: bool,
    pub included_namespaces: Vec<String>,
    pub excluded_namespaces: Vec<String>,
    /// Vault tier only: the staging resource group and storage account.
    pub staging: Option<(ResourceGroupId, StorageAccountId)>,
}

/// An AKS backup restored into `target_cluster` (the same or another cluster).
pub fn kubernetes(
    rp: &str,
    target_cluster: &ManagedClusterId,
    what: &ClusterRestore,
    region: &str,
) -> Result<RestoreRequest, InputError> {
    let loc = location(region)?;
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let (store, criteria) = match &what.staging {
        None => (
            SourceDataStore::OperationalStore,
            RestoreCriteria::Cluster {
                include_cluster_scope_resources: what.include_cluster_scope_resources,
                included_namespaces: list(&what.included_namespaces),
                excluded_namespaces: list(&what.excluded_namespaces),
            },
        ),
        Some((rg, sa)) => (
            SourceDataStore::VaultStore,
            RestoreCriteria::ClusterVaultTier {
                include_cluster_scope_resources: what.include_cluster_scope_resources,
                included_namespaces: list(&what.included_namespaces),
                excluded_namespaces: list(&what.excluded_namespaces),
                staging_resource_group_id: rg.to_string(),
                staging_storage_account_id: sa.to_string(),
            },
        ),
    };
    const AKS: &str = "Microsoft.ContainerService/managedClusters";
    let info = datasource(
        target_cluster.to_string(),
        &target_cluster.name,
        AKS,
        AKS,
        &loc,
    );
    RestoreRequest::from_point(
        rp,
        store,
        RestoreTargetInfo::ItemLevel {
            recovery_option: RecoveryOption::FailIfExists,
            restore_location: loc,
            datasource_set_info: Some(set_of(&info)),
            datasource_info: info,
            restore_criteria: vec![criteria],
        },
    )
}

/// A Cosmos DB account restored to a new account.
pub fn cosmos_db(
    rp: &str,
    target: &CosmosDbAccountId,
    region: &str,
) -> Result<RestoreRequest, InputError> {
    let loc = location(region)?;
    const T: &str = "Microsoft.DocumentDB/databaseAccounts";
    RestoreRequest::from_point(
        rp,
        SourceDataStore::VaultStore,
        RestoreTargetInfo::Datasource {
            recovery_option: RecoveryOption::FailIfExists,
            restore_location: loc.clone(),
            datasource_info: datasource(target.to_string(), &target.name, T, T, &loc),
            datasource_set_info: None,
            datasource_auth_credentials: None,
        },
    )
}

/// Elastic SAN volumes restored into `target_group` (each under its name or `rename_to`).
pub fn elastic_san(
    rp: &str,
    target_group: &ElasticSanVolumeGroupId,
    volumes: &[ContainerRestore],
    region: &str,
) -> Result<RestoreRequest, InputError> {
    let loc = location(region)?;
    if volumes.is_empty() {
        return Err(input("volumes", "at least one volume is required"));
    }
    const T: &str = "Microsoft.ElasticSan/elasticSans/volumeGroups";
    let info = datasource(target_group.to_string(), &target_group.name, T, T, &loc);
    RestoreRequest::from_point(
        rp,
        SourceDataStore::OperationalStore,
        RestoreTargetInfo::ItemLevel {
            recovery_option: RecoveryOption::FailIfExists,
            restore_location: loc,
            datasource_set_info: None,
            datasource_info: info,
            restore_criteria: volumes
                .iter()
                .map(|v| RestoreCriteria::Volume {
                    item_path: v.name.clone(),
                    rename_to: v.rename_to.clone(),
                })
                .collect(),
        },
    )
}

#[cfg(test)]
#[path = "restore_tests.rs"]
mod tests;
