//! A local, offline stand-in for the Azure Data Protection API and its token endpoint.
//!
//! It is its own implementation of the service, written from the published examples and
//! recorded traffic, and shares no code with the provider's client on purpose. Layout:
//!
//! - [`world`]: the emulated tenant (JSON world file) and the permission rules.
//! - [`knobs`]: durations, Retry-After, paging, protection outcomes, seeded faults.
//! - [`state`]: instances, long-running operations, tokens, request log; clock-driven progress.
//! - [`validation`]: what validateForBackup and PUT check, synchronously and in the operation.
//! - [`dataprotection`]: ARM routing and the Data Protection operations.
//! - [`identity`]: token endpoints, discovery documents, cloud metadata.
//! - [`admin`]: the `/admin` API.
//! - [`server`], [`tls`]: serving, fault injection, state file, certificates.
//!
//! `terraform-provider-azurebackup emulator --help` lists the flags; docs/emulator.md has the rest.

pub mod admin;
pub mod armpath;
pub mod dataprotection;
pub mod errors;
pub mod identity;
pub mod knobs;
pub mod server;
pub mod state;
pub mod tls;
pub mod validation;
pub mod world;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
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
    temp_dir: Option<PathBuf>,
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
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
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
                let dir = std::env::temp_dir().join(format!(
                    "azurebackup-emulator-{}-{}",
                    std::process::id(),
                    uuid::Uuid::new_v4().simple()
                ));
                temp_dir = Some(dir.clone());
                dir.join("ca.pem")
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

const USAGE: &str = "usage: terraform-provider-azurebackup emulator [flags]

  --listen ADDR            loopback address to listen on (default 127.0.0.1:0)
  --http                   plain HTTP instead of HTTPS
  --ca-file PATH           where to write the CA certificate (default: next to --state, else a temp dir)
  --world FILE             world JSON file (default: the built-in demo world)
  --state FILE             persist world, instances, operations and tokens; resume from it
  --seed N                 seed of the fault-injection RNG
  --knobs JSON|@FILE       knobs as (partial) JSON, inline or from a file
  --validate-ms N  --put-ms N  --protection-ms N  --delete-ms N
  --retry-after SECS  --page-size N  --token-lifetime-secs N
  --throttle-rate P  --server-error-rate P  --drop-rate P  --fail-operation-rate P  --stuck-operation-rate P

Prints one JSON line on stdout when ready (endpoint, ca_file, admin, env); logs go to stderr
(RUST_LOG filters). Stops cleanly on SIGINT/SIGTERM. See docs/emulator.md.";

/// Parses flags into options. Knob flags are collected as a partial JSON patch.
fn parse_args(args: &[String]) -> Result<EmulatorOptions, String> {
    let mut opts = EmulatorOptions::default();
    let mut patch = serde_json::Map::new();
    let mut faults = serde_json::Map::new();
    let mut knob_file: Option<serde_json::Value> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let num = |name: &str, v: String| -> Result<serde_json::Value, String> {
            v.parse::<u64>()
                .map(|n| json!(n))
                .map_err(|_| format!("{name}: '{v}' is not a non-negative integer"))
        };
        let rate = |name: &str, v: String| -> Result<serde_json::Value, String> {
            v.parse::<f64>()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .map(|n| json!(n))
                .ok_or_else(|| format!("{name}: '{v}' is not a number between 0 and 1"))
        };
        match flag.as_str() {
            "--help" | "-h" => return Err(String::new()),
            "--listen" => {
                let v = value("--listen")?;
                opts.listen = v
                    .parse()
                    .map_err(|_| format!("--listen: '{v}' is not an IP:PORT address"))?;
            }
            "--http" => opts.http = true,
            "--ca-file" => opts.ca_file = Some(PathBuf::from(value("--ca-file")?)),
            "--world" => opts.world_file = Some(PathBuf::from(value("--world")?)),
            "--state" => opts.state_file = Some(PathBuf::from(value("--state")?)),
            "--seed" => {
                let v = value("--seed")?;
                opts.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed: '{v}' is not an integer"))?,
                );
            }
            "--knobs" => {
                let v = value("--knobs")?;
                let text = match v.strip_prefix('@') {
                    Some(file) => {
                        std::fs::read_to_string(file).map_err(|e| format!("--knobs {file}: {e}"))?
                    }
                    None => v,
                };
                knob_file = Some(serde_json::from_str(&text).map_err(|e| format!("--knobs: {e}"))?);
            }
            f @ ("--validate-ms"
            | "--put-ms"
            | "--protection-ms"
            | "--delete-ms"
            | "--retry-after"
            | "--page-size"
            | "--token-lifetime-secs") => {
                let key = f.trim_start_matches("--").replace('-', "_");
                let v = value(f)?;
                patch.insert(key, num(f, v)?);
            }
            f @ ("--throttle-rate"
            | "--server-error-rate"
            | "--drop-rate"
            | "--fail-operation-rate"
            | "--stuck-operation-rate") => {
                let key = f.trim_start_matches("--").replace('-', "_");
                let v = value(f)?;
                faults.insert(key, rate(f, v)?);
            }
            other => return Err(format!("unknown flag '{other}'")),
        }
    }
    if !faults.is_empty() {
        patch.insert("faults".into(), serde_json::Value::Object(faults));
    }
    if knob_file.is_some() || !patch.is_empty() {
        // Flags apply on top of the defaults (or of the state file's knobs, see `start`).
        let base = match &opts.state_file {
            Some(p) if p.exists() => std::fs::read(p)
                .ok()
                .and_then(|b| serde_json::from_slice::<state::Persisted>(&b).ok())
                .map(|s| s.knobs)
                .unwrap_or_default(),
            _ => Knobs::default(),
        };
        let mut k = base;
        if let Some(f) = knob_file {
            k = k.merged(&f)?;
        }
        k = k.merged(&serde_json::Value::Object(patch))?;
        opts.knobs = Some(k);
    }
    Ok(opts)
}

/// `terraform-provider-azurebackup emulator [flags]`; `args` excludes the word `emulator`.
pub fn main(args: Vec<String>) -> ExitCode {
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("emulator: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only for a terminal: CI logs and files should stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let handle = match start(opts).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("emulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            if writeln!(out, "{}", handle.startup_line())
                .and_then(|_| out.flush())
                .is_err()
            {
                eprintln!("emulator: cannot write the start-up line to stdout");
                handle.shutdown().await;
                return ExitCode::FAILURE;
            }
        }
        wait_for_signal().await;
        tracing::info!("shutting down");
        handle.shutdown().await;
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut i), Ok(mut t)) => {
                tokio::select! {
                    _ = i.recv() => {}
                    _ = t.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_into_knobs() {
        let a: Vec<String> = [
            "--listen",
            "127.0.0.1:0",
            "--validate-ms=0",
            "--throttle-rate",
            "0.25",
            "--seed",
            "7",
            "--http",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let o = parse_args(&a).unwrap();
        assert!(o.http);
        assert_eq!(o.seed, Some(7));
        let k = o.knobs.unwrap();
        assert_eq!(k.validate_ms, 0);
        assert_eq!(k.faults.throttle_rate, 0.25);
        assert!(parse_args(&["--bogus".to_string()]).is_err());
        assert!(parse_args(&["--drop-rate".to_string(), "3".to_string()]).is_err());
    }
}
