//! One restore model per kind: the request types, source data stores and target infos it
//! allows, how it reads the target (what the restore will create or change), and the roles the
//! restoring identity needs. Facts and grades are in docs/emulator.md ("Restores").

use serde_json::Value;

use super::request::{Source, Target, invalid};
use super::{Ctx, resource_group_id};
use crate::armpath::{last_segment, lower, parent_of};
use crate::errors::ApiError;
use crate::kinds::*;
use crate::policies;
use crate::state::{Instance, RestoreEffect, RestorePlan, State};
use crate::world::{DataStore, Requirement};

const RP: &str = "AzureBackupRecoveryPointBasedRestoreRequest";
const REHYDRATE: &str = "AzureBackupRestoreWithRehydrationRequest";
const TIME: &str = "AzureBackupRecoveryTimeBasedRestoreRequest";
const WHOLE: &str = "RestoreTargetInfo";
const ITEMS: &str = "ItemLevelRestoreTargetInfo";
const FILES: &str = "RestoreFilesTargetInfo";

/// What a kind allows.
pub struct Modes {
    pub requests: &'static [&'static str],
    pub stores: &'static [&'static str],
    pub targets: &'static [&'static str],
}

/// The destination (`recoveryDestination`), the effect, and credentials to check.
pub type Planned = (String, RestoreEffect, Option<Value>);

pub trait RestoreModel: Sync {
    /// Unique name (kept in the plan).
    fn name(&self) -> &'static str;
    fn datasource_type(&self) -> &'static str;
    /// Whether it is the model for this instance (blob: by the policy's data store).
    fn applies(&self, _st: &State, _inst: &Instance) -> bool {
        true
    }
    /// Continuous backup: restores by point in time.
    fn continuous(&self) -> bool {
        false
    }
    fn modes(&self) -> Modes;
    fn plan(&self, c: &Ctx) -> Result<Planned, ApiError>;
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement>;
}

fn req(role: &'static str, action: &'static str, scope: impl Into<String>) -> Requirement {
    Requirement {
        role,
        action,
        scope: scope.into(),
    }
}

fn not_allowed(c: &Ctx, what: &str, got: &str, allowed: &[&str]) -> ApiError {
    ApiError::bad_request(
        "UserErrorRestoreTypeNotSupported",
        format!(
            "{what} '{got}' is not supported for restoring datasource type '{}'; use {}.",
            c.inst.data_source_info.datasource_type,
            allowed.join(" or ")
        ),
    )
}

/// The request type, source data store and target info the model allows (400 otherwise).
pub fn check_mode(m: &dyn RestoreModel, c: &Ctx) -> Result<(), ApiError> {
    let modes = m.modes();
    let ot = c.req.source.object_type();
    if !modes.requests.contains(&ot) {
        return Err(not_allowed(c, "The request type", ot, modes.requests));
    }
    if !modes.stores.contains(&c.req.source_data_store.as_str()) {
        return Err(not_allowed(
            c,
            "sourceDataStoreType",
            &c.req.source_data_store,
            modes.stores,
        ));
    }
    if matches!(c.req.source, Source::Rehydration(_)) && c.req.source_data_store != "ArchiveStore"
    {
        return Err(invalid(
            "A restore with rehydration reads from the archive tier: set sourceDataStoreType to ArchiveStore.",
        ));
    }
    let t = c.req.target.object_type();
    if !modes.targets.contains(&t) {
        return Err(not_allowed(c, "restoreTargetInfo.objectType", t, modes.targets));
    }
    Ok(())
}

/// The target datasource's ID, which must name a resource of `kind`.
fn target_of(c: &Ctx, kind: Kind, what: &str) -> Result<String, ApiError> {
    let info = c
        .req
        .target
        .info()
        .ok_or_else(|| invalid("restoreTargetInfo.datasourceInfo is required."))?;
    if Kind::of(&info.id) != Some(kind) || resource_group_id(&info.id).is_none() {
        return Err(invalid(format!(
            "restoreTargetInfo.datasourceInfo.resourceID '{}' must be the ARM ID of {what} ({}).",
            info.id,
            kind.resource_type()
        )));
    }
    Ok(info.id.clone())
}

