//! Serde models of the Data Protection API (backup instances, operation status, errors).
//!
//! Tolerant by design: unknown fields are ignored, enum-like fields are plain strings (the
//! service returns values outside its documented enums), `null` is accepted wherever a list or
//! string is expected, and optional fields are omitted on output rather than sent as `null`
//! (`#[skip_serializing_none]` on every struct), so a body built for API version 2021-01-01
//! carries nothing that version does not know.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_with::skip_serializing_none;

use crate::azure::arm_id::{BackupPolicyId, DatasourceId, KeyVaultSecretUri, ResourceGroupId};
use crate::azure::catalogue::{self, SetInfo};

/// `null` and absent both become `T::default()`.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A backup instance as ARM returns it (`{id, name, type, tags, properties}`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupInstanceResource {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub properties: BackupInstance,
}

/// The `properties` of a backup instance.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupInstance {
    pub friendly_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub data_source_info: Datasource,
    pub data_source_set_info: Option<DatasourceSet>,
    #[serde(default, deserialize_with = "nullable")]
    pub policy_info: PolicyInfo,
    pub datasource_auth_credentials: Option<AuthCredentials>,
    pub identity_details: Option<IdentityDetails>,
    pub protection_status: Option<ProtectionStatusDetails>,
    pub current_protection_state: Option<String>,
    pub protection_error_details: Option<UserFacingError>,
    pub provisioning_state: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub object_type: String,
    pub validation_type: Option<String>,
}

/// A data source (or, with `objectType: "DatasourceSet"`, its parent set).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Datasource {
    pub datasource_type: Option<String>,
    pub object_type: Option<String>,
    /// The API spells it `resourceID`; some clients send `resourceId`, accepted too.
    #[serde(
        rename = "resourceID",
        alias = "resourceId",
        default,
        deserialize_with = "nullable"
    )]
    pub resource_id: String,
    pub resource_location: Option<String>,
    pub resource_name: Option<String>,
    pub resource_type: Option<String>,
    pub resource_uri: Option<String>,
}

/// Same shape as [`Datasource`], with `objectType: "DatasourceSet"`.
pub type DatasourceSet = Datasource;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInfo {
    #[serde(default, deserialize_with = "nullable")]
    pub policy_id: String,
    pub policy_version: Option<String>,
    pub policy_parameters: Option<PolicyParameters>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyParameters {
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub data_store_parameters_list: Vec<DataStoreParameters>,
    /// The kind's own parameters (containers, AKS settings, the Elastic SAN volume).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub backup_datasource_parameters_list: Vec<DatasourceParameters>,
}

/// One object of `backupDatasourceParametersList`; `objectType` says which of the optional
/// fields it carries (see the `*_PARAMETERS` constants of the catalogue). Fields of object types
/// this provider does not know are kept in `other`, so a body read back is never silently
/// narrowed.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasourceParameters {
    #[serde(default, deserialize_with = "nullable")]
    pub object_type: String,
    /// Blob (vaulted) and Data Lake: the containers to back up.
    pub containers_list: Option<Vec<String>>,
    /// AKS.
    pub snapshot_volumes: Option<bool>,
    pub include_cluster_scope_resources: Option<bool>,
    pub included_namespaces: Option<Vec<String>>,
    pub excluded_namespaces: Option<Vec<String>>,
    pub included_resource_types: Option<Vec<String>>,
    pub excluded_resource_types: Option<Vec<String>>,
    pub label_selectors: Option<Vec<String>>,
    pub included_volume_types: Option<Vec<String>>,
    pub backup_hook_references: Option<Vec<NamespacedName>>,
    /// Generic (Elastic SAN): the volume to protect.
    pub resource_selectors: Option<Vec<String>>,
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// `{name, namespace}` of a Kubernetes object (an AKS backup hook).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedName {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub namespace: String,
}

/// `{objectType: "AzureOperationalStoreParameters", dataStoreType: "OperationalStore", resourceGroupId}`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataStoreParameters {
    #[serde(default, deserialize_with = "nullable")]
    pub object_type: String,
    #[serde(default, deserialize_with = "nullable")]
    pub data_store_type: String,
    pub resource_group_id: Option<String>,
}

/// `{objectType: "SecretStoreBasedAuthCredentials", secretStoreResource: {uri, secretStoreType}}`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthCredentials {
    #[serde(default, deserialize_with = "nullable")]
    pub object_type: String,
    pub secret_store_resource: Option<SecretStoreResource>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStoreResource {
    /// The secret's URI, e.g. `https://kv-demo.vault.azure.net/secrets/pg-conn`.
    pub uri: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub secret_store_type: String,
}

