//! The Data Protection operations: validateForBackup, backup instance PUT/DELETE/LIST and the
//! results of long-running operations, acting on the emulator's state.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::query_param;
use super::shapes::{
    Ctx, conflict, empty, failed_response, json_resp, not_found_instance, op_not_found,
    render_instance, retry_after, with_headers,
};
use crate::armpath::lower;
use crate::errors::ApiError;
use crate::state::{OpKind, OpStatus, Operation, State as EmuState, is_held};
use crate::validation::{check_sync, is_legacy, parse_instance};
use crate::world::Vault;

/// The operation `id` just started (it is always there; a miss is the emulator's own bug,
/// answered as ARM would answer an unknown operation).
pub(super) fn operation(st: &EmuState, id: &str) -> Result<Operation, ApiError> {
    st.operations
        .get(id)
        .cloned()
        .ok_or_else(|| op_not_found(id))
}

/// 202 for a long-running operation, with both status URLs and `Retry-After`.
pub(super) fn accepted(st: &EmuState, ctx: &Ctx, op: &Operation) -> Response {
    with_headers(
        empty(StatusCode::ACCEPTED),
        &[
            ("Azure-AsyncOperation", ctx.async_operation_url(op)),
            ("Location", ctx.location_result_url(op)),
            ("Retry-After", retry_after(st)),
        ],
    )
}

pub(super) fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::invalid_content("the request body is empty"));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_content(e.to_string()))
}

pub(super) fn validate(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    body: &[u8],
) -> Result<Response, ApiError> {
    let v = parse_json(body)?;
    let bi = v
        .get("backupInstance")
        .filter(|b| !b.is_null())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "backupInstance is required.",
            )
        })?;
    let inst = parse_instance(bi, None, ctx.api, &st.world, vault, "validateForBackup")?;
    check_sync(st, vault, &inst, None, ctx.api)?;
    let subjects = [
        inst.data_source_info.resource_id.clone(),
        inst.friendly_name.clone(),
    ];
    let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
    let sub = crate::armpath::subscription_of(&vault.id).unwrap_or_default();
    let id = crate::ops::start_operation(
        st,
        OpKind::Validate,
        ctx.api,
        &sub,
        &vault.location,
        &vault.id,
        None,
        Some(inst),
        None,
        &subjects,
    );
    let op = operation(st, &id)?;
    Ok(accepted(st, ctx, &op))
}

/// ARM-style resource names: letters, digits, `-`, `_`, `.`; what clients put into URLs unescaped.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 260
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub(super) fn busy(st: &EmuState, inst: &crate::state::Instance) -> bool {
    inst.busy_operation
        .as_ref()
        .and_then(|o| st.operations.get(o))
        .is_some_and(|o| o.status == OpStatus::Inprogress)
}

