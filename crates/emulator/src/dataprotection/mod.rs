//! The ARM side of the Data Protection API: bearer-token and api-version checks and the
//! case-insensitive routing of `/subscriptions/...` paths to the operations. The operations
//! themselves are in [`handlers`]; the service's answers (bodies, headers, errors) in [`shapes`].

mod backups;
mod clusters;
mod deleted;
mod disks;
mod handlers;
mod restores;
mod shapes;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::armpath::{lower, request_segments};
use super::errors::ApiError;
use super::server::Shared;
use super::state::OpKind;
use super::state::{State as EmuState, now_ms};
use super::world::{SoftDeleteState, Vault};
use deleted::{get_deleted, list_deleted, undelete};
use handlers::{action, delete, instance_operation_result, list, operation_result, put, validate};
use shapes::{Ctx, json_resp, not_found_instance, op_not_found, render_vault, status_response};
pub use shapes::{render_instance, render_operation};

/// The api-versions this emulator speaks; anything else is refused as ARM refuses it.
pub const SUPPORTED_API_VERSIONS: &[&str] =
    &["2021-01-01", "2025-07-01", "2025-09-01", "2026-06-01"];

/// From this api-version on, every request on a vault without `AlwaysOn` soft delete is refused.
const ALWAYS_ON_SINCE: &str = "2025-09-01";
/// The service's words for that refusal (captured in azurerm PR #31877; the code was not).
pub const ALWAYS_ON_MESSAGE: &str = "This API version requires backup vaults to have the soft delete setting configured to Enable Always-On Soft Delete.";
const ALWAYS_ON_ACTION: &str = "To use this API version, you must configure backup vaults with the soft delete setting set to Enable Always-On Soft Delete. If you don't want to enable this setting, use an older API version instead.";
/// Our guess at the code; only the message and recommended action are known.
pub const ALWAYS_ON_CODE: &str = "UserErrorAlwaysOnSoftDeleteRequired";
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Which operation a request is, for the request log and counters.
pub fn classify(method: &Method, path: &str) -> String {
    let segs: Vec<String> = request_segments(path)
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let name = match s.as_slice() {
        ["admin", ..] => "admin",
        [_, "oauth2", ..] => "token",
        ["msi", "token"] | ["metadata", "identity", ..] => "managedIdentityToken",
        ["metadata", "endpoints"] => "metadata",
        [_, "v2.0", ".well-known", ..] | ["common", "discovery", ..] => "discovery",
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.dataprotection",
            "locations",
            _,
            "operationstatus",
            _,
        ] => "operationStatus",
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.dataprotection",
            "locations",
            _,
            "operationresults",
            _,
        ] => "operationResult",
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.dataprotection",
            "backupvaults",
            _,
            rest @ ..,
        ] => match rest {
            ["validateforbackup"] => "validateForBackup",
            ["backupinstances"] => "listBackupInstances",
            ["backupinstances", _] => match *method {
                Method::PUT => "putBackupInstance",
                Method::DELETE => "deleteBackupInstance",
                _ => "getBackupInstance",
            },
            ["backupinstances", _, "operationresults", _] => "backupInstanceOperationResult",
            ["backupinstances", _, "stopprotection"] => "stopProtection",
            ["backupinstances", _, "suspendbackups"] => "suspendBackups",
            ["backupinstances", _, "resumeprotection"] => "resumeProtection",
            ["backupinstances", _, "resumebackups"] => "resumeBackups",
            ["backupinstances", _, "backup"] => "adhocBackup",
            ["backupinstances", _, "sync"] => "syncBackupInstance",
            ["backupinstances", _, "validaterestore"] => "validateRestore",
            ["backupinstances", _, "restore"] => "triggerRestore",
            ["backupinstances", _, "findrestorabletimeranges"] => "findRestorableTimeRanges",
            ["backupinstances", _, "recoverypoints"] => "listRecoveryPoints",
            ["backupinstances", _, "recoverypoints", _] => "getRecoveryPoint",
            ["backupjobs"] => "listBackupJobs",
            ["backupjobs", _] => "getBackupJob",
            ["deletedbackupinstances"] => "listDeletedBackupInstances",
            ["deletedbackupinstances", _] => "getDeletedBackupInstance",
            ["deletedbackupinstances", _, "undelete"] => "undeleteBackupInstance",
            ["operationstatus", _] => "operationStatus",
            ["operationresults", _] => "operationResult",
            [] => "getBackupVault",
            ["backuppolicies", ..] => "getBackupPolicy",
            _ => "arm",
        },
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.containerservice",
            "managedclusters",
            _,
        ] => "getManagedCluster",
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.compute",
            "disks",
            _,
        ] => match *method {
            Method::DELETE => "deleteDisk",
            _ => "getDisk",
        },
        ["subscriptions", ..] => "arm",
        _ => "other",
    };
    name.to_string()
}