fn criteria_of<'a>(c: &'a Ctx, object_types: &[&str]) -> Result<&'a [Value], ApiError> {
    let list = c.req.target.criteria();
    for cr in list {
        let ot = cr.get("objectType").and_then(Value::as_str).unwrap_or("");
        if !object_types.contains(&ot) {
            return Err(not_allowed(
                c,
                "restoreCriteria[].objectType",
                ot,
                object_types,
            ));
        }
    }
    Ok(list)
}

fn str_of<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A files target: the container (`{account}/blobServices/default/containers/{name}`) its URL
/// names, matching `targetResourceArmId` when given.
fn files_container(c: &Ctx) -> Result<(String, String), ApiError> {
    let Target::Files {
        prefix,
        location_type,
        url,
        target_arm_id,
    } = &c.req.target
    else {
        return Err(invalid("restoreTargetInfo must be a RestoreFilesTargetInfo."));
    };
    if location_type != "AzureBlobs" {
        return Err(invalid(format!(
            "restoreTargetLocationType '{location_type}' is not supported here; use AzureBlobs."
        )));
    }
    let bad_url = || {
        invalid(format!(
            "targetDetails.url '{url}' is not a blob container URL (https://{{account}}.blob.core.windows.net/{{container}})."
        ))
    };
    let rest = url.strip_prefix("https://").ok_or_else(bad_url)?;
    let (host, path) = rest.split_once('/').ok_or_else(bad_url)?;
    let (account, suffix) = host.split_once('.').ok_or_else(bad_url)?;
    let container = path.trim_end_matches('/');
    if !suffix.to_ascii_lowercase().starts_with("blob.") || container.is_empty() {
        return Err(bad_url());
    }
    if container.contains('/') {
        return Err(invalid(format!(
            "targetDetails.url '{url}' must name a container, not a path inside one."
        )));
    }
    let account_id = c
        .st
        .world
        .datasources
        .iter()
        .find(|d| {
            Kind::of(&d.id) == Some(Kind::StorageAccount)
                && last_segment(&d.id).eq_ignore_ascii_case(account)
        })
        .map(|d| d.id.clone())
        .or_else(|| target_arm_id.as_ref().map(|a| parent_of(a, 4)))
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorStorageAccountNotFound",
                format!("The storage account '{account}' of targetDetails.url was not found."),
            )
        })?;
    let container_id = format!("{account_id}/blobServices/default/containers/{container}");
    if let Some(arm) = target_arm_id {
        if lower(arm) != lower(&container_id) {
            return Err(invalid(format!(
                "targetDetails.targetResourceArmId '{arm}' is not the container the url names ('{container_id}')."
            )));
        }
    }
    Ok((container_id, prefix.clone()))
}

/// A files restore's plan: the dump files' names (inferred: `{prefix}_{name}.sql`).
fn files_plan(c: &Ctx, names: &[String]) -> Result<Planned, ApiError> {
    let (container_id, prefix) = files_container(c)?;
    let names = names.iter().map(|n| format!("{prefix}_{n}.sql")).collect();
    Ok((
        container_id.clone(),
        RestoreEffect::Files {
            container_id,
            names,
        },
        None,
    ))
}

fn files_needs(plan: &RestorePlan) -> Vec<Requirement> {
    match &plan.effect {
        RestoreEffect::Files { container_id, .. } => vec![req(
            ROLE_STORAGE_BLOB_DATA_CONTRIBUTOR,
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
            container_id.clone(),
        )],
        _ => Vec::new(),
    }
}

fn new_resource(c: &Ctx, id: String) -> Planned {
    (
        id.clone(),
        RestoreEffect::NewResource {
            id,
            location: c.location(),
        },
        None,
    )
}

