//! The adapter to `azure_identity`: its credentials as a [`TokenSource`], with HTTP options
//! that use our client, our cloud and short retries.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions};

use super::cache::{AccessToken, TokenSource};
use super::{CONFIG_OP, CredentialMethod, OP};
use crate::azure::cloud::CloudEndpoints;
use crate::azure::config::Secret;
use crate::azure::error::AzureError;

/// Adapts an `azure_identity` credential.
pub(super) struct IdentitySource {
    pub(super) inner: Arc<dyn TokenCredential>,
    pub(super) method: CredentialMethod,
}

impl fmt::Debug for IdentitySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentitySource")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenSource for IdentitySource {
    async fn fetch(&self, scope: &str) -> Result<AccessToken, AzureError> {
        let t = self.inner.get_token(&[scope], None).await.map_err(|e| {
            if let Some(u) = crate::azure::http::tls::find_untrusted(&e) {
                return crate::azure::http::tls::untrusted(OP, &u.host, &u.problem);
            }
            if self.method == CredentialMethod::ManagedIdentity {
                // `azure_identity` flattens transport errors to text; name the endpoint here.
                let endpoint = match crate::azure::http::tls::find_unreachable(&e) {
                    Some(u) => u.to_string(),
                    None => managed_identity_endpoint(),
                };
                return AzureError::auth(
                    OP,
                    format!(
                        "managed identity authentication failed: no token from the managed identity endpoint {endpoint}: {e}. Managed identity works only on Azure compute with an identity assigned; elsewhere use another authentication method, or set `msi_endpoint` to an endpoint that serves tokens"
                    ),
                );
            }
            // A login endpoint that cannot be reached: name it and why, which the retry
            // policy's own message ("retry policy expired") does not.
            if let Some((host, cause)) = crate::azure::http::tls::find_transport_failure(&e) {
                return AzureError::auth(
                    OP,
                    format!(
                        "getting a token with {} authentication failed: cannot reach {host} ({cause})",
                        self.method
                    ),
                );
            }
            AzureError::auth(
                OP,
                format!(
                    "getting a token with {} authentication failed: {e}",
                    self.method
                ),
            )
        })?;
        Ok(AccessToken {
            token: Secret::new(t.token.secret()),
            expires_on: t.expires_on,
        })
    }
}

/// The endpoint `azure_identity`'s managed identity credential calls: App Service's
/// `IDENTITY_ENDPOINT` when set, else IMDS.
fn managed_identity_endpoint() -> String {
    match std::env::var("IDENTITY_ENDPOINT") {
        Ok(v) if !v.trim().is_empty() => format!("{} (IDENTITY_ENDPOINT)", v.trim()),
        _ => "http://169.254.169.254/metadata/identity/oauth2/token (IMDS)".to_string(),
    }
}

/// `azure_identity`'s HTTP options: our HTTPS client, our cloud, and retries short enough that
/// a wrong endpoint fails in seconds (its defaults turned one TLS failure into an 82 s hang).
pub fn identity_client_options(
    http: &reqwest::Client,
    endpoints: &CloudEndpoints,
) -> ClientOptions {
    let mut custom = azure_core::cloud::CustomConfiguration::default();
    custom.authority_host = endpoints
        .authority_host
        .as_str()
        .trim_end_matches('/')
        .to_string();
    ClientOptions {
        transport: Some(crate::azure::http::tls::identity_transport(http)),
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            initial_delay: azure_core::time::Duration::milliseconds(200),
            max_retries: 2,
            max_total_elapsed: azure_core::time::Duration::seconds(10),
            max_delay: azure_core::time::Duration::seconds(1),
        }),
        cloud: Some(Arc::new(custom.into())),
        ..ClientOptions::default()
    }
}

pub(super) fn identity_err(method: CredentialMethod) -> impl Fn(azure_core::Error) -> AzureError {
    move |e| {
        AzureError::config(
            CONFIG_OP,
            format!("cannot set up {method} authentication: {e}"),
        )
    }
}
