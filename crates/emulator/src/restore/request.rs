//! A restore request as the service reads it (`AzureBackupRestoreRequest` and its three
//! variants, the three target infos, `identityDetails`): parsed into plain data with the
//! synchronous 400s of a malformed body. Which combinations a kind allows is decided by the
//! kinds' restore models, not here.

use serde_json::Value;

use crate::errors::ApiError;
use crate::world::parse_time_ms;

/// What the request restores from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// `AzureBackupRecoveryPointBasedRestoreRequest`.
    RecoveryPoint(String),
    /// `AzureBackupRestoreWithRehydrationRequest` (a point in the archive tier).
    Rehydration(String),
    /// `AzureBackupRecoveryTimeBasedRestoreRequest`: milliseconds since the epoch.
    Time(u64),
}

impl Source {
    pub fn object_type(&self) -> &'static str {
        match self {
            Source::RecoveryPoint(_) => "AzureBackupRecoveryPointBasedRestoreRequest",
            Source::Rehydration(_) => "AzureBackupRestoreWithRehydrationRequest",
            Source::Time(_) => "AzureBackupRecoveryTimeBasedRestoreRequest",
        }
    }

    pub fn point_id(&self) -> Option<&str> {
        match self {
            Source::RecoveryPoint(p) | Source::Rehydration(p) => Some(p),
            Source::Time(_) => None,
        }
    }
}

/// A `datasourceInfo` / `datasourceSetInfo` of the target, as far as the rules look at it.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetRef {
    pub id: String,
    pub datasource_type: Option<String>,
}

/// `restoreTargetInfo`, by its `objectType`.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// `RestoreTargetInfo`: a datasource (the restore's new or existing target).
    Datasource {
        info: TargetRef,
        set: Option<TargetRef>,
        credentials: Option<Value>,
        /// Some examples put item-level criteria here too; they are honoured.
        criteria: Vec<Value>,
    },
    /// `ItemLevelRestoreTargetInfo`: items of the datasource, by `restoreCriteria`.
    ItemLevel {
        info: TargetRef,
        set: Option<TargetRef>,
        criteria: Vec<Value>,
    },
    /// `RestoreFilesTargetInfo`: files into a blob container.
    Files {
        prefix: String,
        location_type: String,
        url: String,
        target_arm_id: Option<String>,
    },
}

impl Target {
    pub fn object_type(&self) -> &'static str {
        match self {
            Target::Datasource { .. } => "RestoreTargetInfo",
            Target::ItemLevel { .. } => "ItemLevelRestoreTargetInfo",
            Target::Files { .. } => "RestoreFilesTargetInfo",
        }
    }

    pub fn info(&self) -> Option<&TargetRef> {
        match self {
            Target::Datasource { info, .. } | Target::ItemLevel { info, .. } => Some(info),
            Target::Files { .. } => None,
        }
    }

    pub fn criteria(&self) -> &[Value] {
        match self {
            Target::Datasource { criteria, .. } | Target::ItemLevel { criteria, .. } => criteria,
            Target::Files { .. } => &[],
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RestoreRequest {
    pub source: Source,
    pub source_data_store: String,
    pub target: Target,
    pub restore_location: String,
    /// `identityDetails.userAssignedIdentityArmUrl` when the system identity is not used.
    pub user_identity: Option<String>,
    pub source_resource_id: Option<String>,
}

pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("UserErrorInvalidRequestParameter", message)
}

/// A string field, by any of its spellings (`resourceID` and the recorded `resourceId`).
fn field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a str> {
    let o = v.as_object()?;
    names.iter().find_map(|n| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .and_then(|(_, v)| v.as_str())
    })
}

fn required<'a>(v: &'a Value, name: &str, what: &str) -> Result<&'a str, ApiError> {
    field(v, &[name])
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| invalid(format!("{what}.{name} is required.")))
}

fn target_ref(v: Option<&Value>, what: &str) -> Result<Option<TargetRef>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let id = required(v, "resourceID", what)?;
    Ok(Some(TargetRef {
        id: id.to_string(),
        datasource_type: field(v, &["datasourceType"]).map(str::to_string),
    }))
}

fn criteria(t: &Value) -> Result<Vec<Value>, ApiError> {
    match t.get("restoreCriteria") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => {
            for c in a {
                if field(c, &["objectType"]).is_none() {
                    return Err(invalid(
                        "restoreTargetInfo.restoreCriteria[].objectType is required.",
                    ));
                }
            }
            Ok(a.clone())
        }
        Some(_) => Err(invalid(
            "restoreTargetInfo.restoreCriteria must be an array.",
        )),
    }
}