struct Disk;
impl RestoreModel for Disk {
    fn name(&self) -> &'static str {
        "disk"
    }
    fn datasource_type(&self) -> &'static str {
        DISK_TYPE
    }
    fn modes(&self) -> Modes {
        Modes {
            requests: &[RP],
            stores: &["OperationalStore"],
            targets: &[WHOLE],
        }
    }
    fn plan(&self, c: &Ctx) -> Result<Planned, ApiError> {
        Ok(new_resource(c, target_of(c, Kind::Disk, "a new managed disk")?))
    }
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement> {
        vec![req(
            ROLE_DISK_RESTORE_OPERATOR,
            "Microsoft.Compute/disks/write",
            resource_group_id(&plan.destination).unwrap_or_default(),
        )]
    }
}

fn store_of(st: &State, inst: &Instance) -> Option<DataStore> {
    st.world.policy(&inst.policy_id).map(policies::data_store)
}

struct OperationalBlob;
impl RestoreModel for OperationalBlob {
    fn name(&self) -> &'static str {
        "blob-operational"
    }
    fn datasource_type(&self) -> &'static str {
        BLOB_TYPE
    }
    fn applies(&self, st: &State, inst: &Instance) -> bool {
        store_of(st, inst) != Some(DataStore::VaultStore)
    }
    fn continuous(&self) -> bool {
        true
    }
    fn modes(&self) -> Modes {
        Modes {
            requests: &[TIME],
            stores: &["OperationalStore"],
            targets: &[WHOLE, ITEMS],
        }
    }
    fn plan(&self, c: &Ctx) -> Result<Planned, ApiError> {
        let account = target_of(c, Kind::StorageAccount, "the backed-up storage account")?;
        if lower(&account) != lower(c.source_id()) {
            return Err(invalid(format!(
                "Operational blob backups restore in place: restoreTargetInfo.datasourceInfo.resourceID must be the backed-up account '{}'.",
                c.source_id()
            )));
        }
        let criteria = criteria_of(c, &["RangeBasedItemLevelRestoreCriteria"])?;
        if criteria.len() > 10 {
            return Err(invalid(format!(
                "At most 10 prefix ranges may be restored at once ({} given).",
                criteria.len()
            )));
        }
        let mut ranges = Vec::new();
        for cr in criteria {
            let (Some(min), Some(max)) =
                (str_of(cr, "minMatchingValue"), str_of(cr, "maxMatchingValue"))
            else {
                return Err(invalid(
                    "RangeBasedItemLevelRestoreCriteria needs minMatchingValue and maxMatchingValue.",
                ));
            };
            if min > max {
                return Err(invalid(format!(
                    "The prefix range '{min}' to '{max}' is reversed."
                )));
            }
            ranges.push((min.to_string(), max.to_string()));
        }
        let Source::Time(time_ms) = c.req.source else {
            return Err(invalid("Operational blob restores need a point in time."));
        };
        Ok((
            account.clone(),
            RestoreEffect::PointInTime {
                account_id: account,
                time_ms,
                ranges,
            },
            None,
        ))
    }
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement> {
        vec![req(
            ROLE_STORAGE_BACKUP_CONTRIBUTOR,
            "Microsoft.Storage/storageAccounts/restoreBlobRanges/action",
            plan.destination.clone(),
        )]
    }
}

