//! Restores over HTTP: `validateRestore` and `restore` (long-running operations; the restore's
//! ends in a restore job) and `findRestorableTimeRanges` (synchronous). Each parses its request,
//! asks the restore room and writes the service's answer.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::handlers::{accepted, busy, parse_json};
use super::shapes::{Ctx, conflict, json_resp, not_found_instance, op_not_found};
use crate::armpath::{lower, subscription_of};
use crate::errors::ApiError;
use crate::state::{Instance, OpKind, RestorePlan, State as EmuState};
use crate::world::Vault;
use crate::{jobs, ops, restore};

fn instance(st: &EmuState, vault: &Vault, name: &str) -> Result<(String, Instance), ApiError> {
    let key = lower(&format!("{}/backupInstances/{name}", vault.id));
    let inst = st
        .instances
        .get(&key)
        .cloned()
        .ok_or_else(|| not_found_instance(name, &vault.id))?;
    Ok((key, inst))
}

fn start(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    key: &str,
    inst: &Instance,
    kind: OpKind,
    plan: RestorePlan,
) -> Result<Response, ApiError> {
    let sub = subscription_of(&vault.id).unwrap_or_default();
    let subjects = [
        inst.name.as_str(),
        inst.id.as_str(),
        inst.data_source_info.resource_id.as_str(),
    ];
    let id = ops::start_operation(
        st,
        kind,
        ctx.api,
        &sub,
        &vault.location,
        &vault.id,
        Some(key.to_string()),
        None,
        None,
        &subjects,
    );
    if let Some(o) = st.operations.get_mut(&id) {
        o.restore = Some(plan);
    }
    if kind == OpKind::Restore
        && let Some(i) = st.instances.get_mut(key)
    {
        i.busy_operation = Some(id.clone());
    }
    let now = st.now();
    ops::settle(st, now);
    let op = st
        .operations
        .get(&id)
        .cloned()
        .ok_or_else(|| op_not_found(&id))?;
    Ok(accepted(st, ctx, &op))
}

/// `POST …/backupInstances/{name}/validateRestore` `{"restoreRequestObject": …}`: the request
/// is planned now (400s), checked against the world when the operation ends; no job.
pub(super) fn validate_restore(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (key, inst) = instance(st, vault, name)?;
    let v = parse_json(body)?;
    let req = v
        .get("restoreRequestObject")
        .filter(|r| !r.is_null())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "restoreRequestObject is required.",
            )
        })?;
    let now = st.now();
    let plan = restore::plan(st, vault, &inst, req, ctx.api, now)?;
    start(st, ctx, vault, &key, &inst, OpKind::ValidateRestore, plan)
}

/// `POST …/backupInstances/{name}/restore`: planned now; refused while another operation or
/// job runs on the instance's datasource; the operation checks and then starts the job.
pub(super) fn trigger_restore(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (key, inst) = instance(st, vault, name)?;
    let v = parse_json(body)?;
    let now = st.now();
    jobs::settle(st, now);
    let plan = restore::plan(st, vault, &inst, &v, ctx.api, now)?;
    if busy(st, &inst) {
        return Err(conflict(name));
    }
    if let Some(j) = jobs::running_on(st, &inst.data_source_info.resource_id) {
        return Err(ApiError::service(
            StatusCode::CONFLICT,
            "UserErrorAnotherOperationInProgress",
            format!(
                "Another {} job ('{}') is in progress for the datasource '{}'.",
                j.operation.as_str().to_ascii_lowercase(),
                j.guid,
                inst.data_source_info.resource_id
            ),
            &["Wait for the running job to finish, then retry."],
            None,
        ));
    }
    start(st, ctx, vault, &key, &inst, OpKind::Restore, plan)
}

/// `POST …/backupInstances/{name}/findRestorableTimeRanges`: 200 with the ranges, no side
/// effect.
pub(super) fn find_time_ranges(
    st: &mut EmuState,
    vault: &Vault,
    name: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (_, inst) = instance(st, vault, name)?;
    let v: Value = parse_json(body)?;
    let now = st.now();
    Ok(json_resp(
        StatusCode::OK,
        restore::time_ranges(st, &inst, &v, now)?,
    ))
}
