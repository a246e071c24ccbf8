//! A credential plan's token provider: one dispatch over the credential kinds into a `Flow`,
//! then `azure_identity` where it serves, our own client-credentials grant for a plain-http
//! loopback authority, and the token cache around either.

use std::sync::Arc;

use super::assertion::{
    Assertion, AssertionSource, CertificateAssertion, FileAssertion, GitHubAssertion,
    StaticAssertion,
};
use super::cache::{CachingTokenProvider, TokenProvider, TokenSource};
use super::certificate::CertificateSigner;
use super::identity::{self, IdentitySource, identity_err};
use super::loopback::{ClientProof, PlainClientCredentials};
use super::managed_identity::MsiEndpointSource;
use super::{CONFIG_OP, CredentialPlan};
use crate::azure::cloud::CloudEndpoints;
use crate::azure::error::AzureError;

/// How a plan gets its tokens: the one dispatch over the credential kinds.
enum Flow {
    /// The OAuth 2.0 client-credentials grant, proven by a secret or a client assertion.
    ClientCredentials {
        tenant_id: String,
        client_id: String,
        proof: ClientProof,
    },
    /// Any other source (Azure Pipelines, managed identity, Azure CLI).
    Source(Arc<dyn TokenSource>),
}

/// The flow of `plan`. `token_endpoint` gives a tenant's token URL (a certificate assertion's
/// audience).
fn flow(
    plan: &CredentialPlan,
    endpoints: &CloudEndpoints,
    http: &reqwest::Client,
    token_endpoint: &dyn Fn(&str) -> Result<String, AzureError>,
) -> Result<Flow, AzureError> {
    let method = plan.method();
    let opts = || identity::identity_client_options(http, endpoints);
    let assertion = |tenant_id: &String, client_id: &String, a: Arc<dyn AssertionSource>| {
        Ok(Flow::ClientCredentials {
            tenant_id: tenant_id.clone(),
            client_id: client_id.clone(),
            proof: ClientProof::Assertion(a),
        })
    };
    let identity = |inner: Arc<dyn azure_core::credentials::TokenCredential>| {
        Ok(Flow::Source(Arc::new(IdentitySource { inner, method })))
    };
    match plan {
        CredentialPlan::ClientCertificate {
            tenant_id,
            client_id,
            path,
            password,
        } => {
            let signer = CertificateSigner::from_file(path, password.as_ref())?;
            let a = CertificateAssertion {
                signer,
                client_id: client_id.clone(),
                audience: token_endpoint(tenant_id)?,
            };
            assertion(tenant_id, client_id, Arc::new(a))
        }
        CredentialPlan::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } => Ok(Flow::ClientCredentials {
            tenant_id: tenant_id.clone(),
            client_id: client_id.clone(),
            proof: ClientProof::Secret(secret.clone()),
        }),
        CredentialPlan::OidcToken {
            tenant_id,
            client_id,
            token,
        } => assertion(
            tenant_id,
            client_id,
            Arc::new(StaticAssertion(token.clone())),
        ),
        CredentialPlan::OidcTokenFile {
            tenant_id,
            client_id,
            path,
        } => assertion(tenant_id, client_id, Arc::new(FileAssertion(path.clone()))),
        // The federated token file is rotated by AKS; it is re-read at each token refresh.
        CredentialPlan::AksWorkloadIdentity {
            tenant_id,
            client_id,
            token_file,
        } => assertion(
            tenant_id,
            client_id,
            Arc::new(FileAssertion(token_file.clone())),
        ),
        CredentialPlan::GitHubOidc {
            tenant_id,
            client_id,
            request_url,
            request_token,
        } => assertion(
            tenant_id,
            client_id,
            Arc::new(GitHubAssertion {
                http: http.clone(),
                url: request_url.clone(),
                token: request_token.clone(),
            }),
        ),
        CredentialPlan::AzurePipelines {
            tenant_id,
            client_id,
            service_connection_id,
            system_access_token,
        } => identity(
            azure_identity::AzurePipelinesCredential::new(
                tenant_id.clone(),
                client_id.clone(),
                service_connection_id,
                azure_core::credentials::Secret::new(system_access_token.expose().to_string()),
                Some(azure_identity::AzurePipelinesCredentialOptions {
                    credential_options: azure_identity::ClientAssertionCredentialOptions {
                        client_options: opts(),
                    },
                }),
            )
            .map_err(identity_err(method))?,
        ),
        CredentialPlan::ManagedIdentity {
            client_id,
            endpoint: Some(endpoint),
        } => Ok(Flow::Source(Arc::new(MsiEndpointSource {
            http: http.clone(),
            endpoint: endpoint.clone(),
            client_id: client_id.clone(),
        }))),
        CredentialPlan::ManagedIdentity {
            client_id,
            endpoint: None,
        } => identity(
            azure_identity::ManagedIdentityCredential::new(Some(
                azure_identity::ManagedIdentityCredentialOptions {
                    user_assigned_id: client_id
                        .clone()
                        .map(azure_identity::UserAssignedId::ClientId),
                    client_options: opts(),
                },
            ))
            .map_err(identity_err(method))?,
        ),
        // The CLI credential does not cache; the caching provider does.
        CredentialPlan::AzureCli {
            tenant_id,
            subscription_id,
        } => identity(
            azure_identity::AzureCliCredential::new(Some(
                azure_identity::AzureCliCredentialOptions {
                    tenant_id: tenant_id.clone(),
                    subscription: subscription_id.clone(),
                    ..Default::default()
                },
            ))
            .map_err(identity_err(method))?,
        ),
    }
}