/// Parses a restore request body (the body of `restore`, or `restoreRequestObject`).
pub fn parse(v: &Value) -> Result<RestoreRequest, ApiError> {
    if !v.is_object() {
        return Err(invalid("The restore request must be a JSON object."));
    }
    let object_type = required(v, "objectType", "request")?;
    let source = match object_type {
        "AzureBackupRecoveryPointBasedRestoreRequest" => {
            Source::RecoveryPoint(required(v, "recoveryPointId", "request")?.to_string())
        }
        "AzureBackupRestoreWithRehydrationRequest" => {
            let id = required(v, "recoveryPointId", "request")?.to_string();
            let priority = required(v, "rehydrationPriority", "request")?;
            if !["Standard", "High"].contains(&priority) {
                return Err(invalid(format!(
                    "rehydrationPriority '{priority}' is not valid; use Standard or High."
                )));
            }
            let d = required(v, "rehydrationRetentionDuration", "request")?;
            let days = crate::world::duration_ms(d).map(|ms| ms / 86_400_000);
            if !days.is_some_and(|d| (10..=30).contains(&d)) {
                return Err(invalid(format!(
                    "rehydrationRetentionDuration '{d}' must be an ISO 8601 duration of 10 to 30 days (P10D to P30D)."
                )));
            }
            Source::Rehydration(id)
        }
        "AzureBackupRecoveryTimeBasedRestoreRequest" => {
            let t = required(v, "recoveryPointTime", "request")?;
            Source::Time(parse_time_ms(t).ok_or_else(|| {
                invalid(format!(
                    "recoveryPointTime '{t}' is not an ISO 8601 date and time."
                ))
            })?)
        }
        other => {
            return Err(invalid(format!(
                "objectType '{other}' is not a restore request type; use AzureBackupRecoveryPointBasedRestoreRequest, AzureBackupRecoveryTimeBasedRestoreRequest or AzureBackupRestoreWithRehydrationRequest."
            )));
        }
    };
    let store = required(v, "sourceDataStoreType", "request")?;
    if !["OperationalStore", "VaultStore", "ArchiveStore"].contains(&store) {
        return Err(invalid(format!(
            "sourceDataStoreType '{store}' is not valid; use OperationalStore, VaultStore or ArchiveStore."
        )));
    }
    let t = v
        .get("restoreTargetInfo")
        .filter(|t| t.is_object())
        .ok_or_else(|| invalid("restoreTargetInfo is required."))?;
    let option = required(t, "recoveryOption", "restoreTargetInfo")?;
    if option != "FailIfExists" {
        return Err(invalid(format!(
            "restoreTargetInfo.recoveryOption '{option}' is not valid; the only value is FailIfExists."
        )));
    }
    let restore_location = field(t, &["restoreLocation"]).unwrap_or("").to_string();
    let info = || target_ref(t.get("datasourceInfo"), "restoreTargetInfo.datasourceInfo");
    let set = target_ref(
        t.get("datasourceSetInfo"),
        "restoreTargetInfo.datasourceSetInfo",
    )?;
    let target = match required(t, "objectType", "restoreTargetInfo")? {
        "RestoreTargetInfo" => Target::Datasource {
            info: info()?
                .ok_or_else(|| invalid("restoreTargetInfo.datasourceInfo is required."))?,
            set,
            credentials: t
                .get("datasourceAuthCredentials")
                .filter(|c| !c.is_null())
                .cloned(),
            criteria: criteria(t)?,
        },
        "ItemLevelRestoreTargetInfo" => {
            let criteria = criteria(t)?;
            if criteria.is_empty() {
                return Err(invalid(
                    "restoreTargetInfo.restoreCriteria is required for ItemLevelRestoreTargetInfo.",
                ));
            }
            Target::ItemLevel {
                info: info()?
                    .ok_or_else(|| invalid("restoreTargetInfo.datasourceInfo is required."))?,
                set,
                criteria,
            }
        }
        "RestoreFilesTargetInfo" => {
            let d = t
                .get("targetDetails")
                .filter(|d| d.is_object())
                .ok_or_else(|| invalid("restoreTargetInfo.targetDetails is required."))?;
            let what = "restoreTargetInfo.targetDetails";
            Target::Files {
                prefix: required(d, "filePrefix", what)?.to_string(),
                location_type: required(d, "restoreTargetLocationType", what)?.to_string(),
                url: required(d, "url", what)?.to_string(),
                target_arm_id: field(d, &["targetResourceArmId"])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            }
        }
        other => {
            return Err(invalid(format!(
                "restoreTargetInfo.objectType '{other}' is not valid; use RestoreTargetInfo, ItemLevelRestoreTargetInfo or RestoreFilesTargetInfo."
            )));
        }
    };
    let user_identity = match v.get("identityDetails").filter(|i| !i.is_null()) {
        Some(i) if i.get("useSystemAssignedIdentity").and_then(Value::as_bool) == Some(false) => {
            Some(
                required(i, "userAssignedIdentityArmUrl", "identityDetails")
                    .map_err(|_| {
                        invalid("identityDetails.userAssignedIdentityArmUrl is required when useSystemAssignedIdentity is false.")
                    })?
                    .to_string(),
            )
        }
        _ => None,
    };
    Ok(RestoreRequest {
        source,
        source_data_store: store.to_string(),
        target,
        restore_location,
        user_identity,
        source_resource_id: field(v, &["sourceResourceId"]).map(str::to_string),
    })
}
