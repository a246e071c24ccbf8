//! Credentials: choosing the method once from configuration (first configured method wins; a
//! misconfigured one fails loudly and never falls through), building it on `azure_identity`
//! where that crate serves, the pieces it lacks (certificate assertions without OpenSSL, GitHub
//! OIDC, token strings/files, a custom managed-identity endpoint), and a token cache that
//! refreshes five minutes before expiry.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::credentials::TokenCredential;
use azure_core::http::{
    ClientMethodOptions, ClientOptions, ExponentialRetryOptions, RetryOptions, Transport,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use url::Url;

use crate::azure::cloud::{CloudEndpoints, check_endpoint};
use crate::azure::config::{AzureConfig, Secret};
use crate::azure::error::AzureError;

const OP: &str = "authenticate";
const CONFIG_OP: &str = "configure";

/// Tokens are renewed this long before they expire, so a request never starts with a token
/// that dies in flight.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

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

/// The instance metadata service is plain http on a link-local address; allow that and loopback.
fn check_msi_endpoint(s: &str) -> Result<Url, AzureError> {
    let url = Url::parse(s.trim()).map_err(|e| {
        loud(
            CredentialMethod::ManagedIdentity,
            &format!("msi_endpoint {s:?} is not a valid URL: {e}"),
        )
    })?;
    let imds = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_link_local());
    if url.scheme() == "http" && imds {
        return Ok(url);
    }
    check_endpoint(s, "managed identity endpoint (ARM_MSI_ENDPOINT)")
        .map_err(|e| loud(CredentialMethod::ManagedIdentity, &e.message()))
}

/// Gives a bearer token for ARM.
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    async fn bearer(&self) -> Result<Secret, AzureError>;
}

/// A token and when it expires.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: Secret,
    pub expires_on: OffsetDateTime,
}

/// Fetches a fresh token for one scope.
#[async_trait]
pub trait TokenSource: Send + Sync + fmt::Debug {
    async fn fetch(&self, scope: &str) -> Result<AccessToken, AzureError>;
}

/// A [`TokenProvider`] over any [`TokenSource`] that reuses the token until five minutes before
/// it expires. One refresh at a time: concurrent callers wait for it instead of stampeding.
#[derive(Debug)]
pub struct CachingTokenProvider {
    source: Arc<dyn TokenSource>,
    scope: String,
    method: CredentialMethod,
    cache: tokio::sync::Mutex<Option<AccessToken>>,
}

impl CachingTokenProvider {
    pub fn new(
        source: Arc<dyn TokenSource>,
        scope: impl Into<String>,
        method: CredentialMethod,
    ) -> Self {
        CachingTokenProvider {
            source,
            scope: scope.into(),
            method,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    pub fn method(&self) -> CredentialMethod {
        self.method
    }
}

#[async_trait]
impl TokenProvider for CachingTokenProvider {
    async fn bearer(&self) -> Result<Secret, AzureError> {
        let mut guard = self.cache.lock().await;
        let now = OffsetDateTime::now_utc();
        if let Some(t) = guard.as_ref()
            && t.expires_on - REFRESH_MARGIN > now
        {
            return Ok(t.token.clone());
        }
        let fresh = self.source.fetch(&self.scope).await?;
        tracing::debug!(method = %self.method, expires_on = %fresh.expires_on, "obtained an access token");
        let token = fresh.token.clone();
        *guard = Some(fresh);
        Ok(token)
    }
}

/// A fixed token (tests, and callers that obtain tokens elsewhere).
#[derive(Debug, Clone)]
pub struct StaticTokenProvider(pub Secret);

#[async_trait]
impl TokenProvider for StaticTokenProvider {
    async fn bearer(&self) -> Result<Secret, AzureError> {
        Ok(self.0.clone())
    }
}

/// Adapts an `azure_identity` credential.
struct IdentitySource {
    inner: Arc<dyn TokenCredential>,
    method: CredentialMethod,
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
        transport: Some(Transport::new(Arc::new(http.clone()))),
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

fn identity_err(method: CredentialMethod) -> impl Fn(azure_core::Error) -> AzureError {
    move |e| {
        AzureError::config(
            CONFIG_OP,
            format!("cannot set up {method} authentication: {e}"),
        )
    }
}

/// A client assertion supplied by one of our sources (certificate JWT, token string or file,
/// GitHub OIDC).
#[derive(Debug)]
struct Assertion(Arc<dyn AssertionSource>);

#[async_trait]
trait AssertionSource: Send + Sync + fmt::Debug {
    async fn assertion(&self) -> Result<Secret, AzureError>;
}

#[async_trait]
impl azure_identity::ClientAssertion for Assertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.0
            .assertion()
            .await
            .map(|s| s.expose().to_string())
            .map_err(|e| {
                azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    e.to_string(),
                )
            })
    }
}