pub(super) fn put(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    if !valid_name(name) {
        return Err(ApiError::bad_request(
            "UserErrorInvalidResourceName",
            format!("'{name}' is not a valid backup instance name."),
        ));
    }
    let v = parse_json(body)?;
    let props = v
        .get("properties")
        .filter(|p| !p.is_null())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "properties is required.",
            )
        })?;
    let mut inst = parse_instance(props, v.get("tags"), ctx.api, &st.world, vault, name)?;
    let key = lower(&inst.id);
    let existing = st.instances.get(&key).cloned();
    if let Some(ex) = &existing {
        if busy(st, ex) {
            return Err(conflict(name));
        }
        // The stored casing of the name wins, as in ARM.
        inst.id = ex.id.clone();
        inst.name = ex.name.clone();
        if lower(&ex.data_source_info.resource_id) != lower(&inst.data_source_info.resource_id) {
            return Err(ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                format!(
                    "The datasource of backup instance '{name}' cannot be changed (it protects '{}').",
                    ex.data_source_info.resource_id
                ),
            ));
        }
    }
    check_sync(st, vault, &inst, Some(&key), ctx.api)?;
    let sub = crate::armpath::subscription_of(&vault.id).unwrap_or_default();
    let subjects = [
        inst.name.clone(),
        inst.id.clone(),
        inst.data_source_info.resource_id.clone(),
    ];
    let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
    match existing {
        None => {
            let id = crate::ops::start_operation(
                st,
                OpKind::Create,
                ctx.api,
                &sub,
                &vault.location,
                &vault.id,
                Some(key.clone()),
                Some(inst.clone()),
                None,
                &subjects,
            );
            inst.busy_operation = Some(id.clone());
            let body = render_instance(&inst, ctx.api);
            st.insert_instance(key, inst);
            let op = operation(st, &id)?;
            let now = st.now();
            crate::ops::settle(st, now);
            Ok(with_headers(
                json_resp(StatusCode::CREATED, body),
                &[
                    ("Azure-AsyncOperation", ctx.async_operation_url(&op)),
                    ("Retry-After", retry_after(st)),
                ],
            ))
        }
        Some(prev) => {
            inst.provisioning_state = "Provisioning".into();
            inst.protection_state = "UpdatingProtection".into();
            inst.protection_status = prev.protection_status.clone();
            let id = crate::ops::start_operation(
                st,
                OpKind::Update,
                ctx.api,
                &sub,
                &vault.location,
                &vault.id,
                Some(key.clone()),
                Some(inst.clone()),
                Some(prev),
                &subjects,
            );
            inst.busy_operation = Some(id.clone());
            let body = render_instance(&inst, ctx.api);
            st.insert_instance(key, inst.clone());
            let op = operation(st, &id)?;
            if is_legacy(ctx.api) {
                // 2021-01-01 knows no operationResults for backup instances: 200 with the body.
                Ok(with_headers(
                    json_resp(StatusCode::OK, body),
                    &[
                        ("Azure-AsyncOperation", ctx.async_operation_url(&op)),
                        ("Retry-After", retry_after(st)),
                    ],
                ))
            } else {
                let location = ctx.url(&format!("{}/operationResults/{}", inst.id, op.id));
                Ok(with_headers(
                    empty(StatusCode::ACCEPTED),
                    &[
                        ("Azure-AsyncOperation", ctx.async_operation_url(&op)),
                        ("Location", location),
                        ("Retry-After", retry_after(st)),
                    ],
                ))
            }
        }
    }
}

pub(super) fn delete(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
) -> Result<Response, ApiError> {
    let key = lower(&format!("{}/backupInstances/{}", vault.id, name));
    let Some(inst) = st.instances.get(&key).cloned() else {
        return Ok(empty(StatusCode::NO_CONTENT));
    };
    if busy(st, &inst) {
        return Err(conflict(name));
    }
    let sub = crate::armpath::subscription_of(&vault.id).unwrap_or_default();
    let subjects = [
        inst.name.as_str(),
        inst.id.as_str(),
        inst.data_source_info.resource_id.as_str(),
    ];
    let id = crate::ops::start_operation(
        st,
        OpKind::Delete,
        ctx.api,
        &sub,
        &vault.location,
        &vault.id,
        Some(key.clone()),
        None,
        Some(inst.clone()),
        &subjects,
    );
    let soft = !vault.soft_delete.is_off();
    if let Some(i) = st.instances.get_mut(&key) {
        i.busy_operation = Some(id.clone());
        i.provisioning_state = "Deleting".into();
        if soft {
            // The enum's transient value while the instance moves to deletedBackupInstances.
            i.protection_state = "SoftDeleting".into();
            i.protection_status = "SoftDeleting".into();
        }
    }
    let op = operation(st, &id)?;
    Ok(accepted(st, ctx, &op))
}