fn query_param(req_query: Option<&str>, name: &str) -> Option<String> {
    let q = req_query?;
    url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

pub fn api_version_of(query: Option<&str>) -> Option<String> {
    query_param(query, "api-version")
}

/// Checks the bearer token the way ARM's gateway does.
fn authenticate(st: &EmuState, headers: &HeaderMap) -> Result<(), ApiError> {
    let challenge = format!(
        "Bearer authorization_uri=\"https://login.microsoftonline.com/{}\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header.\"",
        st.world.tenant_id
    );
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let token = match auth {
        None | Some("") => {
            let mut e = ApiError::arm(
                StatusCode::UNAUTHORIZED,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            );
            e.www_authenticate = Some(challenge);
            return Err(e);
        }
        Some(a) => match a.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() => {
                t.trim()
            }
            _ => {
                let mut e = ApiError::arm(
                    StatusCode::UNAUTHORIZED,
                    "AuthenticationFailedInvalidHeader",
                    "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                );
                e.www_authenticate = Some(challenge);
                return Err(e);
            }
        },
    };
    match st.tokens.get(token) {
        Some(exp) if *exp > now_ms() => Ok(()),
        Some(_) => Err(ApiError::arm(
            StatusCode::UNAUTHORIZED,
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        )),
        None => Err(ApiError::arm(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )),
    }
}

fn check_api_version(query: Option<&str>, resource_type: &str) -> Result<String, ApiError> {
    let supported = SUPPORTED_API_VERSIONS.join(", ");
    let Some(v) = api_version_of(query) else {
        return Err(ApiError::arm(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    let well_formed = v.len() >= 10
        && v.as_bytes()[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && (v.len() == 10 || v[10..].starts_with("-preview"));
    if !well_formed {
        return Err(ApiError::arm(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!("The api-version '{v}' is invalid. The supported versions are '{supported}'."),
        ));
    }
    if !SUPPORTED_API_VERSIONS.contains(&v.as_str()) {
        return Err(ApiError::arm(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location 'westeurope' and API version '{v}' for type '{resource_type}'. The supported api-versions are '{supported}'. The supported locations are 'westeurope'."
            ),
        ));
    }
    Ok(v)
}

/// Entry point for everything that is not identity or admin.
pub async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::arm(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                "The request content is too large.",
            )
            .into_response();
        }
    };
    let segs = request_segments(parts.uri.path());
    let query = parts.uri.query();
    let mut st = shared.lock();
    match route(
        &shared,
        &mut st,
        &parts.method,
        &segs,
        query,
        &parts.headers,
        &body,
    ) {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

#[allow(clippy::too_many_arguments)]
fn route(
    shared: &Shared,
    st: &mut EmuState,
    method: &Method,
    segs: &[String],
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ApiError> {
    let l: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let ls: Vec<&str> = l.iter().map(String::as_str).collect();
    if ls.first() != Some(&"subscriptions") || ls.len() < 2 {
        return Err(ApiError::arm(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource does not exist.",
        ));
    }
    authenticate(st, headers)?;
    let sub = segs[1].clone();
    if !st.world.has_subscription(&sub) {
        return Err(ApiError::arm(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{sub}' could not be found."),
        ));
    }
    let now = st.now();
    super::ops::settle(st, now);
    match ls.as_slice() {
        [
            "subscriptions",
            _,
            "providers",
            "microsoft.dataprotection",
            "locations",
            _,
            kind @ ("operationstatus" | "operationresults"),
            _,
        ] => {
            let api = check_api_version(query, "locations/operationStatus")?;
            if *method != Method::GET {
                return Err(method_not_allowed(method));
            }
            let id = &segs[7];
            let op = st
                .operations
                .get(id)
                .filter(|o| o.subscription.eq_ignore_ascii_case(&sub))
                .cloned()
                .ok_or_else(|| op_not_found(id))?;
            let ctx = Ctx {
                base: &shared.base_url,
                api: &api,
            };
            if *kind == "operationstatus" {
                Ok(status_response(st, &op))
            } else {
                operation_result(st, &ctx, &op)
            }
        }
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.dataprotection",
            "backupvaults",
            _,
            ..,
        ] => {
            let rg = &segs[3];
            let vault_name = &segs[7];
            let resource_type = match ls.get(8) {
                Some(&"backupinstances") => "backupVaults/backupInstances",
                Some(&"backuppolicies") => "backupVaults/backupPolicies",
                Some(&"deletedbackupinstances") => "backupVaults/deletedBackupInstances",
                Some(_) => "backupVaults/operationStatus",
                None => "backupVaults",
            };
            let api = check_api_version(query, resource_type)?;
            if st
                .world
                .resource_group(&format!("/subscriptions/{sub}/resourceGroups/{rg}"))
                .is_none()
            {
                return Err(ApiError::arm(
                    StatusCode::NOT_FOUND,
                    "ResourceGroupNotFound",
                    format!("Resource group '{rg}' could not be found."),
                ));
            }
            let vault_id = format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults/{vault_name}"
            );
            let vault = st.world.vault(&vault_id).cloned().ok_or_else(|| {
                ApiError::arm(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFound",
                    format!(
                        "The Resource 'Microsoft.DataProtection/backupVaults/{vault_name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
                    ),
                )
            })?;
            if api.as_str() >= ALWAYS_ON_SINCE
                && vault.soft_delete.state != SoftDeleteState::AlwaysOn
            {
                return Err(ApiError::service(
                    StatusCode::BAD_REQUEST,
                    ALWAYS_ON_CODE,
                    ALWAYS_ON_MESSAGE,
                    &[ALWAYS_ON_ACTION],
                    None,
                ));
            }
            let ctx = Ctx {
                base: &shared.base_url,
                api: &api,
            };
            vault_route(
                st,
                &ctx,
                method,
                &vault,
                &segs[8..],
                &ls[8..],
                query,
                body,
                now,
            )
        }
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.containerservice",
            "managedclusters",
            _,
        ] => clusters::get(st, method, &sub, &segs[3], &segs[7], query),
        [
            "subscriptions",
            _,
            "resourcegroups",
            _,
            "providers",
            "microsoft.compute",
            "disks",
            _,
        ] => disks::handle(st, method, &sub, &segs[3], &segs[7], query),
        _ => {
            check_api_version(query, "unknown")?;
            Err(ApiError::arm(
                StatusCode::NOT_FOUND,
                "NotFound",
                "The requested resource does not exist in this emulator.",
            ))
        }
    }
}

/// The protection action a lower-cased `backupInstances/{name}/{verb}` segment names.
fn action_kind(verb: &str) -> Option<OpKind> {
    match verb {
        "stopprotection" => Some(OpKind::StopProtection),
        "suspendbackups" => Some(OpKind::SuspendBackups),
        "resumeprotection" => Some(OpKind::ResumeProtection),
        "resumebackups" => Some(OpKind::ResumeBackups),
        _ => None,
    }
}

fn method_not_allowed(method: &Method) -> ApiError {
    ApiError::arm(
        StatusCode::METHOD_NOT_ALLOWED,
        "HttpMethodNotAllowed",
        format!("The HTTP method '{method}' is not supported for this resource."),
    )
}

#[allow(clippy::too_many_arguments)]
fn vault_route(
    st: &mut EmuState,
    ctx: &Ctx,
    method: &Method,
    vault: &Vault,
    rest: &[String],
    lrest: &[&str],
    query: Option<&str>,
    body: &[u8],
    now: u64,
) -> Result<Response, ApiError> {
    match (lrest, method) {
        ([], &Method::GET) => Ok(json_resp(StatusCode::OK, render_vault(st, vault))),
        (["backuppolicies", _], &Method::GET) => backups::get_policy(st, vault, &rest[1]),
        (["validateforbackup"], &Method::POST) => validate(st, ctx, vault, body),
        (["backupinstances", _, "backup"], &Method::POST) => {
            backups::adhoc_backup(st, ctx, vault, &rest[1], body)
        }
        (["backupinstances", _, "sync"], &Method::POST) => {
            backups::sync(st, ctx, vault, &rest[1], body)
        }
        (["backupinstances", _, "validaterestore"], &Method::POST) => {
            restores::validate_restore(st, ctx, vault, &rest[1], body)
        }
        (["backupinstances", _, "restore"], &Method::POST) => {
            restores::trigger_restore(st, ctx, vault, &rest[1], body)
        }
        (["backupinstances", _, "findrestorabletimeranges"], &Method::POST) => {
            restores::find_time_ranges(st, vault, &rest[1], body)
        }
        (["backupinstances", _, "recoverypoints"], &Method::GET) => {
            backups::list_points(st, ctx, vault, &rest[1], query)
        }
        (["backupinstances", _, "recoverypoints", _], &Method::GET) => {
            backups::get_point(st, vault, &rest[1], &rest[3])
        }
        (["backupjobs"], &Method::GET) => backups::list_jobs(st, ctx, vault, query),
        (["backupjobs", _], &Method::GET) => backups::get_job(st, vault, &rest[1]),
        (["backupinstances"], &Method::GET) => list(st, ctx, vault, query, now),
        (["backupinstances", _], &Method::GET) => {
            let key = lower(&format!("{}/backupInstances/{}", vault.id, rest[1]));
            let inst = st
                .instances
                .get_mut(&key)
                .ok_or_else(|| not_found_instance(&rest[1], &vault.id))?;
            if super::protection::settle_instance(inst, now) {
                let v = render_instance(inst, ctx.api);
                st.bump();
                return Ok(json_resp(StatusCode::OK, v));
            }
            Ok(json_resp(StatusCode::OK, render_instance(inst, ctx.api)))
        }
        (["backupinstances", _], &Method::PUT) => put(st, ctx, vault, &rest[1], body),
        (["backupinstances", _], &Method::DELETE) => delete(st, ctx, vault, &rest[1]),
        (["backupinstances", _, verb], &Method::POST) if action_kind(verb).is_some() => {
            let kind = action_kind(verb).unwrap_or(OpKind::StopProtection);
            action(st, ctx, vault, &rest[1], kind, now)
        }
        (["deletedbackupinstances"], &Method::GET) => list_deleted(st, ctx, vault),
        (["deletedbackupinstances", _], &Method::GET) => get_deleted(st, ctx, vault, &rest[1]),
        (["deletedbackupinstances", _, "undelete"], &Method::POST) => {
            undelete(st, ctx, vault, &rest[1])
        }
        (["backupinstances", _, "operationresults", _], &Method::GET) => {
            let key = lower(&format!("{}/backupInstances/{}", vault.id, rest[1]));
            let op = st
                .operations
                .get(&rest[3])
                .filter(|o| o.instance_key.as_deref() == Some(key.as_str()))
                .cloned()
                .ok_or_else(|| op_not_found(&rest[3]))?;
            instance_operation_result(
                st,
                ctx,
                &op,
                &key,
                &format!(
                    "{}/backupInstances/{}/operationResults/{}",
                    vault.id, rest[1], op.id
                ),
            )
        }
        (["operationstatus", _], &Method::GET) => {
            let op = st
                .operations
                .get(&rest[1])
                .filter(|o| lower(&o.vault_id) == lower(&vault.id))
                .cloned()
                .ok_or_else(|| op_not_found(&rest[1]))?;
            Ok(status_response(st, &op))
        }
        (["operationresults", _], &Method::GET) => {
            let op = st
                .operations
                .get(&rest[1])
                .filter(|o| lower(&o.vault_id) == lower(&vault.id))
                .cloned()
                .ok_or_else(|| op_not_found(&rest[1]))?;
            operation_result(st, ctx, &op)
        }
        (
            []
            | ["backuppolicies", _]
            | ["validateforbackup"]
            | ["backupinstances"]
            | ["backupinstances", _],
            m,
        ) => Err(method_not_allowed(m)),
        _ => Err(ApiError::arm(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "The resource '{}/{}' is not served by this emulator.",
                vault.id,
                rest.join("/")
            ),
        )),
    }
}
