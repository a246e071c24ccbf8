//! The admin API under `/admin` (no token, loopback only): request log and counters, world
//! get/replace, adding datasources, granting and revoking roles, listing and out-of-band
//! deleting instances, flipping protection states, and knobs.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::armpath::lower;
use super::knobs::ProtectionOutcome;
use super::protection::apply_protection;
use super::server::{PeerAddr, Shared};
use super::state::State as EmuState;
use super::world::{DatasourceResource, Grant};
use super::{lifecycle, ops, protection};

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/admin/requests", get(requests).delete(reset))
        .route("/admin/counters", get(counters))
        .route("/admin/world", get(get_world).put(put_world))
        .route("/admin/datasources", post(add_datasources))
        .route("/admin/grants", post(add_grant).delete(revoke_grant))
        .route("/admin/instances", get(instances))
        .route("/admin/deleted-instances", get(deleted_instances))
        .route("/admin/instances/protection-state", post(flip_protection))
        .route("/admin/instances/{*id}", delete(delete_instance))
        .route("/admin/knobs", get(get_knobs).put(put_knobs))
        .route("/admin/operations", get(operations))
        .route("/admin/operations/finish", post(finish_operations))
        .layer(middleware::from_fn(loopback_only))
}

/// The listener only binds loopback addresses; this is the second line, per request.
pub(crate) async fn loopback_only(req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<PeerAddr>().map(|p| p.0);
    match peer {
        Some(SocketAddr::V4(a)) if a.ip().is_loopback() => next.run(req).await,
        Some(SocketAddr::V6(a))
            if a.ip().is_loopback() || a.ip().to_ipv4_mapped().is_some_and(|v| v.is_loopback()) =>
        {
            next.run(req).await
        }
        _ => bad(
            StatusCode::FORBIDDEN,
            "the admin API answers loopback clients only",
        ),
    }
}

fn bad(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    let st = shared.lock();
    axum::Json(json!({"requests": st.log})).into_response()
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().reset_log();
    StatusCode::NO_CONTENT.into_response()
}

async fn counters(State(shared): State<Arc<Shared>>) -> Response {
    let st = shared.lock();
    axum::Json(json!({"operations": st.counters})).into_response()
}

async fn get_world(State(shared): State<Arc<Shared>>) -> Response {
    let st = shared.lock();
    axum::Json(json!(st.world)).into_response()
}

/// Replaces the world after checking it; existing instances are kept as they are.
fn change_world(
    shared: &Shared,
    f: impl FnOnce(&mut super::world::World) -> Result<(), String>,
) -> Response {
    let mut st = shared.lock();
    let mut w = st.world.clone();
    if let Err(e) = f(&mut w).and_then(|_| w.check()) {
        return bad(StatusCode::BAD_REQUEST, &e);
    }
    st.world = w;
    st.bump();
    let body = json!(st.world);
    drop(st);
    shared.persist_soon();
    axum::Json(body).into_response()
}

