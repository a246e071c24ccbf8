//! A local, offline stand-in for the Azure Data Protection API and its token endpoint.
//!
//! It is its own implementation of the service, written from the published examples and
//! recorded traffic, and shares no code with the provider's client on purpose. Layout:
//!
//! The store holds data and knows no behaviour; each behaviour is a room above it that takes
//! the store and acts on it (the arrows run one way, as in mini-redis's `db.rs` and `cmd/`):
//!
//! - Data: [`state`] (the store: world, knobs, instances and their datasource index,
//!   operations, soft-deleted instances, tokens, request log, fault RNG), [`records`] (the
//!   records it keeps), [`world`] (the emulated tenant and the permission rules), [`knobs`]
//!   (durations, paging, outcomes, faults), [`clock`], [`armpath`], [`errors`].
//! - Rooms: [`ops`] (long-running operations: start, settle, effects), [`protection`] (how
//!   protection settles), [`lifecycle`] (soft delete, undelete, protection actions),
//!   [`validation`] (what validateForBackup and PUT check), [`kinds`] (per datasource kind:
//!   set info, parameters, api-versions, roles; its `types` are data), [`faults`] (seeded fault
//!   draws), [`policies`] (a policy's backup rule and its GET), [`jobs`] (backup and restore
//!   jobs), [`recovery_points`], [`schedule`] (the clock moving on, scheduled backups),
//!   [`answers`] (scripted answers: 404 shapes, answers without `id`),
//!   [`restore`] (validateRestore and restore per kind, restorable time ranges, what a
//!   completed restore changes).
//! - Serving: [`dataprotection`] (ARM routing and the operations' HTTP side), [`identity`]
//!   (token endpoints, discovery, metadata), [`admin`] and [`admin_history`] (the `/admin`
//!   API; the clock, schedule, jobs and recovery points), [`server`], [`tls`]
//!   (serving, fault injection, state file, certificates), [`cli`] (the command line).
//!
//! It is its own crate so that the provider binary, which holds users' credentials, links none
//! of it. `azurebackup-emulator --help` lists the flags; docs/emulator.md has the rest.

pub mod admin;
pub mod admin_history;
pub mod answers;
pub mod armpath;
pub mod cli;
pub mod clock;
pub mod dataprotection;
pub mod errors;
pub mod faults;
pub mod identity;
pub mod jobs;
pub mod kinds;
pub mod knobs;
pub mod lifecycle;
pub mod ops;
pub mod policies;
pub mod protection;
pub mod records;
pub mod recovery_points;
pub mod restore;
pub mod schedule;
pub mod server;
pub mod state;
pub mod tls;
pub mod validation;
pub mod world;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use serde_json::json;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use knobs::Knobs;
pub use world::World;

/// How to start an emulator (all optional; `Default` gives HTTPS on 127.0.0.1, a random port,
/// the default world and default knobs).
#[derive(Clone, Debug)]
pub struct EmulatorOptions {
    /// Must be a loopback address; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Plain HTTP instead of HTTPS.
    pub http: bool,
    /// Where to write the CA certificate (PEM). Default: next to `state_file`, else a temp dir.
    pub ca_file: Option<PathBuf>,
    /// The world; `None` means `world_file`, else the default world.
    pub world: Option<World>,
    pub world_file: Option<PathBuf>,
    /// Persist world, instances, operations and tokens here, and resume from it at start.
    pub state_file: Option<PathBuf>,
    /// Knobs to use (replacing persisted ones); `None` keeps persisted knobs or the defaults.
    pub knobs: Option<Knobs>,
    /// Overrides `knobs.seed`.
    pub seed: Option<u64>,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            http: false,
            ca_file: None,
            world: None,
            world_file: None,
            state_file: None,
            knobs: None,
            seed: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EmulatorError(pub String);

/// A running emulator. Dropping it stops serving; [`EmulatorHandle::shutdown`] also waits for
/// open connections and the last state write.
pub struct EmulatorHandle {
    /// `https://127.0.0.1:PORT` (or `http://` with `http: true`), no trailing slash.
    pub endpoint: String,
    /// `{endpoint}/admin`.
    pub admin: String,
    /// The CA certificate (PEM file); empty with `http: true`.
    pub ca_file: PathBuf,
    /// The CA certificate itself, for clients that add it as a root directly.
    pub ca_pem: Option<String>,
    /// Environment that points the provider at the emulator.
    pub env: BTreeMap<String, String>,
    pub addr: SocketAddr,
    shared: Arc<server::Shared>,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    /// Holds the CA file when neither `ca_file` nor `state_file` is given; removed on drop.
    temp_dir: Option<tempfile::TempDir>,
}

impl EmulatorHandle {
    /// The one JSON line printed on stdout at start-up.
    pub fn startup_line(&self) -> String {
        json!({
            "endpoint": self.endpoint,
            "ca_file": if self.ca_pem.is_some() { json!(self.ca_file) } else { json!(null) },
            "admin": self.admin,
            "env": self.env,
        })
        .to_string()
    }

