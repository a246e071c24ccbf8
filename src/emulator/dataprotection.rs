//! The ARM side: bearer-token check, api-version check, case-insensitive routing of
//! `/subscriptions/...` paths, and the Data Protection operations (validateForBackup, backup
//! instance PUT/GET/LIST/DELETE, operation status and results) with the service's answers.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::armpath::{lower, request_segments};
use super::errors::ApiError;
use super::server::Shared;
use super::state::{OpKind, OpStatus, Operation, State as EmuState, now_ms};
use super::validation::{check_sync, is_legacy, parse_instance};
use super::world::Vault;

/// The api-versions this emulator speaks; anything else is refused as ARM refuses it.
pub const SUPPORTED_API_VERSIONS: &[&str] = &["2021-01-01", "2025-07-01"];
const MAX_BODY: usize = 4 * 1024 * 1024;
const BI_TYPE: &str = "Microsoft.DataProtection/backupVaults/backupInstances";

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
            ["operationstatus", _] => "operationStatus",
            ["operationresults", _] => "operationResult",
            [] => "getBackupVault",
            ["backuppolicies", ..] => "getBackupPolicy",
            _ => "arm",
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

fn with_headers(mut resp: Response, headers: &[(&str, String)]) -> Response {
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

fn json_resp(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    r
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

struct Ctx<'a> {
    base: &'a str,
    api: &'a str,
}

impl Ctx<'_> {
    fn url(&self, path: &str) -> String {
        let sig = if is_legacy(self.api) {
            String::new()
        } else {
            signature_params()
        };
        format!("{}{}?api-version={}{}", self.base, path, self.api, sig)
    }

    /// Azure-AsyncOperation: subscription/location scope in 2021-01-01, vault scope since.
    fn async_operation_url(&self, op: &Operation) -> String {
        self.url(&status_path(op))
    }

    fn location_result_url(&self, op: &Operation) -> String {
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
    v
}

/// A backup instance as the given api-version returns it.
pub fn render_instance(inst: &super::state::Instance, api: &str) -> Value {
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

fn not_found_instance(name: &str, vault: &str) -> ApiError {
    ApiError::service(
        StatusCode::NOT_FOUND,
        "UserErrorGenericResourceNotFound",
        format!("The backup instance '{name}' was not found in the backup vault '{vault}'."),
        &["Check that the backup instance exists, then retry."],
        None,
    )
}

fn op_not_found(id: &str) -> ApiError {
    ApiError::service(
        StatusCode::NOT_FOUND,
        "UserErrorGenericResourceNotFound",
        format!("The operation '{id}' was not found."),
        &["Use the operation URL returned by the service."],
        None,
    )
}

fn retry_after(st: &EmuState) -> String {
    st.knobs.retry_after.to_string()
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
    let now = now_ms();
    st.settle(now);
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
        (["backuppolicies", _], &Method::GET) => {
            let id = format!("{}/backupPolicies/{}", vault.id, rest[1]);
            let p = st.world.policy(&id).ok_or_else(|| {
                ApiError::service(
                    StatusCode::NOT_FOUND,
                    "UserErrorGenericResourceNotFound",
                    format!("Backup policy '{id}' was not found."),
                    &[],
                    None,
                )
            })?;
            Ok(json_resp(
                StatusCode::OK,
                json!({"id": p.id, "name": rest[1], "type": "Microsoft.DataProtection/backupVaults/backupPolicies",
                       "properties": {"datasourceTypes": [p.datasource_type], "objectType": "BackupPolicy"}}),
            ))
        }
        (["validateforbackup"], &Method::POST) => validate(st, ctx, vault, body),
        (["backupinstances"], &Method::GET) => list(st, ctx, vault, query, now),
        (["backupinstances", _], &Method::GET) => {
            let key = lower(&format!("{}/backupInstances/{}", vault.id, rest[1]));
            let inst = st
                .instances
                .get_mut(&key)
                .ok_or_else(|| not_found_instance(&rest[1], &vault.id))?;
            if EmuState::settle_instance(inst, now) {
                let v = render_instance(inst, ctx.api);
                st.bump();
                return Ok(json_resp(StatusCode::OK, v));
            }
            Ok(json_resp(StatusCode::OK, render_instance(inst, ctx.api)))
        }
        (["backupinstances", _], &Method::PUT) => put(st, ctx, vault, &rest[1], body),
        (["backupinstances", _], &Method::DELETE) => delete(st, ctx, vault, &rest[1]),
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

fn render_vault(st: &EmuState, vault: &Vault) -> Value {
    json!({
        "id": vault.id,
        "name": super::armpath::last_segment(&vault.id),
        "type": "Microsoft.DataProtection/backupVaults",
        "location": vault.location,
        "identity": {"type": "SystemAssigned", "principalId": vault.principal_id, "tenantId": st.world.tenant_id},
        "properties": {"provisioningState": "Succeeded", "storageSettings": [{"datastoreType": "VaultStore", "type": "LocallyRedundant"}]},
    })
}

fn status_response(st: &EmuState, op: &Operation) -> Response {
    let resp = json_resp(StatusCode::OK, render_operation(op));
    if op.status == OpStatus::Inprogress {
        with_headers(resp, &[("Retry-After", retry_after(st))])
    } else {
        resp
    }
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::invalid_content("the request body is empty"));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::invalid_content(e.to_string()))
}

fn validate(
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
    check_sync(st, vault, &inst, None)?;
    let subjects = [
        inst.data_source_info.resource_id.clone(),
        inst.friendly_name.clone(),
    ];
    let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
    let sub = super::armpath::subscription_of(&vault.id).unwrap_or_default();
    let id = st.start_operation(
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
    let op = st
        .operations
        .get(&id)
        .cloned()
        .ok_or_else(|| op_not_found(&id))?;
    Ok(with_headers(
        empty(StatusCode::ACCEPTED),
        &[
            ("Azure-AsyncOperation", ctx.async_operation_url(&op)),
            ("Location", ctx.location_result_url(&op)),
            ("Retry-After", retry_after(st)),
        ],
    ))
}

/// ARM-style resource names: letters, digits, `-`, `_`, `.`; what clients put into URLs unescaped.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 260
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn busy(st: &EmuState, inst: &super::state::Instance) -> bool {
    inst.busy_operation
        .as_ref()
        .and_then(|o| st.operations.get(o))
        .is_some_and(|o| o.status == OpStatus::Inprogress)
}

fn conflict(name: &str) -> ApiError {
    ApiError::service(
        StatusCode::CONFLICT,
        "UserErrorAnotherOperationInProgress",
        format!("Another operation is in progress on the backup instance '{name}'."),
        &["Wait for the current operation to finish, then retry."],
        None,
    )
}

fn put(
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
    check_sync(st, vault, &inst, Some(&key))?;
    let sub = super::armpath::subscription_of(&vault.id).unwrap_or_default();
    let subjects = [
        inst.name.clone(),
        inst.id.clone(),
        inst.data_source_info.resource_id.clone(),
    ];
    let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
    match existing {
        None => {
            let id = st.start_operation(
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
            let op = st
                .operations
                .get(&id)
                .cloned()
                .ok_or_else(|| op_not_found(&id))?;
            st.settle(now_ms());
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
            let id = st.start_operation(
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
            let op = st
                .operations
                .get(&id)
                .cloned()
                .ok_or_else(|| op_not_found(&id))?;
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

fn delete(st: &mut EmuState, ctx: &Ctx, vault: &Vault, name: &str) -> Result<Response, ApiError> {
    let key = lower(&format!("{}/backupInstances/{}", vault.id, name));
    let Some(inst) = st.instances.get(&key).cloned() else {
        return Ok(empty(StatusCode::NO_CONTENT));
    };
    if busy(st, &inst) {
        return Err(conflict(name));
    }
    let sub = super::armpath::subscription_of(&vault.id).unwrap_or_default();
    let subjects = [
        inst.name.as_str(),
        inst.id.as_str(),
        inst.data_source_info.resource_id.as_str(),
    ];
    let id = st.start_operation(
        OpKind::Delete,
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
        i.provisioning_state = "Deleting".into();
    }
    let op = st
        .operations
        .get(&id)
        .cloned()
        .ok_or_else(|| op_not_found(&id))?;
    Ok(with_headers(
        empty(StatusCode::ACCEPTED),
        &[
            ("Azure-AsyncOperation", ctx.async_operation_url(&op)),
            ("Location", ctx.location_result_url(&op)),
            ("Retry-After", retry_after(st)),
        ],
    ))
}

fn list(
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
    let start = match &after {
        Some(a) => std::ops::Bound::Excluded(a.clone()),
        None => std::ops::Bound::Included(prefix.clone()),
    };
    let mut items = Vec::new();
    let mut last_key = None;
    let mut more = false;
    let mut changed = false;
    for (k, inst) in st.instances.range_mut((start, std::ops::Bound::Unbounded)) {
        if !k.starts_with(&prefix) {
            break;
        }
        if items.len() == page {
            more = true;
            break;
        }
        changed |= EmuState::settle_instance(inst, now);
        items.push(render_instance(inst, ctx.api));
        last_key = Some(k.clone());
    }
    if changed {
        st.bump();
    }
    let mut out = json!({"value": items});
    if let (true, Some(k)) = (more, last_key) {
        let token = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            k.as_bytes(),
        );
        out["nextLink"] = json!(format!(
            "{}{}/backupInstances?api-version={}&$skiptoken={}",
            ctx.base, vault.id, ctx.api, token
        ));
    }
    Ok(json_resp(StatusCode::OK, out))
}

fn failed_response(op: &Operation) -> Response {
    let status = StatusCode::from_u16(op.error_http).unwrap_or(StatusCode::BAD_REQUEST);
    ApiError::from_error_object(status, op.error.clone().unwrap_or(Value::Null)).into_response()
}

/// The `Location` URL of validate and delete: 202 while running, then the result.
fn operation_result(st: &EmuState, ctx: &Ctx, op: &Operation) -> Result<Response, ApiError> {
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
            OpKind::Delete => Ok(empty(StatusCode::NO_CONTENT)),
            OpKind::Create | OpKind::Update => {
                let key = op.instance_key.clone().unwrap_or_default();
                match st.instances.get(&key) {
                    Some(i) => Ok(json_resp(StatusCode::OK, render_instance(i, ctx.api))),
                    None => Ok(empty(StatusCode::NO_CONTENT)),
                }
            }
            OpKind::Validate => Ok(with_headers(
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
fn instance_operation_result(
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
            let now = now_ms();
            match st.instances.get_mut(key) {
                Some(i) => {
                    EmuState::settle_instance(i, now);
                    Ok(json_resp(StatusCode::OK, render_instance(i, ctx.api)))
                }
                None => Err(not_found_instance(
                    &super::armpath::last_segment(key),
                    &op.vault_id,
                )),
            }
        }
    }
}
