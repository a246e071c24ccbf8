//! The command line of `azurebackup-emulator`: clap flags turned into [`EmulatorOptions`], and
//! [`main`] (start, print the JSON line, wait for SIGINT/SIGTERM, shut down cleanly).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use super::{EmulatorOptions, Knobs, start, state};

const AFTER_HELP: &str = "Prints one JSON line on stdout when ready (endpoint, ca_file, admin, env); logs go to stderr \
(RUST_LOG filters). Stops cleanly on SIGINT/SIGTERM. See docs/emulator.md.";

/// A local, offline stand-in for the Azure Data Protection API and its token endpoint.
#[derive(Debug, Parser)]
#[command(name = "azurebackup-emulator", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// Loopback address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Plain HTTP instead of HTTPS
    #[arg(long)]
    pub http: bool,
    /// Where to write the CA certificate (default: next to --state, else a temp dir)
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// World JSON file (default: the built-in demo world)
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,
    /// Persist world, instances, operations and tokens; resume from it
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Seed of the fault-injection RNG
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Knobs as (partial) JSON, inline or from a file (@FILE)
    #[arg(long, value_name = "JSON|@FILE")]
    pub knobs: Option<String>,
    /// Duration of validateForBackup operations (knob validate_ms)
    #[arg(long, value_name = "MS")]
    pub validate_ms: Option<u64>,
    /// Duration of PUT operations (knob put_ms)
    #[arg(long, value_name = "MS")]
    pub put_ms: Option<u64>,
    /// Time from ConfiguringProtection to ProtectionConfigured (knob protection_ms)
    #[arg(long, value_name = "MS")]
    pub protection_ms: Option<u64>,
    /// Duration of DELETE operations (knob delete_ms)
    #[arg(long, value_name = "MS")]
    pub delete_ms: Option<u64>,
    /// Retry-After header value on long-running answers (knob retry_after)
    #[arg(long, value_name = "SECS")]
    pub retry_after: Option<u64>,
    /// Backup instances per LIST page (knob page_size)
    #[arg(long, value_name = "N")]
    pub page_size: Option<u64>,
    /// Delay added to every ARM request (knob latency_ms)
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,
    /// Lifetime of issued tokens (knob token_lifetime_secs)
    #[arg(long, value_name = "N")]
    pub token_lifetime_secs: Option<u64>,
    /// Share of ARM requests answered 429 (knob faults.throttle_rate)
    #[arg(long, value_name = "P", value_parser = rate)]
    pub throttle_rate: Option<f64>,
    /// Share of ARM requests answered 500/503 (knob faults.server_error_rate)
    #[arg(long, value_name = "P", value_parser = rate)]
    pub server_error_rate: Option<f64>,
    /// Share of ARM requests whose connection is dropped (knob faults.drop_rate)
    #[arg(long, value_name = "P", value_parser = rate)]
    pub drop_rate: Option<f64>,
    /// Share of operations that fail (knob faults.fail_operation_rate)
    #[arg(long, value_name = "P", value_parser = rate)]
    pub fail_operation_rate: Option<f64>,
    /// Share of operations that never finish (knob faults.stuck_operation_rate)
    #[arg(long, value_name = "P", value_parser = rate)]
    pub stuck_operation_rate: Option<f64>,
}

fn rate(v: &str) -> Result<f64, String> {
    v.parse::<f64>()
        .ok()
        .filter(|r| (0.0..=1.0).contains(r))
        .ok_or_else(|| format!("'{v}' is not a number between 0 and 1"))
}

