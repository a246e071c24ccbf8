//! Serving: the accept loop (TLS or plain, HTTP/1.1 and HTTP/2), graceful shutdown, the
//! per-request wrapper (request ids, fault injection, request log) around the axum router,
//! and the background writer of `--state`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::Service as _;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::dataprotection::{api_version_of, classify};
use super::state::{Fault, LogEntry, State, now_ms};

/// Everything the handlers share.
pub struct Shared {
    state: Mutex<State>,
    /// `https://127.0.0.1:PORT` (no trailing slash); every URL the emulator hands out starts so.
    pub base_url: String,
    persist: Notify,
    pub state_file: Option<PathBuf>,
    /// CA certificate and key PEM, kept in the state file.
    pub ca: Option<(String, String)>,
}

impl Shared {
    pub fn new(
        state: State,
        base_url: String,
        state_file: Option<PathBuf>,
        ca: Option<(String, String)>,
    ) -> Shared {
        Shared {
            state: Mutex::new(state),
            base_url,
            persist: Notify::new(),
            state_file,
            ca,
        }
    }

    /// The state lock. Handlers hold it only for in-memory work, never across an await.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock must not take the whole emulator down with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks the state writer to save soon (no-op without `--state`).
    pub fn persist_soon(&self) {
        if self.state_file.is_some() {
            self.persist.notify_one();
        }
    }
}

/// The client's address, put into request extensions for the admin API's loopback check.
#[derive(Clone, Copy, Debug)]
pub struct PeerAddr(pub SocketAddr);

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
pub struct DroppedByFaultInjection;

impl std::fmt::Display for DroppedByFaultInjection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedByFaultInjection {}

fn header_str<'a>(req: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 200)
}

fn fault_response(
    fault: Fault,
    retry_after: u64,
    subscription: &str,
    request_id: &str,
) -> Response<Body> {
    let (status, code, message) = match fault {
        Fault::Throttle => (
            StatusCode::TOO_MANY_REQUESTS,
            "SubscriptionRequestsThrottled",
            format!(
                "Number of requests for subscription '{subscription}' exceeded the limit. Please try again after '{retry_after}' seconds. (emulator fault injection)"
            ),
        ),
        Fault::ServerError(503) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is temporarily unavailable. Please retry. (emulator fault injection)"
                .to_string(),
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!(
                "Encountered internal server error. Diagnostic information: tracking id '{request_id}'. (emulator fault injection)"
            ),
        ),
    };
    let mut r = super::errors::ApiError::arm(status, code, message);
    r.www_authenticate = None;
    let mut resp = axum::response::IntoResponse::into_response(r);
    if fault == Fault::Throttle || status == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut()
            .insert("retry-after", HeaderValue::from(retry_after));
    }
    resp
}

/// Wraps the router: ids on every answer, faults before routing, and the request log.
async fn handle(
    shared: Arc<Shared>,
    app: Router,
    peer: SocketAddr,
    mut req: Request<Incoming>,
) -> Result<Response<Body>, DroppedByFaultInjection> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let api_version = api_version_of(req.uri().query());
    let operation = classify(&method, &path);
    let request_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = header_str(&req, "x-ms-correlation-request-id")
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let client_request_id = header_str(&req, "x-ms-client-request-id").map(str::to_string);
    let is_admin = operation == "admin";
    let is_arm = path.len() > 14 && path[..14].eq_ignore_ascii_case("/subscriptions");
    let (fault, retry_after, latency_ms) = if is_arm {
        let mut st = shared.lock();
        (
            super::faults::draw(&mut st),
            st.knobs.retry_after,
            st.knobs.latency_ms,
        )
    } else {
        (Fault::None, 0, 0)
    };
    // ARM's round trip, paid before the request acts (as the real front door's is), so that
    // concurrent clients overlap their waits as they would against Azure.
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let record = |status: u16| {
        if is_admin {
            return;
        }
        let entry = LogEntry {
            time_ms: now_ms(),
            method: method.to_string(),
            path: path.clone(),
            api_version: api_version.clone(),
            operation: operation.clone(),
            status,
            ms: started.elapsed().as_secs_f64() * 1000.0,
            request_id: request_id.clone(),
            correlation_id: correlation_id.clone(),
        };
        tracing::debug!(method = %entry.method, path = %entry.path, status, ms = entry.ms, "request");
        shared.lock().record(entry);
    };
    let mut resp = match fault {
        Fault::Drop => {
            record(0);
            tracing::info!(%path, "dropping connection (fault injection)");
            return Err(DroppedByFaultInjection);
        }
        Fault::Throttle | Fault::ServerError(_) => {
            let sub = path.split('/').nth(2).unwrap_or("").to_string();
            fault_response(fault, retry_after, &sub, &request_id)
        }
        Fault::None => {
            let scripted = if is_arm {
                super::answers::rule_for(&shared.lock().knobs, &operation, &path)
            } else {
                None
            };
            match scripted.as_ref().and_then(super::answers::replacement) {
                Some(r) => r,
                None => {
                    req.extensions_mut().insert(PeerAddr(peer));
                    let svc = TowerToHyperService::new(app);
                    let r = match svc.call(req).await {
                        Ok(r) => r,
                        Err(never) => match never {},
                    };
                    match scripted {
                        Some(_) => super::answers::without_id(r).await,
                        None => r,
                    }
                }
            }
        }
    };
    let h = resp.headers_mut();
    for (name, value) in [
        ("x-ms-request-id", Some(request_id.as_str())),
        ("x-ms-correlation-request-id", Some(correlation_id.as_str())),
        ("x-ms-client-request-id", client_request_id.as_deref()),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            h.insert(name, v);
        }
    }
    // ARM's Date is the service's clock: here the emulator's, moved on by the admin clock.
    if is_arm {
        let now = shared.lock().now();
        if let Ok(v) = HeaderValue::from_str(&super::clock::http_date(now)) {
            h.insert("date", v);
        }
    }
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    h.insert("pragma", HeaderValue::from_static("no-cache"));
    h.insert("expires", HeaderValue::from_static("-1"));
    record(resp.status().as_u16());
    shared.persist_soon();
    Ok(resp)
}