/// Which identity the vault uses for the data source (2022+ API versions only).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityDetails {
    pub use_system_assigned_identity: Option<bool>,
    pub user_assigned_identity_arm_url: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectionStatusDetails {
    pub status: Option<String>,
    pub error_details: Option<UserFacingError>,
}

/// The error shape that carries the texts users need (message, recommended actions, the exact
/// missing permission in `innerError.additionalInfo.DetailedNonLocalisedMessage`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFacingError {
    pub code: Option<String>,
    pub message: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub recommended_action: Vec<String>,
    pub inner_error: Option<InnerError>,
    pub is_retryable: Option<bool>,
    pub is_user_error: Option<bool>,
    pub target: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<UserFacingError>,
    pub properties: Option<BTreeMap<String, serde_json::Value>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InnerError {
    pub additional_info: Option<BTreeMap<String, serde_json::Value>>,
    pub code: Option<String>,
    pub embedded_inner_error: Option<Box<InnerError>>,
}

/// Text of a JSON value without quotes for strings.
fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl InnerError {
    /// Every `additionalInfo` entry of this error and its embedded errors, outermost first.
    pub fn additional_info_lines(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut cur = Some(self);
        // Bounded by the nesting depth of the (finite) deserialised value.
        while let Some(e) = cur {
            if let Some(info) = &e.additional_info {
                out.extend(info.iter().map(|(k, v)| (k.clone(), value_text(v))));
            }
            cur = e.embedded_inner_error.as_deref();
        }
        out
    }
}

impl UserFacingError {
    /// One line: `code: message`, or whichever of the two exists.
    pub fn summary(&self) -> String {
        match (self.code.as_deref(), self.message.as_deref()) {
            (Some(c), Some(m)) => format!("{c}: {}", m.trim()),
            (Some(c), None) => c.to_string(),
            (None, Some(m)) => m.trim().to_string(),
            (None, None) => "unknown error".to_string(),
        }
    }
}

/// ARM's `CloudError`: `{"error": {...}}`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudError {
    pub error: Option<ErrorDetail>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    pub code: Option<String>,
    pub message: Option<String>,
    pub target: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub details: Vec<ErrorDetail>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional_info: Vec<ErrorAdditionalInfo>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorAdditionalInfo {
    #[serde(rename = "type")]
    pub info_type: Option<String>,
    pub info: Option<serde_json::Value>,
}

impl ErrorDetail {
    /// The first `UserFacingError` in `additionalInfo`, here or in `details`.
    pub fn user_facing(&self) -> Option<UserFacingError> {
        let own = self.additional_info.iter().find_map(|a| {
            let is_ufe = a
                .info_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("UserFacingError"));
            if !is_ufe {
                return None;
            }
            serde_json::from_value::<UserFacingError>(a.info.clone()?).ok()
        });
        own.or_else(|| self.details.iter().find_map(ErrorDetail::user_facing))
    }
}

/// The body of an `Azure-AsyncOperation` status URL.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    pub id: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub error: Option<ErrorDetail>,
    pub properties: Option<serde_json::Value>,
}

/// `{jobId, objectType: "OperationJobExtendedInfo"}`, the result of some operations.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationJobExtendedInfo {
    pub job_id: Option<String>,
    pub object_type: Option<String>,
}

/// Request body of `validateForBackup`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateForBackupRequest {
    #[serde(default, deserialize_with = "nullable")]
    pub backup_instance: BackupInstance,
}

/// One page of a list.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupInstanceList {
    #[serde(default, deserialize_with = "nullable")]
    pub value: Vec<BackupInstanceResource>,
    pub next_link: Option<String>,
}

/// One page of `{vault}/backupInstances` with each entry kept as the JSON the service sent, for
/// readers that hold many entries and use few of them at a time (coalesced reads): unparsed
/// text is a third of the parsed model's heap, and an entry that does not parse spoils only
/// itself.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawBackupInstanceList {
    #[serde(default, deserialize_with = "nullable")]
    pub value: Vec<Box<serde_json::value::RawValue>>,
    pub next_link: Option<String>,
}

/// A soft-deleted backup instance (`{vault}/deletedBackupInstances/{name}`).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedBackupInstanceResource {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub properties: DeletedBackupInstance,
}