#[derive(Debug)]
struct StaticAssertion(Secret);

#[async_trait]
impl AssertionSource for StaticAssertion {
    async fn assertion(&self) -> Result<Secret, AzureError> {
        Ok(self.0.clone())
    }
}

/// Re-read on every use: token files are rotated by the platform.
#[derive(Debug)]
struct FileAssertion(PathBuf);

#[async_trait]
impl AssertionSource for FileAssertion {
    async fn assertion(&self) -> Result<Secret, AzureError> {
        let s = tokio::fs::read_to_string(&self.0).await.map_err(|e| {
            AzureError::auth(
                OP,
                format!("cannot read the OIDC token file {}: {e}", self.0.display()),
            )
        })?;
        let s = s.trim();
        if s.is_empty() {
            return Err(AzureError::auth(
                OP,
                format!("the OIDC token file {} is empty", self.0.display()),
            ));
        }
        Ok(Secret::new(s))
    }
}

/// GitHub Actions: `GET {request_url}&audience=api://AzureADTokenExchange` with the request
/// token as bearer; the answer is `{"value": "<id token>"}`.
struct GitHubAssertion {
    http: reqwest::Client,
    url: Url,
    token: Secret,
}

impl fmt::Debug for GitHubAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubAssertion")
            .field("host", &self.url.host_str())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl AssertionSource for GitHubAssertion {
    async fn assertion(&self) -> Result<Secret, AzureError> {
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("audience", "api://AzureADTokenExchange");
        let mut auth =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.token.expose()))
                .map_err(|_| {
                    AzureError::auth(OP, "the OIDC request token contains invalid characters")
                })?;
        auth.set_sensitive(true);
        let resp = self
            .http
            .get(url)
            .header("Authorization", auth)
            .header("Accept", "application/json")
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| {
                AzureError::auth(
                    OP,
                    format!(
                        "requesting the GitHub OIDC token failed: {}",
                        AzureError::transport(OP, e).message()
                    ),
                )
            })?;
        let status = resp.status().as_u16();
        let body: serde_json::Value = resp.json().await.map_err(|_| {
            AzureError::auth(
                OP,
                format!("the GitHub OIDC token endpoint answered HTTP {status} without JSON"),
            )
        })?;
        match body.get("value").and_then(|v| v.as_str()) {
            Some(v) if status == 200 && !v.is_empty() => Ok(Secret::new(v)),
            _ => Err(AzureError::auth(
                OP,
                format!("the GitHub OIDC token endpoint answered HTTP {status} without a token"),
            )),
        }
    }
}

/// A certificate's signing key and SHA-1 thumbprint, for JWT client assertions (RS256).
pub struct CertificateSigner {
    key: Arc<dyn rustls::sign::SigningKey>,
    thumbprint_sha1: [u8; 20],
}

impl fmt::Debug for CertificateSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateSigner")
            .field("x5t", &URL_SAFE_NO_PAD.encode(self.thumbprint_sha1))
            .finish_non_exhaustive()
    }
}

impl CertificateSigner {
    /// Loads a PFX/PKCS#12 file (password optional) or a PEM file holding the certificate and
    /// its private key. Pure Rust: no OpenSSL.
    pub fn from_file(path: &Path, password: Option<&Secret>) -> Result<Self, AzureError> {
        let data = std::fs::read(path).map_err(|e| {
            AzureError::config(
                CONFIG_OP,
                format!(
                    "cannot read client_certificate_path {}: {e}",
                    path.display()
                ),
            )
        })?;
        Self::from_bytes(&data, password, &path.display().to_string())
    }