pub(super) fn list(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    query: Option<&str>,
    now: u64,
) -> Result<Response, ApiError> {
    let prefix = format!("{}/backupinstances/", lower(&vault.id));
    let after = match query_param(query, "$skiptoken") {
        Some(t) => {
            let raw = base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                t.as_bytes(),
            )
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                ApiError::bad_request(
                    "UserErrorInvalidRequestParameter",
                    "The $skiptoken is invalid.",
                )
            })?;
            Some(raw)
        }
        None => None,
    };
    let page = st.knobs.page_size;
    let shape = st.knobs.list_shape.clone();
    let start = match &after {
        Some(a) => std::ops::Bound::Excluded(a.clone()),
        None => std::ops::Bound::Included(prefix.clone()),
    };
    // The page's number (from 1), for `list_shape.end_after_pages`.
    let page_no = match &after {
        Some(a) => {
            st.instances
                .range(prefix.clone()..=a.clone())
                .filter(|(k, _)| k.starts_with(&prefix))
                .count()
                / page
                + 1
        }
        None => 1,
    };
    // `list_shape.shift_pages`: a page after the first starts one instance late.
    let mut skip = usize::from(after.is_some() && shape.shift_pages);
    let mut items = Vec::new();
    let mut last_key = None;
    let mut more = false;
    let mut changed = false;
    for (k, inst) in st.instances.range_mut((start, std::ops::Bound::Unbounded)) {
        if !k.starts_with(&prefix) {
            break;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if items.len() == page {
            more = true;
            break;
        }
        changed |= crate::protection::settle_instance(inst, now);
        items.push(shaped_entry(render_instance(inst, ctx.api), &shape.entries));
        last_key = Some(k.clone());
    }
    if changed {
        st.bump();
    }
    let mut out = json!({"value": items});
    let listed = shape.next_link_vault.as_deref().unwrap_or(&vault.id);
    if shape.loop_next_link {
        out["nextLink"] = json!(format!(
            "{}{}/backupInstances?api-version={}",
            ctx.base, listed, ctx.api
        ));
    } else if let (true, Some(k)) = (more, last_key) {
        let token = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            k.as_bytes(),
        );
        if shape.end_after_pages.is_none_or(|n| page_no < n) {
            out["nextLink"] = json!(format!(
                "{}{}/backupInstances?api-version={}&$skiptoken={}",
                ctx.base, listed, ctx.api, token
            ));
        }
    }
    Ok(json_resp(StatusCode::OK, out))
}

/// A list entry as `list_shape.entries` wants it.
fn shaped_entry(mut entry: Value, shape: &crate::knobs::EntryShape) -> Value {
    use crate::knobs::EntryShape;
    match shape {
        EntryShape::Normal => {}
        EntryShape::ForeignVault(other) => {
            let name = entry["name"].as_str().unwrap_or_default().to_owned();
            entry["id"] = json!(format!("{other}/backupInstances/{name}"));
        }
        EntryShape::NoName => {
            if let Some(o) = entry.as_object_mut() {
                o.remove("name");
            }
        }
        EntryShape::DotDotName => {
            let id = entry["id"].as_str().unwrap_or_default();
            let parent = id.rsplit_once('/').map(|(p, _)| p).unwrap_or_default();
            entry["id"] = json!(format!("{parent}/.."));
            entry["name"] = json!("..");
        }
    }
    entry
}

/// The `Location` URL of validate and delete: 202 while running, then the result.
pub(super) fn operation_result(
    st: &EmuState,
    ctx: &Ctx,
    op: &Operation,
) -> Result<Response, ApiError> {
    match op.status {
        OpStatus::Inprogress => Ok(with_headers(
            empty(StatusCode::ACCEPTED),
            &[
                ("Location", ctx.location_result_url(op)),
                ("Azure-AsyncOperation", ctx.async_operation_url(op)),
                ("Retry-After", retry_after(st)),
            ],
        )),
        OpStatus::Failed => Ok(failed_response(op)),
        OpStatus::Succeeded => match op.kind {
            OpKind::Delete
            | OpKind::Undelete
            | OpKind::StopProtection
            | OpKind::SuspendBackups
            | OpKind::ResumeProtection
            | OpKind::ResumeBackups
            | OpKind::Sync => Ok(empty(StatusCode::NO_CONTENT)),
            OpKind::AdhocBackup | OpKind::Restore => Ok(json_resp(
                StatusCode::OK,
                json!({"objectType": "OperationJobExtendedInfo", "jobId": op.job_id}),
            )),
            OpKind::Create | OpKind::Update => {
                let key = op.instance_key.clone().unwrap_or_default();
                match st.instances.get(&key) {
                    Some(i) => Ok(json_resp(StatusCode::OK, render_instance(i, ctx.api))),
                    None => Ok(empty(StatusCode::NO_CONTENT)),
                }
            }
            OpKind::Validate | OpKind::ValidateRestore => Ok(with_headers(
                json_resp(
                    StatusCode::OK,
                    json!({"objectType": "OperationJobExtendedInfo"}),
                ),
                &[("Azure-AsyncOperation", ctx.async_operation_url(op))],
            )),
        },
    }
}

