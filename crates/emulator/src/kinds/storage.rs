//! Storage accounts, protected as blobs (`blobServices`: operational, the whole account, or
//! vaulted, chosen containers) or as Data Lake Storage (`adlsBlobServices`: vaulted containers of
//! an account with hierarchical namespace).

use axum::http::StatusCode;
use serde_json::Value;

use super::params::{datasource_parameters, invalid, single, store_parameters, strings};
use super::types::*;
use super::{Check, Kind, Model, Need, check_set, need};
use crate::errors::ApiError;
use crate::world::DataStore;

const BLOB_PARAMETERS: &str = "BlobBackupDatasourceParameters";
const ADLS_PARAMETERS: &str = "AdlsBlobBackupDatasourceParameters";
/// The service's code when an ADLS set lacks its location or type [3P AVM 4e9b89c].
pub const SET_LOCATION_CODE: &str = "UserErrorDataSourceAndDatasourceSetLocationNotSame";
/// Emulator-chosen codes (the service's are not published).
pub const CONTAINER_NOT_FOUND: &str = "UserErrorContainerNotFound";
pub const HNS_MISMATCH: &str = "UserErrorStorageAccountHierarchicalNamespaceMismatch";

fn backup_contributor(c: &Check) -> Vec<Need> {
    vec![need(
        ROLE_STORAGE_BACKUP_CONTRIBUTOR,
        "Microsoft.Storage/storageAccounts/objectReplicationPolicies/restorePointMarkers/write",
        c.ds_id().to_string(),
    )]
}

fn hierarchical(c: &Check) -> bool {
    c.world
        .datasource(c.ds_id())
        .is_some_and(|d| d.hierarchical_namespace)
}

/// Every named container must exist in the account.
fn check_containers(c: &Check, containers: &[String]) -> Result<(), ApiError> {
    let known = c
        .world
        .datasource(c.ds_id())
        .map(|d| d.containers.clone())
        .unwrap_or_default();
    if containers.is_empty() {
        return Err(invalid(format!(
            "containersList must name at least one container for {} vaulted backup.",
            c.inst.data_source_info.datasource_type
        )));
    }
    let missing: Vec<&str> = containers
        .iter()
        .filter(|n| !known.iter().any(|k| k.eq_ignore_ascii_case(n)))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::service(
            StatusCode::BAD_REQUEST,
            CONTAINER_NOT_FOUND,
            format!(
                "The container(s) '{}' were not found in the storage account '{}'.",
                missing.join("', '"),
                c.ds_id()
            ),
            &["Create the containers or remove them from containersList, then retry."],
            None,
        ));
    }
    Ok(())
}

fn hns_mismatch(c: &Check, message: &str, action: &str) -> ApiError {
    ApiError::service(
        StatusCode::BAD_REQUEST,
        HNS_MISMATCH,
        format!("{message} (storage account '{}').", c.ds_id()),
        &[action],
        None,
    )
}

pub struct Blob;

impl Model for Blob {
    fn datasource_type(&self) -> &'static str {
        BLOB_TYPE
    }
    fn resource(&self) -> Kind {
        Kind::StorageAccount
    }
    fn check(&self, c: &Check) -> Result<(), ApiError> {
        check_set(c, c.ds_id(), false, "the storage account")?;
        if hierarchical(c) {
            return Err(hns_mismatch(
                c,
                "Blob backup is not supported for a storage account with hierarchical namespace enabled",
                "Protect the account as Data Lake Storage (datasourceType Microsoft.Storage/storageAccounts/adlsBlobServices).",
            ));
        }
        if !store_parameters(c.inst).is_empty() {
            return Err(invalid(format!(
                "{BLOB_TYPE} takes no dataStoreParametersList."
            )));
        }
        let vaulted = c
            .policy
            .is_some_and(|p| p.data_store == Some(DataStore::VaultStore));
        if vaulted {
            let p = single(c.inst, BLOB_PARAMETERS)?;
            check_containers(c, &strings(p, "containersList")?)
        } else if datasource_parameters(c.inst)
            .iter()
            .any(|p| p.get("containersList").is_some_and(|l| !l.is_null()))
        {
            Err(invalid(format!(
                "The backup policy '{}' is an operational (OperationalStore) blob policy, which protects the whole storage account: containersList is only valid with a vaulted (VaultStore) policy. Remove the containers or use a vaulted policy.",
                c.inst.policy_id
            )))
        } else if let Some(p) = datasource_parameters(c.inst).first() {
            Err(invalid(format!(
                "backupDatasourceParametersList '{}' is not valid with an operational blob policy.",
                p.get("objectType").and_then(Value::as_str).unwrap_or("")
            )))
        } else {
            Ok(())
        }
    }
    fn needs(&self, c: &Check) -> Vec<Need> {
        backup_contributor(c)
    }
}

pub struct DataLake;

impl Model for DataLake {
    fn datasource_type(&self) -> &'static str {
        ADLS_TYPE
    }
    fn resource(&self) -> Kind {
        Kind::StorageAccount
    }
    fn api_versions(&self) -> Option<&'static [&'static str]> {
        Some(&["2025-07-01", "2025-09-01", "2026-06-01"])
    }
    fn check(&self, c: &Check) -> Result<(), ApiError> {
        if !hierarchical(c) {
            return Err(hns_mismatch(
                c,
                "Data Lake Storage backup needs a storage account with hierarchical namespace enabled",
                "Protect the account as blobs (datasourceType Microsoft.Storage/storageAccounts/blobServices).",
            ));
        }
        // The product documentation's Data Lake body has no set; one that is sent must carry
        // its location and type [3P AVM].
        check_set(c, c.ds_id(), false, "the storage account")?;
        if let Some(set) = &c.inst.data_source_set_info {
            let account_loc = c.world.datasource_location(c.ds_id()).unwrap_or_default();
            if !set.sent_location
                || !set.sent_type
                || !set.resource_location.eq_ignore_ascii_case(&account_loc)
            {
                return Err(ApiError::service(
                    StatusCode::BAD_REQUEST,
                    SET_LOCATION_CODE,
                    format!(
                        "The datasource '{}' and its datasource set are not in the same location: dataSourceSetInfo must carry resourceLocation '{account_loc}' and datasourceType '{ADLS_TYPE}'.",
                        c.ds_id()
                    ),
                    &[
                        "Set dataSourceSetInfo.resourceLocation and dataSourceSetInfo.datasourceType like dataSourceInfo's, then retry.",
                    ],
                    None,
                ));
            }
        }
        if !store_parameters(c.inst).is_empty() {
            return Err(invalid(format!(
                "{ADLS_TYPE} takes no dataStoreParametersList."
            )));
        }
        let p = single(c.inst, ADLS_PARAMETERS)?;
        check_containers(c, &strings(p, "containersList")?)
    }
    fn needs(&self, c: &Check) -> Vec<Need> {
        backup_contributor(c)
    }
}