    pub fn from_bytes(
        data: &[u8],
        password: Option<&Secret>,
        what: &str,
    ) -> Result<Self, AzureError> {
        let bad =
            |m: String| AzureError::config(CONFIG_OP, format!("client certificate {what}: {m}"));
        let looks_pem = data.windows(11).any(|w| w == b"-----BEGIN ");
        let (cert_der, key_der): (Vec<u8>, rustls_pki_types::PrivateKeyDer<'static>) = if looks_pem
        {
            use rustls_pki_types::pem::PemObject;
            let cert = rustls_pki_types::CertificateDer::pem_slice_iter(data)
                .next()
                .ok_or_else(|| bad("no CERTIFICATE block in the PEM file".into()))?
                .map_err(|e| bad(format!("invalid PEM certificate: {e}")))?;
            let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(data)
                .map_err(|_| bad("no unencrypted PRIVATE KEY block in the PEM file (encrypted PEM keys are not supported; use a PFX)".into()))?;
            (cert.to_vec(), key)
        } else {
            let pw = password.map(Secret::expose).unwrap_or("");
            let ks = p12_keystore::KeyStore::from_pkcs12(
                data,
                pw,
                p12_keystore::Pkcs12ImportPolicy::Relaxed,
            )
            .map_err(|e| {
                bad(format!(
                    "cannot open the PFX (wrong client_certificate_password?): {e}"
                ))
            })?;
            let (_, chain) = ks
                .private_key_chain()
                .ok_or_else(|| bad("the PFX holds no private key".into()))?;
            let cert = chain
                .certs()
                .first()
                .ok_or_else(|| bad("the PFX holds no certificate for its key".into()))?;
            let key = rustls_pki_types::PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into());
            (cert.as_der().to_vec(), key)
        };
        let key = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key_der)
            .map_err(|e| bad(format!("unsupported private key: {e}")))?;
        if key.algorithm() != rustls::SignatureAlgorithm::RSA {
            return Err(bad("Entra ID client assertions need an RSA key".into()));
        }
        let thumbprint_sha1 = sha1_smol::Sha1::from(&cert_der).digest().bytes();
        Ok(CertificateSigner {
            key,
            thumbprint_sha1,
        })
    }

    /// A signed client assertion for `audience` (the token endpoint), valid for ten minutes.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<Secret, AzureError> {
        let header = serde_json::json!({
            "alg": "RS256",
            "typ": "JWT",
            "x5t": URL_SAFE_NO_PAD.encode(self.thumbprint_sha1),
        });
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signer = self
            .key
            .choose_scheme(&[rustls::SignatureScheme::RSA_PKCS1_SHA256])
            .ok_or_else(|| AzureError::auth(OP, "the certificate key cannot sign RS256"))?;
        let sig = signer.sign(signing_input.as_bytes()).map_err(|e| {
            AzureError::auth(OP, format!("signing the client assertion failed: {e}"))
        })?;
        Ok(Secret::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(sig)
        )))
    }
}

#[derive(Debug)]
struct CertificateAssertion {
    signer: CertificateSigner,
    client_id: String,
    audience: String,
}

#[async_trait]
impl AssertionSource for CertificateAssertion {
    async fn assertion(&self) -> Result<Secret, AzureError> {
        self.signer.assertion(&self.client_id, &self.audience)
    }
}

/// Managed identity at an explicit endpoint (`msi_endpoint`), IMDS protocol.
struct MsiEndpointSource {
    http: reqwest::Client,
    endpoint: Url,
    client_id: Option<String>,
}

