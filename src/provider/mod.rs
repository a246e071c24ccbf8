//! The glue between the Terraform side and the Azure side: the provider configuration, the
//! `azurebackup_instance` and `azurebackup_restore` resources, the data sources, the actions and the functions. Only this module knows
//! both halves.

pub mod actions;
pub mod config;
pub mod data;
pub mod docs;
pub mod errors;
pub mod functions;
pub mod instance;
pub mod migrate;
pub mod restore;

use std::sync::{Arc, RwLock};

use crate::azure::client::DataProtectionClient;
use crate::azure::reads::{CoalesceConfig, InstanceReads};
use crate::tfplugin::{
    Action, Context, DataSource, Diagnostics, Function, ListResource, PluginIdentity, Provider,
    Resource, Schema, Value,
};

/// This provider's name and address, as the plugin code needs them.
pub const IDENTITY: PluginIdentity = PluginIdentity {
    name: "azurebackup",
    address: "registry.terraform.io/azurebackup/azurebackup",
};

/// What ConfigureProvider produced; resources read it for every call.
pub struct Configured {
    pub client: DataProtectionClient,
    pub settings: config::ResourceSettings,
    /// Refresh reads, coalesced per vault (see [`crate::azure::reads`]).
    pub reads: InstanceReads,
}

/// Shared between the provider and its resources. Terraform configures once per process, before
/// any resource call that needs Azure; validation calls come earlier and must not need it.
#[derive(Default)]
pub struct Shared {
    configured: RwLock<Option<Arc<Configured>>>,
}

impl Shared {
    pub fn get(&self) -> Option<Arc<Configured>> {
        self.configured.read().ok().and_then(|g| g.clone())
    }

    fn set(&self, c: Configured) {
        if let Ok(mut g) = self.configured.write() {
            *g = Some(Arc::new(c));
        }
    }
}

pub struct AzureBackupProvider {
    shared: Arc<Shared>,
}

pub fn new_provider() -> Arc<dyn Provider> {
    Arc::new(AzureBackupProvider {
        shared: Arc::new(Shared::default()),
    })
}

#[async_trait::async_trait]
impl Provider for AzureBackupProvider {
    fn schema(&self) -> Schema {
        config::schema()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(instance::InstanceResource::new(self.shared.clone())),
            Arc::new(restore::RestoreResource::new(self.shared.clone())),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        data::all(&self.shared)
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::all()
    }

    fn actions(&self) -> Vec<Arc<dyn Action>> {
        actions::all(&self.shared)
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![Arc::new(instance::list::InstanceList::new(
            self.shared.clone(),
        ))]
    }

    async fn validate_config(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(&self, config: &Value, ctx: &Context) -> Diagnostics {
        let (az, settings) = match config::resolve(config) {
            Ok(r) => r,
            Err(d) => return d,
        };
        let api_version = az.api_version.clone();
        let mut diags = Diagnostics::new();
        let client = match DataProtectionClient::new(az).await {
            Ok(client) => match client.authenticate(AUTHENTICATE_TIMEOUT, &ctx.cancel).await {
                Ok(()) => Ok(client),
                Err(e) => Err((e, Some(client.endpoints().authority_host.to_string()))),
            },
            Err(e) => Err((e, None)),
        };
        match client {
            Ok(client) => {
                tracing::info!(api_version = %api_version, "provider configured");
                let reads = InstanceReads::new(
                    client.clone(),
                    CoalesceConfig {
                        enabled: settings.coalesce_reads,
                        ..CoalesceConfig::default()
                    },
                );
                self.shared.set(Configured {
                    client,
                    settings,
                    reads,
                });
            }
            // The token is asked for once, here: a refused credential or an unreachable token
            // endpoint is this one error, not one per resource and data source.
            // A certificate this machine does not trust: the usual advice (which host, how to
            // trust its CA through SSL_CERT_FILE), once.
            Err((e, Some(_))) if e.is_untrusted_certificate() => diags.push(errors::azure_error(
                "Unable to Authenticate to Azure",
                "authentication",
                None,
                &e,
            )),
            Err((e, Some(authority))) => diags.error(
                "Unable to Authenticate to Azure",
                format!(
                    "{}\n\nNo resource or data source was read. Check the credential the provider chose (the first configured method wins: client certificate, client secret, OIDC, AKS workload identity, managed identity, then Azure CLI) — a client secret that expired or was mistyped, a tenant_id or client_id of another app registration — and, for a secret, certificate or OIDC token, that the login endpoint {} can be reached from here. Every argument can come from its ARM_* environment variable; see the provider documentation.",
                    e.details().trim(),
                    authority.trim_end_matches('/')
                ),
            ),
            Err((e, None)) => diags.error(
                "Unable to Configure the Azure Backup Provider",
                format!(
                    "{}\n\nCheck the provider's authentication settings: the first configured method wins (client certificate, client secret, OIDC, managed identity, then Azure CLI), and a method with missing inputs is an error rather than being skipped. Every argument can come from its ARM_* environment variable; see the provider documentation.",
                    e.details().trim()
                ),
            ),
        }
        diags
    }
}

/// How long ConfigureProvider waits for the first access token (the identity platform's own
/// retries are bounded far below this; the Azure CLI can take a few seconds).
const AUTHENTICATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
