//! The restore models of the storage and database kinds: operational blob (a point in time in
//! place), vaulted blob and Data Lake (containers to an account), PostgreSQL / MySQL flexible
//! servers (only as files into a container) and PostgreSQL single databases (a new database or
//! files).

use serde_json::Value;

use super::Ctx;
use super::models::{
    Modes, Planned, RestoreModel, criteria_of, new_resource, req, str_of, target_of,
};
use super::request::{Source, Target, invalid};
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
        return Err(invalid(
            "restoreTargetInfo must be a RestoreFilesTargetInfo.",
        ));
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
    let account_id =
        c.st.world
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
    if let Some(arm) = target_arm_id
        && lower(arm) != lower(&container_id)
    {
        return Err(invalid(format!(
            "targetDetails.targetResourceArmId '{arm}' is not the container the url names ('{container_id}')."
        )));
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

fn store_of(st: &State, inst: &Instance) -> Option<DataStore> {
    st.world.policy(&inst.policy_id).map(policies::data_store)
}

pub(super) struct OperationalBlob;
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
            let (Some(min), Some(max)) = (
                str_of(cr, "minMatchingValue"),
                str_of(cr, "maxMatchingValue"),
            ) else {
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
pub(super) struct VaultedContainers {
    pub(super) name: &'static str,
    pub(super) datasource_type: &'static str,
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
        if self.datasource_type == ADLS_TYPE
            && let Some(t) = c.st.world.datasource(&account)
            && !t.hierarchical_namespace
        {
            return Err(invalid(format!(
                "The target account '{account}' has no hierarchical namespace; Data Lake Storage backups restore to Data Lake Storage accounts."
            )));
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
            if cr
                .get("isPathRelativeToBackupItem")
                .and_then(Value::as_bool)
                != Some(true)
            {
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
pub(super) struct FlexAsFiles {
    pub(super) name: &'static str,
    pub(super) datasource_type: &'static str,
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
pub(super) struct PgDatabase;
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