impl fmt::Debug for MsiEndpointSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MsiEndpointSource")
            .field("endpoint", &self.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct MsiTokenResponse {
    access_token: String,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

fn json_i64(v: &Option<serde_json::Value>) -> Option<i64> {
    match v.as_ref()? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[async_trait]
impl TokenSource for MsiEndpointSource {
    async fn fetch(&self, scope: &str) -> Result<AccessToken, AzureError> {
        let resource = scope.strip_suffix("/.default").unwrap_or(scope);
        let mut url = self.endpoint.clone();
        {
            let mut q = url.query_pairs_mut();
            if !self.endpoint.query().unwrap_or("").contains("api-version=") {
                q.append_pair("api-version", "2018-02-01");
            }
            q.append_pair("resource", resource);
            if let Some(c) = &self.client_id {
                q.append_pair("client_id", c);
            }
        }
        let resp = self
            .http
            .get(url)
            .header("Metadata", "true")
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| {
                AzureError::auth(
                    OP,
                    format!(
                        "managed identity endpoint: {}",
                        AzureError::transport(OP, e).message()
                    ),
                )
            })?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| AzureError::auth(OP, AzureError::transport(OP, e).message()))?;
        if status != 200 {
            return Err(AzureError::auth(
                OP,
                format!("the managed identity endpoint answered HTTP {status}"),
            ));
        }
        let t: MsiTokenResponse = serde_json::from_slice(&body).map_err(|_| {
            AzureError::auth(
                OP,
                "the managed identity endpoint answered without an access_token",
            )
        })?;
        let now = OffsetDateTime::now_utc();
        let expires_on = json_i64(&t.expires_on)
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .or_else(|| json_i64(&t.expires_in).map(|s| now + time::Duration::seconds(s)))
            .unwrap_or(now + time::Duration::minutes(10));
        Ok(AccessToken {
            token: Secret::new(t.access_token),
            expires_on,
        })
    }
}

/// What a client-credentials token request sends as proof.
enum ClientProof {
    Secret(Secret),
    Assertion(Arc<dyn AssertionSource>),
}

/// The tenant, client id and proof of the methods that are plain client-credentials flows.
#[allow(clippy::type_complexity)]
fn loopback_parts(
    plan: &CredentialPlan,
    token_endpoint: &dyn Fn(&str) -> Result<String, AzureError>,
    http: &reqwest::Client,
) -> Option<Result<(String, String, ClientProof), AzureError>> {
    let assertion = |t: &String, c: &String, a: Arc<dyn AssertionSource>| {
        Some(Ok((t.clone(), c.clone(), ClientProof::Assertion(a))))
    };
    match plan {
        CredentialPlan::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } => Some(Ok((
            tenant_id.clone(),
            client_id.clone(),
            ClientProof::Secret(secret.clone()),
        ))),
        CredentialPlan::ClientCertificate {
            tenant_id,
            client_id,
            path,
            password,
        } => {
            let built = CertificateSigner::from_file(path, password.as_ref()).and_then(|signer| {
                Ok(CertificateAssertion {
                    signer,
                    client_id: client_id.clone(),
                    audience: token_endpoint(tenant_id)?,
                })
            });
            match built {
                Ok(a) => assertion(tenant_id, client_id, Arc::new(a)),
                Err(e) => Some(Err(e)),
            }
        }
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
        _ => None,
    }
}

/// The OAuth 2.0 client-credentials grant against a loopback http token endpoint.
struct PlainClientCredentials {
    http: reqwest::Client,
    endpoint: String,
    client_id: String,
    credential: ClientProof,
}

impl fmt::Debug for PlainClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainClientCredentials")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct EntraTokenResponse {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    error: Option<String>,
    error_description: Option<String>,
}

