//! The Data Protection service's answers as the emulator writes them: resource bodies per
//! api-version, operation status documents, the URLs handed out for long-running operations,
//! response headers and the service's error shapes.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::state::{Deleted, Instance, OpStatus, Operation, State as EmuState, now_ms};
use crate::validation::is_legacy;
use crate::world::Vault;

const BI_TYPE: &str = "Microsoft.DataProtection/backupVaults/backupInstances";

pub(super) fn with_headers(mut resp: Response, headers: &[(&str, String)]) -> Response {
    for (k, v) in headers {
        if let (Ok(v), Ok(name)) = (
            HeaderValue::from_str(v),
            header::HeaderName::from_bytes(k.as_bytes()),
        ) {
            resp.headers_mut().insert(name, v);
        }
    }
    resp
}

pub(super) fn json_resp(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

pub(super) fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    r
}

/// Opaque signed-looking query parameters newer versions append to operation URLs, so that
/// clients which rebuild these URLs instead of following them are caught.
fn signature_params() -> String {
    let r = || uuid::Uuid::new_v4().simple().to_string();
    format!(
        "&t={}&c={}{}&s={}&h={}",
        now_ms() * 10_000,
        r(),
        r(),
        r(),
        r()
    )
}

pub(super) struct Ctx<'a> {
    pub(super) base: &'a str,
    pub(super) api: &'a str,
}

impl Ctx<'_> {
    pub(super) fn url(&self, path: &str) -> String {
        let sig = if is_legacy(self.api) {
            String::new()
        } else {
            signature_params()
        };
        format!("{}{}?api-version={}{}", self.base, path, self.api, sig)
    }

    /// Azure-AsyncOperation: subscription/location scope in 2021-01-01, vault scope since.
    pub(super) fn async_operation_url(&self, op: &Operation) -> String {
        self.url(&status_path(op))
    }

    pub(super) fn location_result_url(&self, op: &Operation) -> String {
        self.url(&format!(
            "/subscriptions/{}/providers/Microsoft.DataProtection/locations/{}/operationResults/{}",
            op.subscription, op.location, op.id
        ))
    }
}

fn status_path(op: &Operation) -> String {
    if is_legacy(&op.api_version) {
        format!(
            "/subscriptions/{}/providers/Microsoft.DataProtection/locations/{}/operationStatus/{}",
            op.subscription, op.location, op.id
        )
    } else {
        format!("{}/operationStatus/{}", op.vault_id, op.id)
    }
}

/// `2025-03-11T11:07:10.3855839Z` (start) and `2025-03-11T11:07:51Z` (end), as the service writes them.
fn format_time(ms: u64, fraction: bool) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if fraction {
        format!("{base}.{:03}0000Z", t.millisecond())
    } else {
        format!("{base}Z")
    }
}

pub fn render_operation(op: &Operation) -> Value {
    let end = match (op.status, op.end_ms) {
        (OpStatus::Inprogress, _) | (_, None) => {
            if is_legacy(&op.api_version) {
                "0001-01-01T00:00:00".to_string()
            } else {
                "0001-01-01T00:00:00Z".to_string()
            }
        }
        (_, Some(e)) => format_time(e, false),
    };
    let status = match op.status {
        OpStatus::Inprogress => "Inprogress",
        OpStatus::Succeeded => "Succeeded",
        OpStatus::Failed => "Failed",
    };
    let mut v = json!({
        "id": status_path(op),
        "name": op.id,
        "status": status,
        "startTime": format_time(op.start_ms, true),
        "endTime": end,
    });
    if let Some(e) = &op.error {
        v["error"] = e.clone();
    }
    if let Some(j) = &op.job_id {
        v["properties"] = json!({"jobId": j, "objectType": "OperationJobExtendedInfo"});
    }
    v
}

/// A backup instance as the given api-version returns it.
pub fn render_instance(inst: &Instance, api: &str) -> Value {
    let legacy = is_legacy(api);
    let mut policy = json!({"policyId": inst.policy_id});
    if let Some(p) = &inst.policy_parameters {
        policy["policyParameters"] = p.clone();
    }
    let mut status = json!({"status": inst.protection_status});
    let mut props = json!({
        "friendlyName": inst.friendly_name,
        "dataSourceInfo": inst.data_source_info,
        "policyInfo": policy,
        "currentProtectionState": inst.protection_state,
        "provisioningState": inst.provisioning_state,
        "objectType": "BackupInstance",
    });
    if let Some(set) = &inst.data_source_set_info {
        props["dataSourceSetInfo"] = json!(set);
    }
    if let Some(err) = &inst.protection_error {
        status["errorDetails"] = err.clone();
        props["protectionErrorDetails"] = err.clone();
    }
    props["protectionStatus"] = status;
    if !legacy {
        if let Some(c) = &inst.auth_credentials {
            let mut c = c.clone();
            // The service echoes the secret store with a null `value` (never the secret).
            if let Some(s) = c
                .get_mut("secretStoreResource")
                .and_then(Value::as_object_mut)
            {
                s.insert("value".into(), Value::Null);
            }
            props["datasourceAuthCredentials"] = c;
        }
        if let Some(i) = &inst.identity_details {
            props["identityDetails"] = i.clone();
        }
        if let Some(v) = &inst.validation_type {
            props["validationType"] = json!(v);
        }
    }
    let mut out = json!({"id": inst.id, "name": inst.name, "type": BI_TYPE, "properties": props});
    if let (false, Some(t)) = (legacy, &inst.tags) {
        out["tags"] = json!(t);
    }
    out
}

