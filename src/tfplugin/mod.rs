//! The Terraform side: everything needed to be a protocol-6 provider plugin, and nothing about
//! Azure. The resource code sees only [`Value`], [`Schema`], [`Diagnostics`] and the traits in
//! [`provider`]; protobuf types stay inside `proto` (the one adapter file).

pub mod action;
pub mod diag;
pub mod handshake;
pub mod identity;
pub mod list;
pub mod provider;
pub mod schema;
pub mod serve;
pub mod tls;
pub mod value;

mod logging;
mod proto;
mod server;

pub use action::{Action, ActionProgress};
pub use diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
pub use identity::{IdentityAttribute, IdentitySchema};
pub use list::{ListRequest, ListResource, ListResult, ListSink};
pub use provider::*;
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema};
pub use serve::{Address, ServeError, ServeOptions, Serving, Transport, serve_with};
pub use value::{CodecError, Number, Type, Value};

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

/// Who the plugin is. The protocol code is the same for any provider; these two strings are
/// what makes it this one (binary and socket names, log module, certificate, reattach JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginIdentity {
    /// The provider's type name, e.g. `azurebackup` (the `TYPE` in `terraform-provider-TYPE`).
    pub name: &'static str,
    /// The full source address, e.g. `registry.terraform.io/azurebackup/azurebackup`, as
    /// `TF_REATTACH_PROVIDERS` needs it.
    pub address: &'static str,
}

impl PluginIdentity {
    /// The binary's name: `terraform-provider-{name}`.
    pub fn binary(&self) -> String {
        format!("terraform-provider-{}", self.name)
    }

    /// The address as users write it in `required_providers` (`namespace/type`, without the
    /// default registry host).
    pub fn source(&self) -> &'static str {
        self.address
            .strip_prefix("registry.terraform.io/")
            .unwrap_or(self.address)
    }
}

impl Default for PluginIdentity {
    /// A neutral identity for tests of the protocol code.
    fn default() -> Self {
        PluginIdentity {
            name: "example",
            address: "registry.terraform.io/example/example",
        }
    }
}

/// Runs the plugin: handshake, gRPC server, until Terraform shuts it down.
/// `args` are the command-line arguments after the program name (`--debug` is recognised).
pub fn main(
    identity: PluginIdentity,
    args: Vec<String>,
    make_provider: fn() -> Arc<dyn Provider>,
) -> ExitCode {
    logging::init(identity.name);
    let debug = args.iter().any(|a| a == "--debug");
    let opts = if debug {
        None
    } else {
        match handshake::from_env(identity, |k| std::env::var(k).ok()) {
            Ok(o) => Some(o),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    };
    // One thread: the plugin waits on Terraform and on Azure, it does not compute. Measured at
    // 1,000 instances (scripts/bench-instances.sh), worker threads bought no speed and cost
    // memory: each has its own stack and malloc arena.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match opts {
            Some(opts) => run_plugin(make_provider(), opts).await,
            None => run_debug(identity, make_provider()).await,
        }
    });
    // Provider code may have left blocking work behind; do not let it delay the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_plugin(provider: Arc<dyn Provider>, opts: ServeOptions) -> Result<(), ServeError> {
    // Ctrl-C in the terminal reaches the whole process group. Terraform turns it into
    // StopProvider; dying on SIGINT ourselves would abandon operations half-way. Holding the
    // signal stream keeps tokio's handler installed, which replaces the default action.
    let _sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    let serving = serve_with(provider, opts).await?;
    let line = serving.handshake_line();
    {
        let mut out = std::io::stdout().lock();
        // Nothing else is ever written to stdout: go-plugin reads it as the handshake.
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            serving.shutdown().await;
            return Err(ServeError::Grpc(
                "could not write the handshake to stdout".into(),
            ));
        }
    }
    tracing::debug!(handshake = %line, "serving");
    serving.wait().await
}

/// `--debug`: serve plain gRPC on a free port without Terraform launching us, print what to
/// export so Terraform attaches, and serve until Ctrl-C (ignoring Terraform's Shutdown so one
/// process can serve many commands).
async fn run_debug(
    identity: PluginIdentity,
    provider: Arc<dyn Provider>,
) -> Result<(), ServeError> {
    let shutdown = CancellationToken::new();
    let serving = serve::serve_inner(
        Arc::new(server::Server::new(provider)),
        ServeOptions {
            identity,
            ..ServeOptions::default()
        },
        CancellationToken::new(),
        shutdown.clone(),
    )
    .await?;
    let addr = match &serving.address {
        Address::Tcp(a) => a.to_string(),
        Address::Unix(p) => p.display().to_string(),
    };
    let reattach = serde_json::json!({
        identity.address: {
            "Protocol": "grpc",
            "ProtocolVersion": 6,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": "tcp", "String": addr },
        }
    });
    println!("Provider started in debug mode. To attach Terraform, run in another shell:\n");
    println!("\texport TF_REATTACH_PROVIDERS='{reattach}'\n");
    println!("Press Ctrl-C to stop.");
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    serving.shutdown().await;
    Ok(())
}
