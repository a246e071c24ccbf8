//! The admin API's clock and history routes (no token, loopback only): the emulator's clock
//! (read it, move it on, which runs the backups that fall due), running the schedule now, and
//! every job, recovery point and completed restore kept.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::clock::rfc3339;
use super::server::Shared;
use super::{jobs, recovery_points, schedule};

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/admin/clock", get(get_clock))
        .route("/admin/clock/advance", post(advance))
        .route("/admin/schedule/run", post(run_schedule))
        .route("/admin/jobs", get(list_jobs))
        .route("/admin/recovery-points", get(list_points))
        .route("/admin/restores", get(list_restores))
        .layer(middleware::from_fn(super::admin::loopback_only))
}

fn bad(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn parse<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, String> {
    if body.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

async fn get_clock(State(shared): State<Arc<Shared>>) -> Response {
    let st = shared.lock();
    let now = st.now();
    axum::Json(json!({"now_ms": now, "now": rfc3339(now), "offset_ms": st.clock_offset_ms}))
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AdvanceBody {
    seconds: Option<u64>,
    hours: Option<u64>,
    days: Option<u64>,
}

/// Moves the clock on by `seconds` + `hours` + `days` (at most 400 days at once) and runs the
/// scheduled backups, job ends and expiries that fall in between.
async fn advance(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: AdvanceBody = match parse(&body) {
        Ok(b) => b,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    let secs = b
        .seconds
        .unwrap_or(0)
        .saturating_add(b.hours.unwrap_or(0).saturating_mul(3600))
        .saturating_add(b.days.unwrap_or(0).saturating_mul(86_400));
    if secs == 0 || secs > 400 * 86_400 {
        return bad(
            StatusCode::BAD_REQUEST,
            "give seconds, hours or days: more than 0 and at most 400 days in all",
        );
    }
    let mut st = shared.lock();
    let (now, started) = schedule::advance(&mut st, secs * 1000);
    let offset = st.clock_offset_ms;
    drop(st);
    shared.persist_soon();
    axum::Json(
        json!({"now_ms": now, "now": rfc3339(now), "offset_ms": offset, "jobs_started": started}),
    )
    .into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RunBody {
    /// One backup instance (ARM ID); every protected instance when absent.
    instance: Option<String>,
}

/// One scheduled backup now for every protected instance (or one), as if its schedule fired.
async fn run_schedule(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let b: RunBody = match parse(&body) {
        Ok(b) => b,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e),
    };
    let mut st = shared.lock();
    let now = st.now();
    let jobs = schedule::run_now(&mut st, b.instance.as_deref(), now);
    drop(st);
    shared.persist_soon();
    axum::Json(json!({"jobs": jobs})).into_response()
}

/// Every job kept, oldest first, as `GET {vault}/backupJobs/{guid}` returns it.
async fn list_jobs(State(shared): State<Arc<Shared>>) -> Response {
    let mut st = shared.lock();
    let now = st.now();
    schedule::catch_up(&mut st, None, now);
    let mut list: Vec<_> = st.jobs.values().collect();
    list.sort_by_key(|j| j.start_ms);
    let out: Vec<Value> = list.into_iter().map(|j| jobs::render(j, now)).collect();
    axum::Json(json!({"jobs": out})).into_response()
}

/// Every recovery point kept, per instance, newest first.
async fn list_points(State(shared): State<Arc<Shared>>) -> Response {
    let mut st = shared.lock();
    let now = st.now();
    schedule::catch_up(&mut st, None, now);
    let mut out = serde_json::Map::new();
    for (key, points) in &st.recovery_points {
        let id = st
            .instances
            .get(key)
            .map(|i| i.id.clone())
            .unwrap_or_else(|| key.clone());
        let list: Vec<Value> = points
            .iter()
            .map(|p| recovery_points::render(&id, p))
            .collect();
        out.insert(id, Value::Array(list));
    }
    axum::Json(json!({"recovery_points": out})).into_response()
}

/// Every restore that completed, oldest first: its job, instance, recovery point or point in
/// time, and what it changed (`effect`).
async fn list_restores(State(shared): State<Arc<Shared>>) -> Response {
    let mut st = shared.lock();
    let now = st.now();
    schedule::catch_up(&mut st, None, now);
    axum::Json(json!({"restores": st.restores})).into_response()
}