/// The full backup instance body plus `deletionInfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedBackupInstance {
    #[serde(flatten)]
    pub instance: BackupInstance,
    #[serde(default, deserialize_with = "nullable")]
    pub deletion_info: DeletionInfo,
}

/// When the instance was deleted and when Azure purges it for good (read-only strings).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionInfo {
    pub deletion_time: Option<String>,
    pub billing_end_date: Option<String>,
    pub scheduled_purge_time: Option<String>,
    #[serde(rename = "deleteActivityID")]
    pub delete_activity_id: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedBackupInstanceList {
    #[serde(default, deserialize_with = "nullable")]
    pub value: Vec<DeletedBackupInstanceResource>,
    pub next_link: Option<String>,
}

fn datasource(
    object_type: &str,
    datasource_type: &str,
    resource_type: &str,
    id: String,
    name: &str,
    location: &str,
) -> Datasource {
    Datasource {
        datasource_type: Some(datasource_type.to_string()),
        object_type: Some(object_type.to_string()),
        resource_uri: Some(id.clone()),
        resource_id: id,
        resource_location: Some(location.to_string()),
        resource_name: Some(name.to_string()),
        resource_type: Some(resource_type.to_string()),
    }
}

impl BackupInstance {
    /// A backup instance for `datasource` under `policy`, with `dataSourceInfo` and
    /// `dataSourceSetInfo` filled from the ID alone, as the kind's catalogue entry says.
    pub fn new_for(ds: &DatasourceId, location: &str, policy: &BackupPolicyId) -> BackupInstance {
        let entry = ds.kind().entry();
        // The set of a Data Lake account must carry its location and datasource type, or the
        // service answers UserErrorDataSourceAndDatasourceSetLocationNotSame; every set built
        // here carries both.
        let (dtype, rtype) = (entry.datasource_type, entry.resource_type());
        let id = ds.to_string();
        let info = datasource("Datasource", dtype, &rtype, id.clone(), ds.name(), location);
        let set = match entry.set_info {
            SetInfo::None => None,
            SetInfo::Itself => Some(datasource(
                "DatasourceSet",
                dtype,
                &rtype,
                id,
                ds.name(),
                location,
            )),
            SetInfo::Parent => catalogue::parent_of(ds).map(|(parent, name)| {
                let ptype = entry.parent_resource_type().unwrap_or_default();
                datasource("DatasourceSet", dtype, &ptype, parent, &name, location)
            }),
        };
        BackupInstance {
            data_source_info: info,
            data_source_set_info: set,
            policy_info: PolicyInfo {
                policy_id: policy.to_string(),
                ..PolicyInfo::default()
            },
            object_type: "BackupInstance".to_string(),
            ..BackupInstance::default()
        }
    }

    /// Sets the snapshot resource group (operational store parameters), as disks, AKS clusters
    /// and Elastic SAN volume groups need.
    pub fn with_snapshot_resource_group(mut self, rg: &ResourceGroupId) -> BackupInstance {
        let params = self
            .policy_info
            .policy_parameters
            .get_or_insert_with(PolicyParameters::default);
        params.data_store_parameters_list = vec![DataStoreParameters {
            object_type: "AzureOperationalStoreParameters".to_string(),
            data_store_type: "OperationalStore".to_string(),
            resource_group_id: Some(rg.to_string()),
        }];
        self
    }

    /// Adds one object to `backupDatasourceParametersList`.
    pub fn with_datasource_parameters(mut self, p: DatasourceParameters) -> BackupInstance {
        self.policy_info
            .policy_parameters
            .get_or_insert_with(PolicyParameters::default)
            .backup_datasource_parameters_list
            .push(p);
        self
    }

    /// The `backupDatasourceParametersList` object of type `object_type`, if any.
    pub fn datasource_parameters(&self, object_type: &str) -> Option<&DatasourceParameters> {
        self.policy_info
            .policy_parameters
            .as_ref()?
            .backup_datasource_parameters_list
            .iter()
            .find(|p| p.object_type.eq_ignore_ascii_case(object_type))
    }

