//! The Terraform side: everything needed to be a protocol-6 provider plugin, and nothing about
//! Azure. The resource code sees only [`Value`], [`Schema`], [`Diagnostics`] and the traits in
//! [`provider`]; protobuf types stay inside `proto` (the one adapter file).

pub mod diag;
mod proto;
pub mod provider;
pub mod schema;
pub mod value;

pub use diag::{AttributePath, Diagnostic, Diagnostics, Severity};
pub use provider::*;
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema};
pub use value::{Number, Type, Value};

use std::process::ExitCode;
use std::sync::Arc;

/// Runs the plugin: handshake, gRPC server, until Terraform shuts it down.
/// `args` are the command-line arguments after the program name (`--debug` is recognised).
pub fn main(args: Vec<String>, make_provider: fn() -> Arc<dyn Provider>) -> ExitCode {
    let _ = (args, make_provider);
    todo!("handshake and serve")
}