/// Builds the token provider for a plan. `http` is the shared client, used for every token
/// request so extra trust roots apply there too.
pub fn build_provider(
    plan: &CredentialPlan,
    endpoints: &CloudEndpoints,
    http: &reqwest::Client,
) -> Result<Arc<dyn TokenProvider>, AzureError> {
    let method = plan.method();
    let token_endpoint = |tenant: &str| -> Result<String, AzureError> {
        endpoints
            .authority_host
            .join(&format!("{tenant}/oauth2/v2.0/token"))
            .map(|u| u.to_string())
            .map_err(|e| {
                AzureError::config(CONFIG_OP, format!("invalid tenant_id {tenant:?}: {e}"))
            })
    };
    // azure_identity refuses a plain-http authority; an emulator on a loopback address may
    // serve one, so the client-credentials flows go through our own small token client there.
    let loopback = endpoints.authority_host.scheme() == "http";
    let mut plain_http = false;
    let source: Arc<dyn TokenSource> = match flow(plan, endpoints, http, &token_endpoint)? {
        Flow::ClientCredentials {
            tenant_id,
            client_id,
            proof,
        } if loopback => {
            plain_http = true;
            Arc::new(PlainClientCredentials {
                http: http.clone(),
                endpoint: token_endpoint(&tenant_id)?,
                client_id,
                credential: proof,
            })
        }
        Flow::ClientCredentials {
            tenant_id,
            client_id,
            proof: ClientProof::Secret(secret),
        } => {
            let c = azure_identity::ClientSecretCredential::new(
                &tenant_id,
                client_id,
                azure_core::credentials::Secret::new(secret.expose().to_string()),
                Some(azure_identity::ClientSecretCredentialOptions {
                    client_options: identity::identity_client_options(http, endpoints),
                }),
            )
            .map_err(identity_err(method))?;
            Arc::new(IdentitySource { inner: c, method })
        }
        Flow::ClientCredentials {
            tenant_id,
            client_id,
            proof: ClientProof::Assertion(a),
        } => {
            let c = azure_identity::ClientAssertionCredential::new(
                tenant_id,
                client_id,
                Assertion(a),
                Some(azure_identity::ClientAssertionCredentialOptions {
                    client_options: identity::identity_client_options(http, endpoints),
                }),
            )
            .map_err(identity_err(method))?;
            Arc::new(IdentitySource { inner: c, method })
        }
        Flow::Source(s) => s,
    };
    if plain_http {
        tracing::info!(method = %method, "authentication method chosen (loopback token endpoint)");
    } else {
        tracing::info!(method = %method, "authentication method chosen");
    }
    Ok(Arc::new(CachingTokenProvider::new(
        source,
        endpoints.scope(),
        method,
    )))
}
