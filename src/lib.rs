//! terraform-provider-azurebackup: a Terraform provider (plugin protocol 6) that protects Azure
//! resources with Azure Backup.
//!
//! The crate has two halves that do not know each other, and the glue between them:
//!
//! - [`tfplugin`]: the Terraform side. go-plugin handshake and AutoMTLS, the tfplugin6 gRPC
//!   service and its dispatch to resources, data sources, functions and moves, the msgpack/JSON
//!   value codec, schema model and diagnostics. Takes the provider's name and address as a
//!   parameter ([`tfplugin::PluginIdentity`]) and knows nothing of Azure.
//! - [`azure`]: the Azure side. ARM IDs, the datasource catalogue (one entry per kind), clouds
//!   and endpoints, credentials, HTTP with retries and throttle awareness, the async-operation
//!   poller, waits on the injected clock, coalesced reads, typed errors and the Data Protection
//!   client. Knows nothing of Terraform.
//! - [`provider`]: the glue. The one table of provider arguments, the `azurebackup_instance`
//!   resource, its data sources, functions and moves from azurerm, turning Terraform values into
//!   Azure calls and Azure errors into diagnostics; also the documentation generator fed by the
//!   schema's descriptions.
//!
//! The offline emulator of the Data Protection API is a crate of its own (`crates/emulator`,
//! `azurebackup-emulator`) that shares no code with this one, so that a misunderstanding of the
//! API is not silently mirrored on both sides, and so that this binary, which holds users'
//! credentials, contains none of it. The tests use it as a dev-dependency.

pub mod azure;
pub mod provider;
pub mod tfplugin;
