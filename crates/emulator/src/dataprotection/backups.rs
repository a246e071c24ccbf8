//! The day-2 operations over HTTP: adhoc backup, sync, recovery points, backup jobs and a
//! policy's GET. Each parses its request, asks the rooms (jobs, recovery points, schedule,
//! policies) and writes the service's answer.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::handlers::{accepted, busy, parse_json};
use super::query_param;
use super::shapes::{Ctx, conflict, json_resp, not_found_instance, op_not_found};
use crate::armpath::{lower, subscription_of};
use crate::errors::ApiError;
use crate::state::{OpKind, State as EmuState};
use crate::world::Vault;
use crate::{jobs, ops, policies, recovery_points, schedule};

/// The opaque answer the service gives a wrong rule name or tag (documented complaint in two
/// CLI issues: it does not say what is wrong).
fn invalid_input() -> ApiError {
    ApiError::service(
        StatusCode::BAD_REQUEST,
        "BMSUserErrorInvalidInput",
        "Input provided for the call is invalid",
        &["Check the required inputs"],
        None,
    )
}

fn instance_key(vault: &Vault, name: &str) -> String {
    lower(&format!("{}/backupInstances/{name}", vault.id))
}

/// `POST …/backupInstances/{name}/backup`: checks the rule and tag against the instance's
/// policy, refuses a second backup while one runs on the datasource, then starts the trigger
/// operation; the job is created when it ends.
pub(super) fn adhoc_backup(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let key = instance_key(vault, name);
    let inst = st
        .instances
        .get(&key)
        .cloned()
        .ok_or_else(|| not_found_instance(name, &vault.id))?;
    let v = parse_json(body)?;
    let opts = v
        .get("backupRuleOptions")
        .filter(|o| o.is_object())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "backupRuleOptions is required.",
            )
        })?;
    let rule_name = opts
        .get("ruleName")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "backupRuleOptions.ruleName is required.",
            )
        })?;
    let trigger = opts
        .get("triggerOption")
        .filter(|t| t.is_object())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "backupRuleOptions.triggerOption is required.",
            )
        })?;
    if inst.protection_state != "ProtectionConfigured" {
        return Err(ApiError::service(
            StatusCode::BAD_REQUEST,
            "UserErrorInvalidProtectionStateForOperation",
            format!(
                "A backup cannot be taken of backup instance '{name}' while its protection state is '{}'.",
                inst.protection_state
            ),
            &["Resume protection (or fix the protection error and sync the instance), then retry."],
            None,
        ));
    }
    let policy = st.world.policy(&inst.policy_id).ok_or_else(invalid_input)?;
    let rule = policies::backup_rule(policy).ok_or_else(invalid_input)?;
    if !rule.name.eq_ignore_ascii_case(rule_name) {
        return Err(invalid_input());
    }
    let tag = match trigger.get("retentionTagOverride").and_then(Value::as_str) {
        Some(t) if !t.is_empty() => rule.tag(t).ok_or_else(invalid_input)?.name.clone(),
        _ => rule
            .default_tag()
            .map(|t| t.name.clone())
            .ok_or_else(invalid_input)?,
    };
    if busy(st, &inst) {
        return Err(conflict(name));
    }
    if let Some(j) = jobs::running_on(st, &inst.data_source_info.resource_id) {
        return Err(ApiError::service(
            StatusCode::CONFLICT,
            "UserErrorAnotherOperationInProgress",
            format!(
                "Another backup job ('{}') is in progress for the datasource '{}'.",
                j.guid, inst.data_source_info.resource_id
            ),
            &["Wait for the running job to finish, then retry."],
            None,
        ));
    }
    let sub = subscription_of(&vault.id).unwrap_or_default();
    let subjects = [
        inst.name.as_str(),
        inst.id.as_str(),
        inst.data_source_info.resource_id.as_str(),
    ];
    let id = ops::start_operation(
        st,
        OpKind::AdhocBackup,
        ctx.api,
        &sub,
        &vault.location,
        &vault.id,
        Some(key.clone()),
        None,
        None,
        &subjects,
    );
    if let Some(o) = st.operations.get_mut(&id) {
        o.backup_options = Some((rule.name.clone(), tag));
    }
    if let Some(i) = st.instances.get_mut(&key) {
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

/// `POST …/backupInstances/{name}/sync`: starts the operation that retries what left the
/// instance in ProtectionError.
pub(super) fn sync(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    let key = instance_key(vault, name);
    let inst = st
        .instances
        .get(&key)
        .cloned()
        .ok_or_else(|| not_found_instance(name, &vault.id))?;
    if !body.is_empty() {
        let v = parse_json(body)?;
        match v.get("syncType").and_then(Value::as_str) {
            None | Some("Default") | Some("ForceResync") => {}
            Some(other) => {
                return Err(ApiError::bad_request(
                    "UserErrorInvalidRequestParameter",
                    format!("syncType '{other}' is not valid; use Default or ForceResync."),
                ));
            }
        }
    }
    if busy(st, &inst) {
        return Err(conflict(name));
    }
    let sub = subscription_of(&vault.id).unwrap_or_default();
    let subjects = [
        inst.name.as_str(),
        inst.id.as_str(),
        inst.data_source_info.resource_id.as_str(),
    ];
    let id = ops::start_operation(
        st,
        OpKind::Sync,
        ctx.api,
        &sub,
        &vault.location,
        &vault.id,
        Some(key.clone()),
        None,
        None,
        &subjects,
    );
    if let Some(i) = st.instances.get_mut(&key) {
        i.busy_operation = Some(id.clone());
    }
    let op = st
        .operations
        .get(&id)
        .cloned()
        .ok_or_else(|| op_not_found(&id))?;
    Ok(accepted(st, ctx, &op))
}

/// The `$skipToken` of a page link: the index of the page's first entry.
fn skip(query: Option<&str>) -> Result<usize, ApiError> {
    match query_param(query, "$skipToken") {
        None => Ok(0),
        Some(t) => t.parse().map_err(|_| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                format!("The $skipToken '{t}' is not valid."),
            )
        }),
    }
}