/// Vaulted blob and Data Lake: containers to an account (`renameTo` or the same names).
struct VaultedContainers {
    name: &'static str,
    datasource_type: &'static str,
}
impl RestoreModel for VaultedContainers {
    fn name(&self) -> &'static str {
        self.name
    }
    fn datasource_type(&self) -> &'static str {
        self.datasource_type
    }
    fn applies(&self, st: &State, inst: &Instance) -> bool {
        self.datasource_type == ADLS_TYPE || store_of(st, inst) == Some(DataStore::VaultStore)
    }
    fn modes(&self) -> Modes {
        Modes {
            requests: &[RP],
            stores: &["VaultStore"],
            targets: &[ITEMS, WHOLE],
        }
    }
    fn plan(&self, c: &Ctx) -> Result<Planned, ApiError> {
        let account = target_of(c, Kind::StorageAccount, "the target storage account")?;
        if self.datasource_type == ADLS_TYPE {
            if let Some(t) = c.st.world.datasource(&account) {
                if !t.hierarchical_namespace {
                    return Err(invalid(format!(
                        "The target account '{account}' has no hierarchical namespace; Data Lake Storage backups restore to Data Lake Storage accounts."
                    )));
                }
            }
        }
        let source = c.st.world.datasource(c.source_id());
        let have = source.map(|s| s.containers.clone()).unwrap_or_default();
        let criteria = criteria_of(c, &["ItemPathBasedRestoreCriteria"])?;
        let mut names = Vec::new();
        if criteria.is_empty() {
            names = have.clone();
        }
        for cr in criteria {
            let path = str_of(cr, "itemPath").ok_or_else(|| {
                invalid("ItemPathBasedRestoreCriteria.itemPath (a container name) is required.")
            })?;
            if cr.get("isPathRelativeToBackupItem").and_then(Value::as_bool) != Some(true) {
                return Err(invalid(
                    "ItemPathBasedRestoreCriteria.isPathRelativeToBackupItem must be true (container paths are relative to the account).",
                ));
            }
            if !have.iter().any(|h| h.eq_ignore_ascii_case(path)) {
                return Err(ApiError::bad_request(
                    "UserErrorRestoreItemNotFound",
                    format!(
                        "The container '{path}' is not in the backup of '{}'.",
                        c.source_id()
                    ),
                ));
            }
            names.push(str_of(cr, "renameTo").unwrap_or(path).to_string());
        }
        if names.is_empty() {
            return Err(invalid("There are no containers to restore."));
        }
        Ok((
            account.clone(),
            RestoreEffect::Containers {
                account_id: account,
                names,
            },
            None,
        ))
    }
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement> {
        vec![req(
            ROLE_STORAGE_BACKUP_CONTRIBUTOR,
            "Microsoft.Storage/storageAccounts/objectReplicationPolicies/write",
            plan.destination.clone(),
        )]
    }
}

/// PostgreSQL and MySQL flexible servers: only as files.
struct FlexAsFiles {
    name: &'static str,
    datasource_type: &'static str,
}
impl RestoreModel for FlexAsFiles {
    fn name(&self) -> &'static str {
        self.name
    }
    fn datasource_type(&self) -> &'static str {
        self.datasource_type
    }
    fn modes(&self) -> Modes {
        Modes {
            requests: &[RP, REHYDRATE],
            stores: &["VaultStore", "ArchiveStore"],
            targets: &[FILES],
        }
    }
    fn plan(&self, c: &Ctx) -> Result<Planned, ApiError> {
        files_plan(c, &[last_segment(c.source_id())])
    }
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement> {
        files_needs(plan)
    }
}

