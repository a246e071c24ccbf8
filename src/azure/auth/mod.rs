//! Credentials: choosing the method once from configuration (first configured method wins; a
//! misconfigured one fails loudly and never falls through). Building its token provider and the
//! pieces `azure_identity` lacks live in the submodules:
//!
//! - `build`: a plan's token provider, with the one dispatch over the credential kinds.
//! - `cache`: the token interfaces and the cache that refreshes five minutes before expiry.
//! - `identity`: the adapter to `azure_identity` credentials.
//! - `assertion`: client assertions (certificate JWT, token strings and files, GitHub OIDC).
//! - `certificate`: PFX/PEM certificate loading and JWT signing.
//! - `managed_identity`: a custom managed-identity endpoint.
//! - `loopback`: the client-credentials grant against a plain-http loopback token endpoint.

mod assertion;
mod build;
mod cache;
mod certificate;
mod identity;
mod loopback;
mod managed_identity;

use std::fmt;
use std::path::PathBuf;

use url::Url;

use crate::azure::cloud::check_endpoint;
use crate::azure::config::{AzureConfig, Secret};
use crate::azure::error::AzureError;

pub use build::build_provider;
pub use cache::{
    AccessToken, CachingTokenProvider, REFRESH_MARGIN, StaticTokenProvider, TokenProvider,
    TokenSource,
};
pub use certificate::CertificateSigner;
pub use identity::identity_client_options;
use managed_identity::check_msi_endpoint;

const OP: &str = "authenticate";
const CONFIG_OP: &str = "configure";

/// The authentication methods, in the order they are considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialMethod {
    ClientCertificate,
    ClientSecret,
    OidcToken,
    OidcTokenFile,
    GitHubOidc,
    AzurePipelines,
    AksWorkloadIdentity,
    ManagedIdentity,
    AzureCli,
}

impl fmt::Display for CredentialMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CredentialMethod::ClientCertificate => "client certificate",
            CredentialMethod::ClientSecret => "client secret",
            CredentialMethod::OidcToken => "OIDC token",
            CredentialMethod::OidcTokenFile => "OIDC token file",
            CredentialMethod::GitHubOidc => "GitHub Actions OIDC",
            CredentialMethod::AzurePipelines => "Azure DevOps pipeline OIDC",
            CredentialMethod::AksWorkloadIdentity => "AKS workload identity",
            CredentialMethod::ManagedIdentity => "managed identity",
            CredentialMethod::AzureCli => "Azure CLI",
        })
    }
}

/// The chosen method with everything it needs, validated. `Debug` shows no secret.
#[derive(Debug, Clone, PartialEq)]
pub enum CredentialPlan {
    ClientCertificate {
        tenant_id: String,
        client_id: String,
        path: PathBuf,
        password: Option<Secret>,
    },
    ClientSecret {
        tenant_id: String,
        client_id: String,
        secret: Secret,
    },
    OidcToken {
        tenant_id: String,
        client_id: String,
        token: Secret,
    },
    OidcTokenFile {
        tenant_id: String,
        client_id: String,
        path: PathBuf,
    },
    GitHubOidc {
        tenant_id: String,
        client_id: String,
        request_url: Url,
        request_token: Secret,
    },
    AzurePipelines {
        tenant_id: String,
        client_id: String,
        service_connection_id: String,
        system_access_token: Secret,
    },
    AksWorkloadIdentity {
        tenant_id: String,
        client_id: String,
        token_file: PathBuf,
    },
    ManagedIdentity {
        client_id: Option<String>,
        endpoint: Option<Url>,
    },
    AzureCli {
        tenant_id: Option<String>,
        subscription_id: Option<String>,
    },
}

impl CredentialPlan {
    pub fn method(&self) -> CredentialMethod {
        match self {
            CredentialPlan::ClientCertificate { .. } => CredentialMethod::ClientCertificate,
            CredentialPlan::ClientSecret { .. } => CredentialMethod::ClientSecret,
            CredentialPlan::OidcToken { .. } => CredentialMethod::OidcToken,
            CredentialPlan::OidcTokenFile { .. } => CredentialMethod::OidcTokenFile,
            CredentialPlan::GitHubOidc { .. } => CredentialMethod::GitHubOidc,
            CredentialPlan::AzurePipelines { .. } => CredentialMethod::AzurePipelines,
            CredentialPlan::AksWorkloadIdentity { .. } => CredentialMethod::AksWorkloadIdentity,
            CredentialPlan::ManagedIdentity { .. } => CredentialMethod::ManagedIdentity,
            CredentialPlan::AzureCli { .. } => CredentialMethod::AzureCli,
        }
    }
}