/// The `Location` URL of a PUT update: 202 without a body until done, then 200 with the resource.
pub(super) fn instance_operation_result(
    st: &mut EmuState,
    ctx: &Ctx,
    op: &Operation,
    key: &str,
    self_path: &str,
) -> Result<Response, ApiError> {
    match op.status {
        OpStatus::Inprogress => Ok(with_headers(
            empty(StatusCode::ACCEPTED),
            &[
                ("Location", ctx.url(self_path)),
                ("Azure-AsyncOperation", ctx.async_operation_url(op)),
                ("Retry-After", retry_after(st)),
            ],
        )),
        OpStatus::Failed => Ok(failed_response(op)),
        OpStatus::Succeeded => {
            let now = st.now();
            match st.instances.get_mut(key) {
                Some(i) => {
                    crate::protection::settle_instance(i, now);
                    Ok(json_resp(StatusCode::OK, render_instance(i, ctx.api)))
                }
                None => Err(not_found_instance(
                    &crate::armpath::last_segment(key),
                    &op.vault_id,
                )),
            }
        }
    }
}

/// The protection actions on a live instance, with the states each may start from (the
/// service's exact rules are not documented; see "Deviations" in docs/emulator.md).
pub(super) fn action(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
    kind: OpKind,
    now: u64,
) -> Result<Response, ApiError> {
    let key = lower(&format!("{}/backupInstances/{}", vault.id, name));
    let inst = match st.instances.get_mut(&key) {
        Some(i) => {
            crate::protection::settle_instance(i, now);
            i.clone()
        }
        None => return Err(not_found_instance(name, &vault.id)),
    };
    if busy(st, &inst) {
        return Err(conflict(name));
    }
    let state = inst.protection_state.as_str();
    let allowed = match kind {
        OpKind::StopProtection => !matches!(state, "ProtectionStopped"),
        OpKind::SuspendBackups => state == "ProtectionConfigured",
        OpKind::ResumeProtection => is_held(state),
        OpKind::ResumeBackups => state == "BackupsSuspended",
        _ => false,
    };
    if !allowed {
        return Err(ApiError::service(
            StatusCode::BAD_REQUEST,
            "UserErrorInvalidProtectionStateForOperation",
            format!(
                "The operation '{}' is not allowed for the backup instance '{name}' in the protection state '{state}'.",
                kind.knob_name()
            ),
            &["Check the backup instance's protection state, then retry."],
            None,
        ));
    }
    let sub = crate::armpath::subscription_of(&vault.id).unwrap_or_default();
    let subjects = [
        inst.name.as_str(),
        inst.id.as_str(),
        inst.data_source_info.resource_id.as_str(),
    ];
    let id = crate::ops::start_operation(
        st,
        kind,
        ctx.api,
        &sub,
        &vault.location,
        &vault.id,
        Some(key.clone()),
        None,
        Some(inst.clone()),
        &subjects,
    );
    if let Some(i) = st.instances.get_mut(&key) {
        i.busy_operation = Some(id.clone());
    }
    let op = operation(st, &id)?;
    Ok(accepted(st, ctx, &op))
}