/// PostgreSQL single-server database: to a new database (with Key Vault credentials) or as files.
struct PgDatabase;
impl RestoreModel for PgDatabase {
    fn name(&self) -> &'static str {
        "postgresql-database"
    }
    fn datasource_type(&self) -> &'static str {
        PG_DATABASE_TYPE
    }
    fn modes(&self) -> Modes {
        Modes {
            requests: &[RP, REHYDRATE],
            stores: &["VaultStore", "ArchiveStore"],
            targets: &[WHOLE, FILES],
        }
    }
    fn plan(&self, c: &Ctx) -> Result<Planned, ApiError> {
        match &c.req.target {
            Target::Files { .. } => files_plan(c, &[last_segment(c.source_id())]),
            Target::Datasource {
                set, credentials, ..
            } => {
                let id = target_of(c, Kind::PgDatabase, "a new PostgreSQL database")?;
                let server = parent_of(&id, 2);
                if let Some(s) = set.as_ref().filter(|s| lower(&s.id) != lower(&server)) {
                    return Err(invalid(format!(
                        "restoreTargetInfo.datasourceSetInfo.resourceID '{}' must be the server of the target database ('{server}').",
                        s.id
                    )));
                }
                let Some(creds) = credentials.clone() else {
                    return Err(invalid(
                        "restoreTargetInfo.datasourceAuthCredentials (the Key Vault secret with the target server's connection string) is required.",
                    ));
                };
                let (dest, effect, _) = new_resource(c, id);
                Ok((dest, effect, Some(creds)))
            }
            Target::ItemLevel { .. } => Err(invalid("Item-level restore is not supported.")),
        }
    }
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement> {
        match &plan.effect {
            RestoreEffect::NewResource { id, .. } => vec![req(
                ROLE_READER,
                "Microsoft.DBforPostgreSQL/servers/read",
                parent_of(id, 2),
            )],
            _ => files_needs(plan),
        }
    }
}

struct Kubernetes;
impl RestoreModel for Kubernetes {
    fn name(&self) -> &'static str {
        "kubernetes"
    }
    fn datasource_type(&self) -> &'static str {
        AKS_TYPE
    }
    fn modes(&self) -> Modes {
        Modes {
            requests: &[RP],
            stores: &["OperationalStore", "VaultStore"],
            targets: &[ITEMS],
        }
    }
    fn plan(&self, c: &Ctx) -> Result<Planned, ApiError> {
        let cluster = target_of(c, Kind::AksCluster, "the target AKS cluster")?;
        let vault_tier = c.req.source_data_store == "VaultStore";
        let wanted = if vault_tier {
            "KubernetesClusterVaultTierRestoreCriteria"
        } else {
            "KubernetesClusterRestoreCriteria"
        };
        let criteria = criteria_of(
            c,
            &[
                wanted,
                "KubernetesPVRestoreCriteria",
                "KubernetesStorageClassRestoreCriteria",
            ],
        )?;
        let main: Vec<&Value> = criteria
            .iter()
            .filter(|cr| cr["objectType"] == wanted)
            .collect();
        let [main] = main.as_slice() else {
            return Err(invalid(format!(
                "Exactly one {wanted} is required in restoreCriteria."
            )));
        };
        if !main["includeClusterScopeResources"].is_boolean() {
            return Err(invalid(format!(
                "{wanted}.includeClusterScopeResources is required."
            )));
        }
        if vault_tier {
            for f in ["stagingResourceGroupId", "stagingStorageAccountId"] {
                if str_of(main, f).is_none() {
                    return Err(invalid(format!(
                        "{wanted}.{f} is required for a restore from the vault tier."
                    )));
                }
            }
        }
        let namespaces = main["includedNamespaces"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        Ok((
            cluster.clone(),
            RestoreEffect::Cluster {
                cluster_id: cluster,
                namespaces,
            },
            None,
        ))
    }
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement> {
        vec![req(
            ROLE_READER,
            "Microsoft.ContainerService/managedClusters/read",
            plan.destination.clone(),
        )]
    }
}

struct CosmosDb;
impl RestoreModel for CosmosDb {
    fn name(&self) -> &'static str {
        "cosmosdb"
    }
    fn datasource_type(&self) -> &'static str {
        COSMOS_TYPE
    }
    fn modes(&self) -> Modes {
        Modes {
            requests: &[RP],
            stores: &["VaultStore"],
            targets: &[WHOLE],
        }
    }
    fn plan(&self, c: &Ctx) -> Result<Planned, ApiError> {
        Ok(new_resource(
            c,
            target_of(c, Kind::CosmosDb, "a new Cosmos DB account")?,
        ))
    }
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement> {
        vec![req(
            ROLE_COSMOS_OPERATOR,
            "Microsoft.DocumentDB/databaseAccounts/write",
            resource_group_id(&plan.destination).unwrap_or_default(),
        )]
    }
}