impl Cli {
    /// The options to start with. Knob flags are collected as a partial JSON patch applied on top
    /// of `--knobs`, which applies on top of the state file's knobs (or the defaults).
    ///
    /// # Errors
    /// An unreadable `--knobs @FILE`, invalid knob JSON or knob values.
    pub fn options(&self) -> Result<EmulatorOptions, String> {
        let mut patch = serde_json::Map::new();
        for (key, v) in [
            ("validate_ms", self.validate_ms),
            ("put_ms", self.put_ms),
            ("protection_ms", self.protection_ms),
            ("delete_ms", self.delete_ms),
            ("retry_after", self.retry_after),
            ("page_size", self.page_size),
            ("latency_ms", self.latency_ms),
            ("token_lifetime_secs", self.token_lifetime_secs),
        ] {
            if let Some(n) = v {
                patch.insert(key.into(), json!(n));
            }
        }
        let mut faults = serde_json::Map::new();
        for (key, v) in [
            ("throttle_rate", self.throttle_rate),
            ("server_error_rate", self.server_error_rate),
            ("drop_rate", self.drop_rate),
            ("fail_operation_rate", self.fail_operation_rate),
            ("stuck_operation_rate", self.stuck_operation_rate),
        ] {
            if let Some(r) = v {
                faults.insert(key.into(), json!(r));
            }
        }
        if !faults.is_empty() {
            patch.insert("faults".into(), serde_json::Value::Object(faults));
        }
        let knob_json = match &self.knobs {
            None => None,
            Some(v) => {
                let text = match v.strip_prefix('@') {
                    Some(file) => {
                        std::fs::read_to_string(file).map_err(|e| format!("--knobs {file}: {e}"))?
                    }
                    None => v.clone(),
                };
                Some(
                    serde_json::from_str::<serde_json::Value>(&text)
                        .map_err(|e| format!("--knobs: {e}"))?,
                )
            }
        };
        let knobs = if knob_json.is_some() || !patch.is_empty() {
            let mut k = match &self.state {
                Some(p) if p.exists() => std::fs::read(p)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<state::Persisted>(&b).ok())
                    .map(|s| s.knobs)
                    .unwrap_or_default(),
                _ => Knobs::default(),
            };
            if let Some(f) = knob_json {
                k = k.merged(&f)?;
            }
            Some(k.merged(&serde_json::Value::Object(patch))?)
        } else {
            None
        };
        Ok(EmulatorOptions {
            listen: self.listen,
            http: self.http,
            ca_file: self.ca_file.clone(),
            world: None,
            world_file: self.world.clone(),
            state_file: self.state.clone(),
            knobs,
            seed: self.seed,
        })
    }
}

/// `azurebackup-emulator [flags]`: runs until SIGINT/SIGTERM.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let opts = match cli.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("azurebackup-emulator: {e}");
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
            eprintln!("azurebackup-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let handle = match start(opts).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("azurebackup-emulator: {e}");
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
                eprintln!("azurebackup-emulator: cannot write the start-up line to stdout");
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

    fn parse(args: &[&str]) -> Result<EmulatorOptions, String> {
        let cli = Cli::try_parse_from(
            std::iter::once("azurebackup-emulator").chain(args.iter().copied()),
        )
        .map_err(|e| e.to_string())?;
        cli.options()
    }

    #[test]
    fn flags_parse_into_knobs() {
        let o = parse(&[
            "--listen",
            "127.0.0.1:0",
            "--validate-ms=0",
            "--throttle-rate",
            "0.25",
            "--seed",
            "7",
            "--http",
        ])
        .unwrap();
        assert!(o.http);
        assert_eq!(o.seed, Some(7));
        let k = o.knobs.unwrap();
        assert_eq!(k.validate_ms, 0);
        assert_eq!(k.faults.throttle_rate, 0.25);
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--drop-rate", "3"]).is_err());
    }

    /// No knob flag means no knob override, so a resumed state keeps its persisted knobs.
    #[test]
    fn no_knob_flags_keep_persisted_knobs() {
        let o = parse(&["--state", "/nonexistent/state.json"]).unwrap();
        assert!(o.knobs.is_none());
        assert_eq!(o.state_file, Some(PathBuf::from("/nonexistent/state.json")));
        let o = parse(&["--knobs", r#"{"page_size": 3}"#, "--put-ms", "5"]).unwrap();
        let k = o.knobs.unwrap();
        assert_eq!((k.page_size, k.put_ms), (3, 5));
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