async fn put_world(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let new: super::world::World = match parse(&body) {
        Ok(w) => w,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    change_world(&shared, |w| {
        *w = new;
        Ok(())
    })
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DatasourceBody {
    One(DatasourceResource),
    Many(Vec<DatasourceResource>),
    Wrapped {
        datasources: Vec<DatasourceResource>,
    },
}

async fn add_datasources(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let list = match parse::<DatasourceBody>(&body) {
        Ok(DatasourceBody::One(d)) => vec![d],
        Ok(DatasourceBody::Many(v)) | Ok(DatasourceBody::Wrapped { datasources: v }) => v,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    let resp = change_world(&shared, |w| {
        let mut seen: std::collections::HashSet<String> =
            w.datasources.iter().map(|d| lower(&d.id)).collect();
        for d in list {
            if !seen.insert(lower(&d.id)) {
                return Err(format!("datasource '{}' already exists", d.id));
            }
            w.datasources.push(d);
        }
        w.reindex();
        Ok(())
    });
    if resp.status() == StatusCode::OK {
        (StatusCode::CREATED, axum::Json(json!({"added": true}))).into_response()
    } else {
        resp
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    principal_id: Option<String>,
    /// A vault ARM ID (or name) instead of `principal_id`: its identity is meant.
    vault: Option<String>,
    scope: String,
    role: Option<String>,
    action: Option<String>,
}

fn resolve_principal(shared: &Shared, g: &GrantBody) -> Result<String, String> {
    if let Some(p) = &g.principal_id {
        return Ok(p.clone());
    }
    let v = g.vault.as_deref().ok_or("give principal_id or vault")?;
    let st = shared.lock();
    st.world
        .vaults
        .iter()
        .find(|x| {
            lower(&x.id) == lower(v) || super::armpath::last_segment(&x.id).eq_ignore_ascii_case(v)
        })
        .map(|x| x.principal_id.clone())
        .ok_or_else(|| format!("unknown vault '{v}'"))
}

async fn add_grant(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let g: GrantBody = match parse(&body) {
        Ok(g) => g,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    let principal = match resolve_principal(&shared, &g) {
        Ok(p) => p,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    let resp = change_world(&shared, |w| {
        w.grants.push(Grant {
            principal_id: principal,
            scope: g.scope,
            role: g.role,
            action: g.action,
        });
        Ok(())
    });
    if resp.status() == StatusCode::OK {
        (StatusCode::CREATED, axum::Json(json!({"granted": true}))).into_response()
    } else {
        resp
    }
}

async fn revoke_grant(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let g: GrantBody = match parse(&body) {
        Ok(g) => g,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    let principal = match resolve_principal(&shared, &g) {
        Ok(p) => p,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    let mut st = shared.lock();
    let before = st.world.grants.len();
    let same = |a: &Option<String>, b: &Option<String>| {
        b.is_none()
            || a.as_deref().map(str::to_ascii_lowercase)
                == b.as_deref().map(str::to_ascii_lowercase)
    };
    st.world.grants.retain(|x| {
        !(x.principal_id.eq_ignore_ascii_case(&principal)
            && lower(&x.scope) == lower(&g.scope)
            && same(&x.role, &g.role)
            && same(&x.action, &g.action))
    });
    let removed = before - st.world.grants.len();
    st.bump();
    drop(st);
    shared.persist_soon();
    axum::Json(json!({"removed": removed})).into_response()
}

/// Soft-deleted instances of every vault, with their deletion and purge times (ms since epoch).
async fn deleted_instances(State(shared): State<Arc<Shared>>) -> Response {
    let mut st = shared.lock();
    let now = st.now();
    ops::settle(&mut st, now);
    lifecycle::purge_deleted(&mut st, now);
    let list: Vec<Value> = st
        .deleted
        .values()
        .map(|d| {
            json!({
                "id": format!("{}/deletedBackupInstances/{}", d.instance.vault_id, d.instance.name),
                "name": d.instance.name, "vault_id": d.instance.vault_id,
                "datasource_id": d.instance.data_source_info.resource_id,
                "deletion_ms": d.deletion_ms, "purge_ms": d.purge_ms,
            })
        })
        .collect();
    axum::Json(json!({"deleted_instances": list})).into_response()
}

async fn instances(State(shared): State<Arc<Shared>>) -> Response {
    let mut st = shared.lock();
    let now = st.now();
    ops::settle(&mut st, now);
    protection::settle_all(&mut st, now);
    let list: Vec<Value> = st
        .instances
        .values()
        .map(|i| {
            json!({
                "id": i.id, "name": i.name, "vault_id": i.vault_id, "datasource_id": i.data_source_info.resource_id,
                "policy_id": i.policy_id, "provisioning_state": i.provisioning_state, "current_protection_state": i.protection_state,
                "protection_status": i.protection_status, "busy_operation": i.busy_operation,
            })
        })
        .collect();
    axum::Json(json!({"instances": list})).into_response()
}

async fn operations(State(shared): State<Arc<Shared>>) -> Response {
    let mut st = shared.lock();
    let now = st.now();
    ops::settle(&mut st, now);
    let mut ops: Vec<Value> = st
        .operations
        .values()
        .map(|o| {
            let mut v = super::dataprotection::render_operation(o);
            v["kind"] = json!(format!("{:?}", o.kind));
            v["instance"] = json!(o.instance_key);
            v["api_version"] = json!(o.api_version);
            v
        })
        .collect();
    ops.sort_by(|a, b| a["startTime"].as_str().cmp(&b["startTime"].as_str()));
    axum::Json(json!({"operations": ops})).into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FinishBody {
    /// One operation ID; all running operations when absent.
    id: Option<String>,
}

/// Makes running operations (also never-finishing ones) complete now.
async fn finish_operations(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let f: FinishBody = if body.is_empty() {
        FinishBody::default()
    } else {
        match parse(&body) {
            Ok(f) => f,
            Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
        }
    };
    let mut st = shared.lock();
    let n = {
        let now = st.now();
        ops::finish_now(&mut st, f.id.as_deref(), now)
    };
    drop(st);
    shared.persist_soon();
    axum::Json(json!({"finished": n})).into_response()
}

async fn delete_instance(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let id = percent_encoding::percent_decode_str(&id)
        .decode_utf8_lossy()
        .into_owned();
    let id = if id.starts_with('/') {
        id
    } else {
        format!("/{id}")
    };
    let mut st = shared.lock();
    if st.remove_instance(&lower(&id)).is_none() {
        return bad(StatusCode::NOT_FOUND, &format!("no backup instance '{id}'"));
    }
    st.bump();
    drop(st);
    shared.persist_soon();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlipBody {
    id: String,
    /// `ProtectionConfigured`, `ProtectionError`, `ConfiguringProtectionFailed`,
    /// `ConfiguringProtection`, or any other state string (e.g. `ProtectionStopped`).
    state: String,
}

async fn flip_protection(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let f: FlipBody = match parse(&body) {
        Ok(f) => f,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    let mut st = shared.lock();
    let Some(inst) = st.instances.get_mut(&lower(&f.id)) else {
        return bad(
            StatusCode::NOT_FOUND,
            &format!("no backup instance '{}'", f.id),
        );
    };
    match f.state.as_str() {
        "ProtectionConfigured" => apply_protection(inst, ProtectionOutcome::ProtectionConfigured),
        "ProtectionError" => apply_protection(inst, ProtectionOutcome::ProtectionError),
        "ConfiguringProtectionFailed" => {
            apply_protection(inst, ProtectionOutcome::ConfiguringProtectionFailed)
        }
        "ConfiguringProtection" => apply_protection(inst, ProtectionOutcome::Stuck),
        other if !other.is_empty() => {
            inst.protection_state = other.to_string();
            inst.protection_status = other.to_string();
            inst.protection_error = None;
            inst.protection_due_ms = None;
        }
        _ => return bad(StatusCode::BAD_REQUEST, "state must not be empty"),
    }
    let out = json!({"id": inst.id, "current_protection_state": inst.protection_state, "protection_status": inst.protection_status});
    st.bump();
    drop(st);
    shared.persist_soon();
    axum::Json(out).into_response()
}

async fn get_knobs(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(json!(shared.lock().knobs)).into_response()
}

/// Partial update; a `seed` key (even unchanged) restarts the fault sequence.
async fn put_knobs(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let patch: Value = match parse(&body) {
        Ok(v) => v,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    if !patch.is_object() {
        return bad(StatusCode::BAD_REQUEST, "knobs must be a JSON object");
    }
    let reseed = patch.get("seed").is_some();
    let mut st: std::sync::MutexGuard<'_, EmuState> = shared.lock();
    let merged = match st.knobs.merged(&patch) {
        Ok(k) => k,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    st.set_knobs(merged, reseed);
    let out = json!(st.knobs);
    drop(st);
    shared.persist_soon();
    axum::Json(out).into_response()
}