#[async_trait]
impl TokenSource for PlainClientCredentials {
    async fn fetch(&self, scope: &str) -> Result<AccessToken, AzureError> {
        let mut form: Vec<(&str, String)> = vec![
            ("client_id", self.client_id.clone()),
            ("grant_type", "client_credentials".to_string()),
            ("scope", scope.to_string()),
        ];
        match &self.credential {
            ClientProof::Secret(s) => form.push(("client_secret", s.expose().to_string())),
            ClientProof::Assertion(a) => {
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
                ));
                form.push((
                    "client_assertion",
                    a.assertion().await?.expose().to_string(),
                ));
            }
        }
        let resp = self
            .http
            .post(&self.endpoint)
            .form(&form)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| {
                AzureError::auth(
                    OP,
                    format!(
                        "token request failed: {}",
                        AzureError::transport(OP, e).message()
                    ),
                )
            })?;
        let status = resp.status().as_u16();
        let body: EntraTokenResponse = resp.json().await.map_err(|_| {
            AzureError::auth(
                OP,
                format!("the token endpoint answered HTTP {status} without JSON"),
            )
        })?;
        match body.access_token {
            Some(token) if status == 200 && !token.is_empty() => {
                let secs = json_i64(&body.expires_in).unwrap_or(600);
                Ok(AccessToken {
                    token: Secret::new(token),
                    expires_on: OffsetDateTime::now_utc() + time::Duration::seconds(secs),
                })
            }
            _ => Err(AzureError::auth(
                OP,
                format!(
                    "the token endpoint answered HTTP {status}: {} {}",
                    body.error.unwrap_or_default(),
                    body.error_description.unwrap_or_default()
                )
                .trim()
                .to_string(),
            )),
        }
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
    let opts = || identity_client_options(http, endpoints);
    let assertion_opts = || azure_identity::ClientAssertionCredentialOptions {
        client_options: opts(),
    };
    let token_endpoint = |tenant: &str| -> Result<String, AzureError> {
        endpoints
            .authority_host
            .join(&format!("{tenant}/oauth2/v2.0/token"))
            .map(|u| u.to_string())
            .map_err(|e| {
                AzureError::config(CONFIG_OP, format!("invalid tenant_id {tenant:?}: {e}"))
            })
    };
    let with_assertion = |tenant: &str,
                          client: &str,
                          src: Arc<dyn AssertionSource>|
     -> Result<Arc<dyn TokenCredential>, AzureError> {
        let c = azure_identity::ClientAssertionCredential::new(
            tenant.to_string(),
            client.to_string(),
            Assertion(src),
            Some(assertion_opts()),
        )
        .map_err(identity_err(method))?;
        Ok(c as Arc<dyn TokenCredential>)
    };
    // azure_identity refuses a plain-http authority; an emulator on a loopback address may
    // serve one, so the client-credentials methods go through our own small token client there.
    if endpoints.authority_host.scheme() == "http"
        && let Some(parts) = loopback_parts(plan, &token_endpoint, http)
    {
        let (tenant, client, cred) = parts?;
        let source = Arc::new(PlainClientCredentials {
            http: http.clone(),
            endpoint: token_endpoint(&tenant)?,
            client_id: client,
            credential: cred,
        });
        tracing::info!(method = %method, "authentication method chosen (loopback token endpoint)");
        return Ok(Arc::new(CachingTokenProvider::new(
            source,
            endpoints.scope(),
            method,
        )));
    }
    let source: Arc<dyn TokenSource> = match plan {
        CredentialPlan::ClientCertificate {
            tenant_id,
            client_id,
            path,
            password,
        } => {
            let signer = CertificateSigner::from_file(path, password.as_ref())?;
            let src = Arc::new(CertificateAssertion {
                signer,
                client_id: client_id.clone(),
                audience: token_endpoint(tenant_id)?,
            });
            Arc::new(IdentitySource {
                inner: with_assertion(tenant_id, client_id, src)?,
                method,
            })
        }
        CredentialPlan::ClientSecret {
            tenant_id,
            client_id,
            secret,
        } => {
            let c = azure_identity::ClientSecretCredential::new(
                tenant_id,
                client_id.clone(),
                azure_core::credentials::Secret::new(secret.expose().to_string()),
                Some(azure_identity::ClientSecretCredentialOptions {
                    client_options: opts(),
                }),
            )
            .map_err(identity_err(method))?;
            Arc::new(IdentitySource { inner: c, method })
        }
        CredentialPlan::OidcToken {
            tenant_id,
            client_id,
            token,
        } => Arc::new(IdentitySource {
            inner: with_assertion(
                tenant_id,
                client_id,
                Arc::new(StaticAssertion(token.clone())),
            )?,
            method,
        }),
        CredentialPlan::OidcTokenFile {
            tenant_id,
            client_id,
            path,
        } => Arc::new(IdentitySource {
            inner: with_assertion(tenant_id, client_id, Arc::new(FileAssertion(path.clone())))?,
            method,
        }),
        CredentialPlan::GitHubOidc {
            tenant_id,
            client_id,
            request_url,
            request_token,
        } => {
            let src = Arc::new(GitHubAssertion {
                http: http.clone(),
                url: request_url.clone(),
                token: request_token.clone(),
            });
            Arc::new(IdentitySource {
                inner: with_assertion(tenant_id, client_id, src)?,
                method,
            })
        }
        CredentialPlan::AzurePipelines {
            tenant_id,
            client_id,
            service_connection_id,
            system_access_token,
        } => {
            let c = azure_identity::AzurePipelinesCredential::new(
                tenant_id.clone(),
                client_id.clone(),
                service_connection_id,
                azure_core::credentials::Secret::new(system_access_token.expose().to_string()),
                Some(azure_identity::AzurePipelinesCredentialOptions {
                    credential_options: assertion_opts(),
                }),
            )
            .map_err(identity_err(method))?;
            Arc::new(IdentitySource { inner: c, method })
        }
        CredentialPlan::AksWorkloadIdentity {
            tenant_id,
            client_id,
            token_file,
        } => {
            let c = azure_identity::WorkloadIdentityCredential::new(Some(
                azure_identity::WorkloadIdentityCredentialOptions {
                    credential_options: assertion_opts(),
                    client_id: Some(client_id.clone()),
                    tenant_id: Some(tenant_id.clone()),
                    token_file_path: Some(token_file.clone()),
                },
            ))
            .map_err(identity_err(method))?;
            Arc::new(IdentitySource { inner: c, method })
        }
        CredentialPlan::ManagedIdentity {
            client_id,
            endpoint: Some(endpoint),
        } => Arc::new(MsiEndpointSource {
            http: http.clone(),
            endpoint: endpoint.clone(),
            client_id: client_id.clone(),
        }),
        CredentialPlan::ManagedIdentity {
            client_id,
            endpoint: None,
        } => {
            let c = azure_identity::ManagedIdentityCredential::new(Some(
                azure_identity::ManagedIdentityCredentialOptions {
                    user_assigned_id: client_id
                        .clone()
                        .map(azure_identity::UserAssignedId::ClientId),
                    client_options: opts(),
                },
            ))
            .map_err(identity_err(method))?;
            Arc::new(IdentitySource { inner: c, method })
        }
        CredentialPlan::AzureCli {
            tenant_id,
            subscription_id,
        } => {
            let c = azure_identity::AzureCliCredential::new(Some(
                azure_identity::AzureCliCredentialOptions {
                    tenant_id: tenant_id.clone(),
                    subscription: subscription_id.clone(),
                    ..Default::default()
                },
            ))
            .map_err(identity_err(method))?;
            // The CLI credential does not cache; the caching provider below does.
            Arc::new(IdentitySource { inner: c, method })
        }
    };
    tracing::info!(method = %method, "authentication method chosen");
    Ok(Arc::new(CachingTokenProvider::new(
        source,
        endpoints.scope(),
        method,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug)]
    struct Counting {
        calls: AtomicU32,
        lifetime: time::Duration,
    }

    #[async_trait]
    impl TokenSource for Counting {
        async fn fetch(&self, _scope: &str) -> Result<AccessToken, AzureError> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(AccessToken {
                token: Secret::new(format!("t{n}")),
                expires_on: OffsetDateTime::now_utc() + self.lifetime,
            })
        }
    }

    #[tokio::test]
    async fn cache_reuses_until_five_minutes_before_expiry() {
        let long = Arc::new(Counting {
            calls: AtomicU32::new(0),
            lifetime: time::Duration::minutes(60),
        });
        let p = CachingTokenProvider::new(long.clone(), "s", CredentialMethod::AzureCli);
        assert_eq!(p.bearer().await.unwrap().expose(), "t1");
        assert_eq!(p.bearer().await.unwrap().expose(), "t1");
        assert_eq!(long.calls.load(Ordering::SeqCst), 1);
        // A token with less than the margin left is refreshed on every use.
        let short = Arc::new(Counting {
            calls: AtomicU32::new(0),
            lifetime: time::Duration::minutes(4),
        });
        let p = CachingTokenProvider::new(short.clone(), "s", CredentialMethod::AzureCli);
        assert_eq!(p.bearer().await.unwrap().expose(), "t1");
        assert_eq!(p.bearer().await.unwrap().expose(), "t2");
    }
}
