//! The Azure side: everything needed to call the Data Protection API, and nothing about
//! Terraform.
//!
//! - [`arm_id`]: typed ARM resource IDs and Key Vault secret URIs (parse, canonical format).
//! - [`names`]: the service's naming rule for each value inside an ID (never `.` or `..`).
//! - [`config`]: plain configuration data ([`config::AzureConfig`]) and the redacting [`config::Secret`].
//! - [`cloud`]: cloud environments, `metadata_host` discovery, endpoint overrides, the shared HTTPS client.
//! - [`auth`]: choosing the credential once, building it, caching its tokens.
//! - [`http`]: one HTTP request with retries (429/408/5xx/connection errors).
//! - [`poller`]: following a long-running operation to its end.
//! - [`error`]: [`error::AzureError`], the typed error callers branch on.
//! - [`models`]: serde models of the Data Protection API.
//! - [`client`]: [`client::DataProtectionClient`], one method per REST operation.
//! - [`history`]: backup jobs, recovery points and a policy's backup rules as plain types.
//! - [`reads`]: many reads of one vault's instances answered from its list (coalesced reads).
//! - [`wait`]: one backoff type on the injected clock, and the waits between calls (protection
//!   configured, another operation finished, role assignments propagated).
//! - [`catalogue`]: one entry per datasource kind: ID shape, set info, parameters, roles, inputs.

pub mod arm_id;
pub mod auth;
pub mod catalogue;
pub mod client;
pub mod cloud;
pub mod config;
pub mod error;
pub mod history;
pub mod http;
pub mod models;
pub mod names;
pub mod poller;
pub mod reads;
pub mod restore;
pub mod wait;