fn page(
    ctx: &Ctx,
    path: &str,
    extra: &str,
    items: Vec<Value>,
    from: usize,
    size: usize,
) -> Response {
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(from).take(size).collect();
    let mut out = json!({"value": value});
    if from + size < total {
        out["nextLink"] = json!(format!(
            "{}{}?api-version={}{}&$skipToken={}",
            ctx.base,
            path,
            ctx.api,
            extra,
            from + size
        ));
    }
    json_resp(StatusCode::OK, out)
}

/// `GET …/backupInstances/{name}/recoveryPoints[?$filter=…]`, newest first, paged.
pub(super) fn list_points(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    name: &str,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let key = instance_key(vault, name);
    let now = st.now();
    schedule::catch_up(st, Some(&key), now);
    let inst = st
        .instances
        .get(&key)
        .ok_or_else(|| not_found_instance(name, &vault.id))?;
    let filter = query_param(query, "$filter");
    let window = recovery_points::parse_filter(filter.as_deref())?;
    let items: Vec<Value> = recovery_points::select(st, &key, window)
        .into_iter()
        .map(|p| recovery_points::render(&inst.id, p))
        .collect();
    let extra = filter
        .filter(|f| !f.is_empty())
        .map(|f| {
            format!(
                "&$filter={}",
                percent_encoding::utf8_percent_encode(&f, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .unwrap_or_default();
    Ok(page(
        ctx,
        &format!("{}/recoveryPoints", inst.id),
        &extra,
        items,
        skip(query)?,
        st.knobs.history_page_size,
    ))
}

pub(super) fn get_point(
    st: &mut EmuState,
    vault: &Vault,
    name: &str,
    id: &str,
) -> Result<Response, ApiError> {
    let key = instance_key(vault, name);
    let now = st.now();
    schedule::catch_up(st, Some(&key), now);
    let inst = st
        .instances
        .get(&key)
        .ok_or_else(|| not_found_instance(name, &vault.id))?;
    let p = recovery_points::find(st, &key, id).ok_or_else(|| {
        ApiError::service(
            StatusCode::NOT_FOUND,
            "UserErrorRecoveryPointNotFound",
            format!("The recovery point '{id}' was not found for backup instance '{name}'."),
            &["List the recovery points of the backup instance and use one of their IDs."],
            None,
        )
    })?;
    Ok(json_resp(
        StatusCode::OK,
        recovery_points::render(&inst.id, p),
    ))
}

/// `GET {vault}/backupJobs`: every job of the vault, oldest first (the service documents no
/// order and no filter), paged.
pub(super) fn list_jobs(
    st: &mut EmuState,
    ctx: &Ctx,
    vault: &Vault,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let now = st.now();
    let vault_prefix = format!("{}/", lower(&vault.id));
    schedule::catch_up(st, Some(&vault_prefix), now);
    let prefix = jobs::key(&vault.id, "");
    let mut list: Vec<_> = st
        .jobs
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, j)| j)
        .collect();
    list.sort_by(|a, b| a.start_ms.cmp(&b.start_ms).then(a.guid.cmp(&b.guid)));
    let items: Vec<Value> = list.into_iter().map(|j| jobs::render(j, now)).collect();
    Ok(page(
        ctx,
        &format!("{}/backupJobs", vault.id),
        "",
        items,
        skip(query)?,
        st.knobs.history_page_size,
    ))
}

pub(super) fn get_job(st: &mut EmuState, vault: &Vault, guid: &str) -> Result<Response, ApiError> {
    let now = st.now();
    let vault_prefix = format!("{}/", lower(&vault.id));
    schedule::catch_up(st, Some(&vault_prefix), now);
    let job = st.jobs.get(&jobs::key(&vault.id, guid)).ok_or_else(|| {
        ApiError::service(
            StatusCode::NOT_FOUND,
            "UserErrorJobNotFound",
            format!(
                "The job '{guid}' was not found in the Backup vault '{}'.",
                vault.id
            ),
            &["Check the job ID; jobs belong to the vault that ran them."],
            None,
        )
    })?;
    Ok(json_resp(StatusCode::OK, jobs::render(job, now)))
}

/// `GET {vault}/backupPolicies/{name}`.
pub(super) fn get_policy(st: &EmuState, vault: &Vault, name: &str) -> Result<Response, ApiError> {
    let id = format!("{}/backupPolicies/{name}", vault.id);
    let p = st.world.policy(&id).ok_or_else(|| {
        ApiError::service(
            StatusCode::NOT_FOUND,
            "UserErrorGenericResourceNotFound",
            format!("Backup policy '{id}' was not found."),
            &[],
            None,
        )
    })?;
    Ok(json_resp(StatusCode::OK, policies::render(p)))
}