    /// Sets the Key Vault secret holding the database connection string.
    pub fn with_secret_store(mut self, uri: &KeyVaultSecretUri) -> BackupInstance {
        self.datasource_auth_credentials = Some(AuthCredentials {
            object_type: "SecretStoreBasedAuthCredentials".to_string(),
            secret_store_resource: Some(SecretStoreResource {
                uri: Some(uri.to_string()),
                secret_store_type: "AzureKeyVault".to_string(),
            }),
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_of_nulls_unknown_fields_and_enum_values() {
        let body = r#"{"id":"x","properties":{"friendlyName":null,"dataSourceInfo":{"resourceId":"/r","datasourceType":"OssDB","extra":1},
            "dataSourceSetInfo":null,"policyInfo":{"policyId":"/p","policyParameters":null},"protectionStatus":{"status":"BackupsSuspended","errorDetails":{"code":"C","recommendedAction":null}},
            "currentProtectionState":"UpdatingProtection","objectType":"BackupInstance","brandNew":{"a":[1]}},"systemData":{}}"#;
        let r: BackupInstanceResource = serde_json::from_str(body).unwrap();
        assert_eq!(r.properties.data_source_info.resource_id, "/r");
        assert_eq!(
            r.properties.current_protection_state.as_deref(),
            Some("UpdatingProtection")
        );
        let ps = r.properties.protection_status.unwrap();
        assert_eq!(ps.status.as_deref(), Some("BackupsSuspended"));
        assert_eq!(ps.error_details.unwrap().summary(), "C");
    }

    #[test]
    fn new_for_fills_info_and_set_per_kind() {
        let policy: BackupPolicyId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-a/backupPolicies/p"
            .parse()
            .unwrap();
        let db: DatasourceId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/srv/databases/db"
            .parse()
            .unwrap();
        let kv: KeyVaultSecretUri = "https://kv.vault.azure.net/secrets/conn".parse().unwrap();
        let bi = BackupInstance::new_for(&db, "westeurope", &policy).with_secret_store(&kv);
        let json = serde_json::to_value(&bi).unwrap();
        assert_eq!(json["dataSourceInfo"]["resourceID"], db.to_string());
        assert_eq!(json["dataSourceInfo"]["resourceName"], "db");
        assert_eq!(
            json["dataSourceSetInfo"]["resourceType"],
            "Microsoft.DBforPostgreSQL/servers"
        );
        assert_eq!(
            json["dataSourceSetInfo"]["datasourceType"],
            "Microsoft.DBforPostgreSQL/servers/databases"
        );
        assert_eq!(json["dataSourceSetInfo"]["resourceName"], "srv");
        assert_eq!(json["dataSourceSetInfo"]["objectType"], "DatasourceSet");
        assert_eq!(json["policyInfo"]["policyId"], policy.to_string());
        assert_eq!(
            json["datasourceAuthCredentials"]["secretStoreResource"]["uri"],
            kv.to_string()
        );
        assert!(json.get("validationType").is_none() && json.get("identityDetails").is_none());

        let disk: DatasourceId =
            "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"
                .parse()
                .unwrap();
        let rg: ResourceGroupId =
            "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/snaps"
                .parse()
                .unwrap();
        let bi =
            BackupInstance::new_for(&disk, "westeurope", &policy).with_snapshot_resource_group(&rg);
        assert!(bi.data_source_set_info.is_none());
        let json = serde_json::to_value(&bi).unwrap();
        assert_eq!(
            json["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["resourceGroupId"],
            "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/snaps"
        );
        let flex: DatasourceId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/f1"
            .parse()
            .unwrap();
        let bi = BackupInstance::new_for(&flex, "westeurope", &policy);
        let set = bi.data_source_set_info.unwrap();
        assert_eq!(set.resource_id, flex.to_string());
        assert_eq!(
            set.resource_type.as_deref(),
            Some("Microsoft.DBforPostgreSQL/flexibleServers")
        );
    }

    #[test]
    fn user_facing_error_is_found_in_additional_info() {
        let body = r#"{"error":{"code":"UserErrorMissingRequiredPermissions","message":"Appropriate permissions to perform the operation is missing.",
          "additionalInfo":[{"type":"UserFacingError","info":{"message":"Missing perms","recommendedAction":["Grant Reader"],"code":"UserErrorMissingRequiredPermissions",
          "innerError":{"additionalInfo":{"DetailedNonLocalisedMessage":"Microsoft.Compute/disks/read on /x"},"embeddedInnerError":{"additionalInfo":{"Deeper":"y"}}},"isRetryable":false,"isUserError":true}}]}}"#;
        let e: CloudError = serde_json::from_str(body).unwrap();
        let ufe = e.error.unwrap().user_facing().unwrap();
        assert_eq!(ufe.recommended_action, vec!["Grant Reader".to_string()]);
        let lines = ufe.inner_error.unwrap().additional_info_lines();
        assert_eq!(lines[0].1, "Microsoft.Compute/disks/read on /x");
        assert_eq!(lines[1].0, "Deeper");
    }
}