/// Accepts connections until `shutdown`, then lets open ones finish (bounded) and returns.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let tracker = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let (app, shared, tls, shutdown) =
            (app.clone(), shared.clone(), tls.clone(), shutdown.clone());
        tracker.spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                handle(shared.clone(), app.clone(), peer, req)
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            match tls {
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                            .await
                    else {
                        tracing::debug!(%peer, "TLS handshake failed");
                        return;
                    };
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = shutdown.cancelled() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                        }
                    }
                }
                None => {
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = shutdown.cancelled() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                        }
                    }
                }
            }
        });
    }
    tracker.close();
    let _ = tokio::time::timeout(Duration::from_secs(6), tracker.wait()).await;
}

/// Writes the state file whenever it changed, at most every 25 ms, and once more at shutdown.
pub async fn persist_loop(shared: Arc<Shared>, shutdown: CancellationToken) {
    let Some(path) = shared.state_file.clone() else {
        return;
    };
    let mut written = None;
    loop {
        let stop = tokio::select! {
            _ = shared.persist.notified() => false,
            _ = shutdown.cancelled() => true,
        };
        if let Err(e) = write_state(&shared, &path, &mut written).await {
            tracing::error!(error = %e, path = %path.display(), "could not write the state file");
        }
        if stop {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Atomic: a temporary file next to the target, flushed, then renamed over it. A failed write
/// leaves the old file as it was and no temporary file behind.
pub async fn write_state(
    shared: &Shared,
    path: &std::path::Path,
    written: &mut Option<u64>,
) -> Result<(), String> {
    let (version, bytes) = {
        let st = shared.lock();
        if *written == Some(st.version) {
            return Ok(());
        }
        let ca = shared.ca.as_ref().map(|(c, k)| (c.as_str(), k.as_str()));
        (
            st.version,
            serde_json::to_vec(&st.to_persisted(ca)).map_err(|e| e.to_string())?,
        )
    };
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> Result<(), String> {
        use std::io::Write;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        // Dropped on any error below, which deletes the temporary file.
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| e.to_string())?;
        tmp.write_all(&bytes).map_err(|e| e.to_string())?;
        tmp.as_file().sync_all().map_err(|e| e.to_string())?;
        tmp.persist(&path).map_err(|e| e.error.to_string())?;
        Ok(())
    })
    .await
    .map_err(|e| e.to_string())??;
    *written = Some(version);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Knobs, World};

    fn shared(path: &std::path::Path) -> Shared {
        let st = State::new(World::default_world(), Knobs::default());
        Shared::new(
            st,
            "http://127.0.0.1:1".into(),
            Some(path.to_path_buf()),
            None,
        )
    }

    fn entries(dir: &std::path::Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[tokio::test]
    async fn state_write_replaces_the_file_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "old").unwrap();
        let sh = shared(&path);
        let mut written = None;
        write_state(&sh, &path, &mut written).await.unwrap();
        assert!(written.is_some());
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["format"], 1);
        assert_eq!(entries(dir.path()), ["state.json"]);
    }

    /// The rename fails (the target is a directory): an error, and no temporary file is left.
    #[tokio::test]
    async fn failed_state_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("keep"), "x").unwrap();
        let sh = shared(&path);
        let mut written = None;
        assert!(write_state(&sh, &path, &mut written).await.is_err());
        assert!(written.is_none());
        assert_eq!(entries(dir.path()), ["state.json"]);
        assert_eq!(entries(&path), ["keep"]);
    }
}