    /// Stops accepting, lets open connections finish (bounded), writes the state file.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        if let Some(path) = self.shared.state_file.clone() {
            let mut none = None;
            if let Err(e) = server::write_state(&self.shared, &path, &mut none).await {
                tracing::error!(error = %e, "final state write failed");
            }
        }
        drop(self.temp_dir.take());
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
        drop(self.temp_dir.take());
    }
}

fn err(e: impl std::fmt::Display) -> EmulatorError {
    EmulatorError(e.to_string())
}

fn read_world(path: &Path) -> Result<World, EmulatorError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(format!("reading world file {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| err(format!("world file {}: {e}", path.display())))
}

fn write_private(path: &Path, contents: &str) -> Result<(), EmulatorError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| err(format!("creating {}: {e}", dir.display())))?;
    }
    std::fs::write(path, contents).map_err(|e| err(format!("writing {}: {e}", path.display())))
}

/// Starts an emulator on the current tokio runtime.
///
/// # Errors
/// Non-loopback listen address, unreadable or inconsistent world/state file, bind failure,
/// certificate generation or CA file write failure.
pub async fn start(opts: EmulatorOptions) -> Result<EmulatorHandle, EmulatorError> {
    if !opts.listen.ip().is_loopback() {
        return Err(err(format!(
            "refusing to listen on {}: the emulator serves loopback addresses only",
            opts.listen
        )));
    }
    let persisted = match &opts.state_file {
        Some(p) if p.exists() => {
            let text = std::fs::read(p)
                .map_err(|e| err(format!("reading state file {}: {e}", p.display())))?;
            let st: state::Persisted = serde_json::from_slice(&text)
                .map_err(|e| err(format!("state file {}: {e}", p.display())))?;
            if st.format != 1 {
                return Err(err(format!(
                    "state file {} has unknown format {}",
                    p.display(),
                    st.format
                )));
            }
            Some(st)
        }
        _ => None,
    };
    let persisted_ca = persisted
        .as_ref()
        .and_then(|p| Some((p.ca_cert_pem.clone()?, p.ca_key_pem.clone()?)));
    let mut st = match persisted {
        Some(p) => {
            tracing::info!("resuming from the state file (its world wins over --world)");
            state::State::from_persisted(p)
        }
        None => {
            let world = match (&opts.world, &opts.world_file) {
                (Some(w), _) => w.clone(),
                (None, Some(path)) => read_world(path)?,
                (None, None) => World::default_world(),
            };
            world.check().map_err(|e| err(format!("world: {e}")))?;
            state::State::new(world, Knobs::default())
        }
    };
    let mut knobs = opts.knobs.clone().unwrap_or_else(|| st.knobs.clone());
    if let Some(seed) = opts.seed {
        knobs.seed = seed;
    }
    knobs.check().map_err(err)?;
    st.set_knobs(knobs, true);

    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|e| err(format!("binding {}: {e}", opts.listen)))?;
    let addr = listener.local_addr().map_err(err)?;
    let host = match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    let scheme = if opts.http { "http" } else { "https" };
    let endpoint = format!("{scheme}://{host}:{}", addr.port());

    let mut temp_dir = None;
    let (acceptor, ca, ca_file) = if opts.http {
        (None, None, PathBuf::new())
    } else {
        let ca = match persisted_ca {
            Some((c, k)) => tls::Ca {
                cert_pem: c,
                key_pem: k,
            },
            None => tls::new_ca().map_err(err)?,
        };
        let cfg = tls::server_config(&ca).map_err(err)?;
        let path = match (&opts.ca_file, &opts.state_file) {
            (Some(p), _) => p.clone(),
            (None, Some(s)) => s
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .join("emulator-ca.pem"),
            (None, None) => {
                let dir = tempfile::Builder::new()
                    .prefix("azurebackup-emulator-")
                    .tempdir()
                    .map_err(|e| err(format!("creating a temporary directory: {e}")))?;
                let path = dir.path().join("ca.pem");
                temp_dir = Some(dir);
                path
            }
        };
        write_private(&path, &ca.cert_pem)?;
        // SSL_CERT_FILE must work from whatever directory Terraform runs in.
        let path = std::fs::canonicalize(&path).unwrap_or(path);
        (Some(tokio_rustls::TlsAcceptor::from(cfg)), Some(ca), path)
    };

    let mut env = BTreeMap::new();
    env.insert(
        "ARM_RESOURCE_MANAGER_ENDPOINT".to_string(),
        format!("{endpoint}/"),
    );
    env.insert(
        "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST".to_string(),
        format!("{endpoint}/"),
    );
    if ca.is_some() {
        env.insert("SSL_CERT_FILE".to_string(), ca_file.display().to_string());
    }
    env.insert("ARM_TENANT_ID".to_string(), st.world.tenant_id.clone());
    env.insert("ARM_CLIENT_ID".to_string(), st.world.client_id.clone());
    // The emulator's own fixed fake secret, printed on purpose.
    env.insert(
        "ARM_CLIENT_SECRET".to_string(),
        st.world.client_secret.clone(),
    );
    env.insert(
        "ARM_SUBSCRIPTION_ID".to_string(),
        st.world.subscriptions.first().cloned().unwrap_or_default(),
    );
    env.insert("ARM_USE_CLI".to_string(), "false".to_string());

    let ca_pair = ca.as_ref().map(|c| (c.cert_pem.clone(), c.key_pem.clone()));
    let shared = Arc::new(server::Shared::new(
        st,
        endpoint.clone(),
        opts.state_file.clone(),
        ca_pair,
    ));
    let app = Router::new()
        .merge(admin::router())
        .merge(admin_history::router())
        .route("/{tenant}/oauth2/v2.0/token", post(identity::token))
        .route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            get(identity::openid_configuration),
        )
        .route(
            "/common/discovery/instance",
            get(identity::instance_discovery),
        )
        .route("/msi/token", get(identity::msi_token))
        .route("/metadata/identity/oauth2/token", get(identity::imds_token))
        .route("/metadata/endpoints", get(identity::metadata_endpoints))
        .fallback(dataprotection::handle)
        .with_state(shared.clone());

    if let Some(path) = &opts.state_file {
        let mut none = None;
        server::write_state(&shared, path, &mut none)
            .await
            .map_err(|e| err(format!("writing state file {}: {e}", path.display())))?;
    }
    let cancel = CancellationToken::new();
    let tasks = vec![
        tokio::spawn(server::serve(
            listener,
            acceptor,
            app,
            shared.clone(),
            cancel.clone(),
        )),
        tokio::spawn(server::persist_loop(shared.clone(), cancel.clone())),
    ];
    tracing::info!(%endpoint, "emulator listening");
    Ok(EmulatorHandle {
        admin: format!("{endpoint}/admin"),
        endpoint,
        ca_pem: ca.map(|c| c.cert_pem),
        ca_file,
        env,
        addr,
        shared,
        cancel,
        tasks,
        temp_dir,
    })
}