/// Elastic SAN: volumes into a volume group, by name (`itemPath`, optionally `renameTo`;
/// field names inferred) or every volume of the source with `-restored` appended.
struct ElasticSan;
impl RestoreModel for ElasticSan {
    fn name(&self) -> &'static str {
        "elastic-san"
    }
    fn datasource_type(&self) -> &'static str {
        ESAN_VOLUME_GROUP_TYPE
    }
    fn modes(&self) -> Modes {
        Modes {
            requests: &[RP],
            stores: &["OperationalStore"],
            targets: &[ITEMS, WHOLE],
        }
    }
    fn plan(&self, c: &Ctx) -> Result<Planned, ApiError> {
        let group = target_of(c, Kind::EsanVolumeGroup, "the target volume group")?;
        let have = c
            .st
            .world
            .datasource(c.source_id())
            .map(|d| d.volumes.clone())
            .unwrap_or_default();
        let criteria = criteria_of(c, &["GenericRestoreDatasourceCriteria"])?;
        let mut names: Vec<String> = Vec::new();
        if criteria.is_empty() {
            names = have.iter().map(|v| format!("{v}-restored")).collect();
        }
        for cr in criteria {
            let vol = str_of(cr, "itemPath")
                .ok_or_else(|| invalid("GenericRestoreDatasourceCriteria.itemPath (a volume name) is required."))?;
            if !have.iter().any(|h| h.eq_ignore_ascii_case(vol)) {
                return Err(ApiError::bad_request(
                    "UserErrorRestoreItemNotFound",
                    format!("The volume '{vol}' is not in the backup of '{}'.", c.source_id()),
                ));
            }
            names.push(str_of(cr, "renameTo").unwrap_or(vol).to_string());
        }
        if names.is_empty() {
            return Err(invalid("There are no volumes to restore."));
        }
        Ok((
            group.clone(),
            RestoreEffect::Volumes {
                group_id: group,
                names,
            },
            None,
        ))
    }
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement> {
        vec![req(
            ROLE_ESAN_VOLUME_IMPORTER,
            "Microsoft.ElasticSan/elasticSans/volumeGroups/volumes/write",
            plan.destination.clone(),
        )]
    }
}

static MODELS: [&dyn RestoreModel; 10] = [
    &Disk,
    &OperationalBlob,
    &VaultedContainers {
        name: "blob-vaulted",
        datasource_type: BLOB_TYPE,
    },
    &VaultedContainers {
        name: "datalake",
        datasource_type: ADLS_TYPE,
    },
    &FlexAsFiles {
        name: "postgresql-flexible",
        datasource_type: PG_FLEX_TYPE,
    },
    &FlexAsFiles {
        name: "mysql-flexible",
        datasource_type: MYSQL_FLEX_TYPE,
    },
    &PgDatabase,
    &Kubernetes,
    &CosmosDb,
    &ElasticSan,
];

/// The restore model of an instance.
pub fn model_for(st: &State, inst: &Instance) -> Option<&'static dyn RestoreModel> {
    let t = &inst.data_source_info.datasource_type;
    MODELS
        .iter()
        .copied()
        .find(|m| m.datasource_type().eq_ignore_ascii_case(t) && m.applies(st, inst))
}

pub fn by_name(name: &str) -> Option<&'static dyn RestoreModel> {
    MODELS.iter().copied().find(|m| m.name() == name)
}

#[cfg(test)]
mod tests {
    /// Every datasource type the emulator protects can be restored.
    #[test]
    fn every_kind_has_a_restore_model() {
        for t in crate::kinds::DATASOURCE_TYPES {
            assert!(
                super::MODELS.iter().any(|m| m.datasource_type() == *t),
                "{t}"
            );
        }
    }
}