fn present(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn present_secret(s: &Option<Secret>) -> Option<Secret> {
    s.as_ref()
        .filter(|s| !s.expose().trim().is_empty())
        .cloned()
}

fn loud(method: CredentialMethod, what: &str) -> AzureError {
    AzureError::config(
        CONFIG_OP,
        format!("{method} authentication is configured but {what}"),
    )
}

fn need(
    value: Option<String>,
    method: CredentialMethod,
    name: &str,
    var: &str,
) -> Result<String, AzureError> {
    value.ok_or_else(|| loud(method, &format!("{name} ({var}) is not set")))
}

/// Chooses the credential from configuration alone (plus `env` for the variables CI systems
/// set: `SYSTEM_ACCESSTOKEN`, `SYSTEM_OIDCREQUESTURI`, `AZURE_*` for AKS). Pure: no I/O except
/// checking that configured files exist.
///
/// Order: client certificate, client secret, OIDC (token, token file, Azure DevOps, GitHub),
/// AKS workload identity, managed identity, Azure CLI. The first method whose inputs are present
/// wins; if its inputs are incomplete the result is an error naming what is missing.
pub fn select_credential(
    config: &AzureConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<CredentialPlan, AzureError> {
    let tenant = present(&config.tenant_id);
    let client = present(&config.client_id);

    if let Some(path) = config
        .client_certificate_path
        .as_ref()
        .filter(|p| !p.as_os_str().is_empty())
    {
        let m = CredentialMethod::ClientCertificate;
        let tenant_id = need(tenant, m, "tenant_id", "ARM_TENANT_ID")?;
        let client_id = need(client, m, "client_id", "ARM_CLIENT_ID")?;
        if !path.is_file() {
            return Err(loud(
                m,
                &format!(
                    "client_certificate_path {} does not exist or is not a file",
                    path.display()
                ),
            ));
        }
        return Ok(CredentialPlan::ClientCertificate {
            tenant_id,
            client_id,
            path: path.clone(),
            password: config.client_certificate_password.clone(),
        });
    }

    if let Some(secret) = present_secret(&config.client_secret) {
        let m = CredentialMethod::ClientSecret;
        let tenant_id = need(tenant, m, "tenant_id", "ARM_TENANT_ID")?;
        let client_id = need(client, m, "client_id", "ARM_CLIENT_ID")?;
        return Ok(CredentialPlan::ClientSecret {
            tenant_id,
            client_id,
            secret,
        });
    }

    if config.use_oidc {
        let m = CredentialMethod::OidcToken;
        let tenant_id = need(tenant.clone(), m, "tenant_id", "ARM_TENANT_ID")
            .map_err(|_| loud(m, "tenant_id (ARM_TENANT_ID) is not set (use_oidc)"))?;
        let client_id = need(client.clone(), m, "client_id", "ARM_CLIENT_ID")
            .map_err(|_| loud(m, "client_id (ARM_CLIENT_ID) is not set (use_oidc)"))?;
        if let Some(token) = present_secret(&config.oidc_token) {
            return Ok(CredentialPlan::OidcToken {
                tenant_id,
                client_id,
                token,
            });
        }
        if let Some(path) = config
            .oidc_token_file_path
            .as_ref()
            .filter(|p| !p.as_os_str().is_empty())
        {
            if !path.is_file() {
                return Err(loud(
                    CredentialMethod::OidcTokenFile,
                    &format!(
                        "oidc_token_file_path {} does not exist or is not a file",
                        path.display()
                    ),
                ));
            }
            return Ok(CredentialPlan::OidcTokenFile {
                tenant_id,
                client_id,
                path: path.clone(),
            });
        }
        if let Some(conn) = present(&config.ado_pipeline_service_connection_id) {
            let m = CredentialMethod::AzurePipelines;
            let token = env("SYSTEM_ACCESSTOKEN")
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| loud(m, "SYSTEM_ACCESSTOKEN is not set (map it into the pipeline step's environment)"))?;
            if env("SYSTEM_OIDCREQUESTURI")
                .filter(|u| !u.trim().is_empty())
                .is_none()
            {
                return Err(loud(
                    m,
                    "SYSTEM_OIDCREQUESTURI is not set (this only works inside an Azure DevOps pipeline)",
                ));
            }
            return Ok(CredentialPlan::AzurePipelines {
                tenant_id,
                client_id,
                service_connection_id: conn,
                system_access_token: Secret::new(token),
            });
        }
        let url = present(&config.oidc_request_url);
        let token = present_secret(&config.oidc_request_token);
        return match (url, token) {
            (Some(url), Some(request_token)) => {
                let m = CredentialMethod::GitHubOidc;
                let request_url = check_endpoint(&url, "OIDC request URL (ARM_OIDC_REQUEST_URL)")
                    .map_err(|e| loud(m, &e.message()))?;
                Ok(CredentialPlan::GitHubOidc {
                    tenant_id,
                    client_id,
                    request_url,
                    request_token,
                })
            }
            (Some(_), None) => Err(loud(
                CredentialMethod::GitHubOidc,
                "oidc_request_url is set but oidc_request_token (ARM_OIDC_REQUEST_TOKEN / ACTIONS_ID_TOKEN_REQUEST_TOKEN) is not",
            )),
            (None, Some(_)) => Err(loud(
                CredentialMethod::GitHubOidc,
                "oidc_request_token is set but oidc_request_url (ARM_OIDC_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_URL) is not",
            )),
            (None, None) => Err(AzureError::config(
                CONFIG_OP,
                "use_oidc is set but no token source is available: set oidc_token (ARM_OIDC_TOKEN), oidc_token_file_path \
                 (ARM_OIDC_TOKEN_FILE_PATH), ado_pipeline_service_connection_id (ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID), or run in \
                 GitHub Actions with `permissions: id-token: write` (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN)",
            )),
        };
    }

    if config.use_aks_workload_identity {
        let m = CredentialMethod::AksWorkloadIdentity;
        let from_env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let tenant_id = tenant
            .or_else(|| from_env("AZURE_TENANT_ID"))
            .ok_or_else(|| {
                loud(
                    m,
                    "neither tenant_id (ARM_TENANT_ID) nor AZURE_TENANT_ID is set",
                )
            })?;
        let client_id = client
            .or_else(|| from_env("AZURE_CLIENT_ID"))
            .ok_or_else(|| {
                loud(
                    m,
                    "neither client_id (ARM_CLIENT_ID) nor AZURE_CLIENT_ID is set",
                )
            })?;
        let token_file = config
            .oidc_token_file_path
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| from_env("AZURE_FEDERATED_TOKEN_FILE").map(PathBuf::from))
            .ok_or_else(|| loud(m, "AZURE_FEDERATED_TOKEN_FILE is not set (is the pod labelled azure.workload.identity/use?)"))?;
        if !token_file.is_file() {
            return Err(loud(
                m,
                &format!(
                    "the federated token file {} does not exist",
                    token_file.display()
                ),
            ));
        }
        return Ok(CredentialPlan::AksWorkloadIdentity {
            tenant_id,
            client_id,
            token_file,
        });
    }

    if config.use_msi {
        let endpoint = match present(&config.msi_endpoint) {
            Some(e) => Some(check_msi_endpoint(&e)?),
            None => None,
        };
        return Ok(CredentialPlan::ManagedIdentity {
            client_id: client,
            endpoint,
        });
    }

    if config.use_cli {
        // `az account get-access-token` refuses --tenant together with --subscription, and the
        // values end up in a shell command line: pass only plain IDs.
        let plain = |s: &String| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        };
        if let Some(t) = tenant.as_ref().filter(|t| !plain(t)) {
            return Err(loud(
                CredentialMethod::AzureCli,
                &format!("tenant_id {t:?} is not a valid tenant ID"),
            ));
        }
        let subscription_id = match tenant {
            Some(_) => None,
            None => present(&Some(config.subscription_id.clone())).filter(plain),
        };
        return Ok(CredentialPlan::AzureCli {
            tenant_id: tenant,
            subscription_id,
        });
    }

    Err(AzureError::config(
        CONFIG_OP,
        "no authentication method is configured: set a client secret or certificate, use_oidc, use_aks_workload_identity, \
         use_msi, or allow the Azure CLI (use_cli)",
    ))
}