/// A soft-deleted instance: the full instance body plus `deletionInfo`, both states
/// `SoftDeleted`, under `deletedBackupInstances` (shape of the spec's GetDeletedBackupInstance).
pub fn render_deleted(d: &Deleted, api: &str) -> Value {
    let mut v = render_instance(&d.instance, api);
    v["id"] = json!(format!(
        "{}/deletedBackupInstances/{}",
        d.instance.vault_id, d.instance.name
    ));
    v["type"] = json!("Microsoft.DataProtection/backupVaults/deletedBackupInstances");
    let props = &mut v["properties"];
    props["objectType"] = json!("DeletedBackupInstance");
    props["currentProtectionState"] = json!("SoftDeleted");
    props["protectionStatus"] = json!({"status": "SoftDeleted"});
    props["provisioningState"] = json!("Succeeded");
    props["deletionInfo"] = json!({
        "deletionTime": format_time(d.deletion_ms, false),
        "billingEndDate": format_time(d.deletion_ms, false),
        "scheduledPurgeTime": format_time(d.purge_ms, false),
        "deleteActivityID": format!("{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, d.instance.id.as_bytes())),
    });
    v
}

pub(super) fn not_found_instance(name: &str, vault: &str) -> ApiError {
    ApiError::service(
        StatusCode::NOT_FOUND,
        "UserErrorGenericResourceNotFound",
        format!("The backup instance '{name}' was not found in the backup vault '{vault}'."),
        &["Check that the backup instance exists, then retry."],
        None,
    )
}

pub(super) fn op_not_found(id: &str) -> ApiError {
    ApiError::service(
        StatusCode::NOT_FOUND,
        "UserErrorGenericResourceNotFound",
        format!("The operation '{id}' was not found."),
        &["Use the operation URL returned by the service."],
        None,
    )
}

pub(super) fn retry_after(st: &EmuState) -> String {
    st.knobs.retry_after.to_string()
}

pub(super) fn render_vault(st: &EmuState, vault: &Vault) -> Value {
    let mut identity = json!({"type": "SystemAssigned", "principalId": vault.principal_id, "tenantId": st.world.tenant_id});
    if !vault.user_assigned_identities.is_empty() {
        identity["type"] = json!("SystemAssigned,UserAssigned");
        let map: serde_json::Map<String, Value> = vault
            .user_assigned_identities
            .iter()
            .map(|u| {
                (
                    u.id.clone(),
                    json!({"principalId": u.principal(), "clientId": u.client()}),
                )
            })
            .collect();
        identity["userAssignedIdentities"] = Value::Object(map);
    }
    let sd = &vault.soft_delete;
    json!({
        "id": vault.id,
        "name": crate::armpath::last_segment(&vault.id),
        "type": "Microsoft.DataProtection/backupVaults",
        "location": vault.location,
        "identity": identity,
        "properties": {
            "provisioningState": "Succeeded",
            "storageSettings": [{"datastoreType": "VaultStore", "type": "LocallyRedundant"}],
            "securitySettings": {"softDeleteSettings": {"state": sd.state, "retentionDurationInDays": sd.retention_days}},
        },
    })
}

pub(super) fn status_response(st: &EmuState, op: &Operation) -> Response {
    let resp = json_resp(StatusCode::OK, render_operation(op));
    if op.status == OpStatus::Inprogress {
        with_headers(resp, &[("Retry-After", retry_after(st))])
    } else {
        resp
    }
}

pub(super) fn conflict(name: &str) -> ApiError {
    ApiError::service(
        StatusCode::CONFLICT,
        "UserErrorAnotherOperationInProgress",
        format!("Another operation is in progress on the backup instance '{name}'."),
        &["Wait for the current operation to finish, then retry."],
        None,
    )
}

pub(super) fn failed_response(op: &Operation) -> Response {
    let status = StatusCode::from_u16(op.error_http).unwrap_or(StatusCode::BAD_REQUEST);
    ApiError::from_error_object(status, op.error.clone().unwrap_or(Value::Null)).into_response()
}
