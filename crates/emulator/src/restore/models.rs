//! One restore model per kind: the request types, source data stores and target infos it
//! allows, how it reads the target (what the restore will create or change), and the roles the
//! restoring identity needs (the storage and database kinds are in [`storage`]). Facts and
//! grades are in docs/emulator.md ("Restores").

use serde_json::Value;

use super::request::{Source, invalid};
use super::{Ctx, resource_group_id};
use crate::errors::ApiError;
use crate::kinds::*;
use crate::state::{Instance, RestoreEffect, RestorePlan, State};
use crate::world::Requirement;

const RP: &str = "AzureBackupRecoveryPointBasedRestoreRequest";
const WHOLE: &str = "RestoreTargetInfo";
const ITEMS: &str = "ItemLevelRestoreTargetInfo";

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

pub(super) fn req(
    role: &'static str,
    action: &'static str,
    scope: impl Into<String>,
) -> Requirement {
    Requirement {
        role,
        action,
        scope: scope.into(),
    }
}

pub(super) fn not_allowed(c: &Ctx, what: &str, got: &str, allowed: &[&str]) -> ApiError {
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
    if matches!(c.req.source, Source::Rehydration(_)) && c.req.source_data_store != "ArchiveStore" {
        return Err(invalid(
            "A restore with rehydration reads from the archive tier: set sourceDataStoreType to ArchiveStore.",
        ));
    }
    let t = c.req.target.object_type();
    if !modes.targets.contains(&t) {
        return Err(not_allowed(
            c,
            "restoreTargetInfo.objectType",
            t,
            modes.targets,
        ));
    }
    Ok(())
}

/// The target datasource's ID, which must name a resource of `kind`.
pub(super) fn target_of(c: &Ctx, kind: Kind, what: &str) -> Result<String, ApiError> {
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

pub(super) fn criteria_of<'a>(c: &'a Ctx, object_types: &[&str]) -> Result<&'a [Value], ApiError> {
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

pub(super) fn str_of<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

pub(super) fn new_resource(c: &Ctx, id: String) -> Planned {
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
        Ok(new_resource(
            c,
            target_of(c, Kind::Disk, "a new managed disk")?,
        ))
    }
    fn needs(&self, plan: &RestorePlan) -> Vec<Requirement> {
        vec![req(
            ROLE_DISK_RESTORE_OPERATOR,
            "Microsoft.Compute/disks/write",
            resource_group_id(&plan.destination).unwrap_or_default(),
        )]
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
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
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
            ROLE_DOCUMENTDB_ACCOUNT_CONTRIBUTOR,
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
        let have =
            c.st.world
                .datasource(c.source_id())
                .map(|d| d.volumes.clone())
                .unwrap_or_default();
        let criteria = criteria_of(c, &["GenericRestoreDatasourceCriteria"])?;
        let mut names: Vec<String> = Vec::new();
        if criteria.is_empty() {
            names = have.iter().map(|v| format!("{v}-restored")).collect();
        }
        for cr in criteria {
            let vol = str_of(cr, "itemPath").ok_or_else(|| {
                invalid("GenericRestoreDatasourceCriteria.itemPath (a volume name) is required.")
            })?;
            if !have.iter().any(|h| h.eq_ignore_ascii_case(vol)) {
                return Err(ApiError::bad_request(
                    "UserErrorRestoreItemNotFound",
                    format!(
                        "The volume '{vol}' is not in the backup of '{}'.",
                        c.source_id()
                    ),
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
    &super::storage::OperationalBlob,
    &super::storage::VaultedContainers {
        name: "blob-vaulted",
        datasource_type: BLOB_TYPE,
    },
    &super::storage::VaultedContainers {
        name: "datalake",
        datasource_type: ADLS_TYPE,
    },
    &super::storage::FlexAsFiles {
        name: "postgresql-flexible",
        datasource_type: PG_FLEX_TYPE,
    },
    &super::storage::FlexAsFiles {
        name: "mysql-flexible",
        datasource_type: MYSQL_FLEX_TYPE,
    },
    &super::storage::PgDatabase,
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
