//! The identity side: Entra ID token endpoint (client secret or client assertion), OpenID
//! discovery documents, managed-identity token endpoints and the ARM cloud metadata document,
//! all pointing back at the emulator. Tokens are opaque random strings with an expiry.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::RngCore;
use serde_json::{Value, json};

use super::server::Shared;
use super::state::now_ms;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn aad_error(status: StatusCode, error: &str, code: u32, description: &str) -> Response {
    let trace = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {trace} Timestamp: {}", time_now()),
        "error_codes": [code],
        "timestamp": time_now(),
        "trace_id": trace,
        "correlation_id": trace,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    (status, axum::Json(body)).into_response()
}

fn time_now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Why a client assertion was refused, as AADSTS code and text.
fn check_assertion(assertion: &str, client_id: &str) -> Result<(), (u32, &'static str)> {
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 || parts.iter().take(2).any(|p| p.is_empty()) {
        return Err((50027, "JWT token is invalid or malformed."));
    }
    let decode = |s: &str| -> Option<Value> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let (Some(_header), Some(claims)) = (decode(parts[0]), decode(parts[1])) else {
        return Err((50027, "JWT token is invalid or malformed."));
    };
    let claim = |n: &str| claims.get(n).and_then(Value::as_str);
    // An emulator cannot check signatures against a real app registration; it checks the claims.
    if claim("iss") != Some(client_id) || claim("sub") != Some(client_id) {
        return Err((
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    if claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_some_and(|exp| exp * 1000 < now_ms() as i64)
    {
        return Err((
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    Ok(())
}

/// `POST /{tenant}/oauth2/v2.0/token` (client credentials).
pub async fn token(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let mut st = shared.lock();
    let w = &st.world;
    if !tenant.eq_ignore_ascii_case(&w.tenant_id) {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(other) => {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
            );
        }
        None => {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            );
        }
    }
    let client_id = form.get("client_id").map(String::as_str).unwrap_or("");
    if client_id.is_empty() {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        );
    }
    if !client_id.eq_ignore_ascii_case(&w.client_id) {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        );
    }
    if let Some(secret) = form.get("client_secret") {
        if secret != &w.client_secret {
            return aad_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                ),
            );
        }
    } else if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
            return aad_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                700023,
                &format!("client_assertion_type must be '{ASSERTION_TYPE}'."),
            );
        }
        if let Err((code, text)) = check_assertion(assertion, client_id) {
            return aad_error(StatusCode::UNAUTHORIZED, "invalid_client", code, text);
        }
    } else {
        return aad_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    }
    if form.get("scope").is_none_or(|s| s.trim().is_empty()) {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        );
    }
    let token = new_token();
    let lifetime = st.knobs.token_lifetime_secs;
    st.issue_token(token.clone());
    drop(st);
    shared.persist_soon();
    axum::Json(json!({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token})).into_response()
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`
pub async fn openid_configuration(
    State(shared): State<Arc<Shared>>,
    Path(tenant): Path<String>,
) -> Response {
    let base = &shared.base_url;
    let known = {
        let st = shared.lock();
        tenant.eq_ignore_ascii_case(&st.world.tenant_id)
            || ["common", "organizations"].contains(&tenant.as_str())
    };
    if !known {
        return aad_error(
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{tenant}' not found."),
        );
    }
    axum::Json(json!({
        "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{tenant}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tenant}/oauth2/v2.0/devicecode"),
        "end_session_endpoint": format!("{base}/{tenant}/oauth2/v2.0/logout"),
        "tenant_region_scope": "WW",
        "cloud_instance_name": "emulator",
    }))
    .into_response()
}

/// `GET /common/discovery/instance` (MSAL instance discovery).
pub async fn instance_discovery(State(shared): State<Arc<Shared>>) -> Response {
    let base = &shared.base_url;
    let host = base.split("://").nth(1).unwrap_or(base).to_string();
    axum::Json(json!({
        "tenant_discovery_endpoint": format!("{base}/common/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    }))
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct MsiQuery {
    resource: Option<String>,
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

fn managed_identity_token(shared: &Shared) -> (String, u64) {
    let token = new_token();
    let expiry = {
        let mut st = shared.lock();
        st.issue_token(token.clone())
    };
    shared.persist_soon();
    (token, expiry / 1000)
}

/// App Service style: `GET /msi/token?resource=...&api-version=2019-08-01` with `X-IDENTITY-HEADER`.
pub async fn msi_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<MsiQuery>,
) -> Response {
    let expected = shared.lock().world.identity_header.clone();
    let given = headers
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"statusCode": 401, "message": "Unauthorized: X-IDENTITY-HEADER is missing or wrong."}))).into_response();
    }
    let Some(resource) = q.resource.filter(|r| !r.is_empty()) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"statusCode": 400, "message": "The 'resource' query parameter is required."}))).into_response();
    };
    if q.api_version.is_none() {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"statusCode": 400, "message": "The 'api-version' query parameter is required."}))).into_response();
    }
    let client_id = shared.lock().world.client_id.clone();
    let (token, expires_on) = managed_identity_token(&shared);
    axum::Json(json!({"access_token": token, "expires_on": expires_on.to_string(), "resource": resource, "token_type": "Bearer", "client_id": client_id}))
        .into_response()
}

/// IMDS style: `GET /metadata/identity/oauth2/token?resource=...` with `Metadata: true`.
pub async fn imds_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<MsiQuery>,
) -> Response {
    if headers.get("metadata").and_then(|v| v.to_str().ok()) != Some("true") {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}))).into_response();
    }
    let Some(resource) = q.resource.filter(|r| !r.is_empty()) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_request", "error_description": "Required query variable 'resource' is missing"}))).into_response();
    };
    let client_id = shared.lock().world.client_id.clone();
    let (token, expires_on) = managed_identity_token(&shared);
    let lifetime = expires_on.saturating_sub(now_ms() / 1000);
    axum::Json(json!({
        "access_token": token, "client_id": client_id, "expires_in": lifetime.to_string(), "expires_on": expires_on.to_string(),
        "ext_expires_in": lifetime.to_string(), "not_before": (now_ms() / 1000).to_string(), "resource": resource, "token_type": "Bearer",
    }))
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct MetadataQuery {
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

/// `GET /metadata/endpoints?api-version=2022-09-01`: the ARM cloud metadata document, pointing
/// at the emulator for both management and login. Older api-versions get the single-object form.
pub async fn metadata_endpoints(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<MetadataQuery>,
) -> Response {
    let base = &shared.base_url;
    let cloud = json!({
        "name": "AzureCloud",
        "portal": format!("{base}/portal"),
        "authentication": {
            "loginEndpoint": format!("{base}/"),
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": format!("{base}/"),
        "graphAudience": "https://graph.windows.net/",
        "graph": format!("{base}/"),
        "batch": "https://batch.core.windows.net/",
        "resourceManager": format!("{base}/"),
        "microsoftGraphResourceId": "https://graph.microsoft.com/",
        "sqlManagement": "https://management.core.windows.net:8443/",
        "suffixes": {"keyVaultDns": "vault.azure.net", "storage": "core.windows.net", "sqlServerHostname": "database.windows.net", "acrLoginServer": "azurecr.io"},
    });
    let new_format = q.api_version.as_deref().is_some_and(|v| v >= "2022-09-01");
    if new_format {
        axum::Json(json!([cloud])).into_response()
    } else {
        axum::Json(cloud).into_response()
    }
}
