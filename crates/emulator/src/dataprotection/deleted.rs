//! Soft-deleted backup instances: the vault's `deletedBackupInstances` list, GET of one, and
//! `undelete`, acting on the emulator's state.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::handlers::{accepted, operation};
use super::shapes::{Ctx, conflict, json_resp, render_deleted};
use crate::armpath::lower;
use crate::errors::ApiError;
use crate::state::{OpKind, OpStatus, State as EmuState, deleted_key};
use crate::world::Vault;

/// `GET {vault}/deletedBackupInstances`: every soft-deleted instance of the vault (one page).
pub(super) fn list_deleted(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
) -> Result<Response, ApiError> {
    let now = st.now();
    crate::lifecycle::purge_deleted(st, now);
    let prefix = format!("{}/deletedbackupinstances/", lower(&vault.id));
    let items: Vec<Value> = st
        .deleted
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, d)| render_deleted(d, ctx.api))
        .collect();
    Ok(json_resp(StatusCode::OK, json!({"value": items})))
}

fn deleted_not_found(name: &str) -> ApiError {
    // The recorded 404 of the service has this non-ARM body.
    ApiError {
        status: StatusCode::NOT_FOUND,
        body: json!({"ErrorCode": "UserErrorGenericResourceNotFound",
                     "Message": {"Language": "en-US", "Value": format!("Azure resource does not exist: deleted backup instance '{name}'.")},
                     "Values": []}),
        code: "UserErrorGenericResourceNotFound".into(),
        www_authenticate: None,
    }
}

pub(super) fn get_deleted(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
) -> Result<Response, ApiError> {
    let now = st.now();
    crate::lifecycle::purge_deleted(st, now);
    let d = st
        .deleted
        .get(&deleted_key(&vault.id, name))
        .ok_or_else(|| deleted_not_found(name))?;
    Ok(json_resp(StatusCode::OK, render_deleted(d, ctx.api)))
}

/// `POST …/deletedBackupInstances/{name}/undelete`: 202 with `Location` (the spec's shape; the
/// recorded service answered 200 at once, which clients must accept too).
pub(super) fn undelete(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
) -> Result<Response, ApiError> {
    let now = st.now();
    crate::lifecycle::purge_deleted(st, now);
    let d = st
        .deleted
        .get(&deleted_key(&vault.id, name))
        .cloned()
        .ok_or_else(|| deleted_not_found(name))?;
    let key = lower(&d.instance.id);
    if st.instances.contains_key(&key) {
        return Err(ApiError::bad_request(
            "UserErrorBackupInstanceAlreadyExists",
            format!("A backup instance named '{name}' already exists in the Backup vault."),
        ));
    }
    if st.operations.values().any(|o| {
        o.kind == OpKind::Undelete
            && o.status == OpStatus::Inprogress
            && o.instance_key.as_deref() == Some(key.as_str())
    }) {
        return Err(conflict(name));
    }
    let sub = crate::armpath::subscription_of(&vault.id).unwrap_or_default();
    let subjects = [
        d.instance.name.as_str(),
        d.instance.id.as_str(),
        d.instance.data_source_info.resource_id.as_str(),
    ];
    let id = crate::ops::start_operation(
        st,
        OpKind::Undelete,
        ctx.api,
        &sub,
        &vault.location,
        &vault.id,
        Some(key),
        None,
        None,
        &subjects,
    );
    let op = operation(st, &id)?;
    Ok(accepted(st, ctx, &op))
}
