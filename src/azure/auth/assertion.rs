//! Client assertions for the client-credentials grant: a certificate-signed JWT, an OIDC token
//! string, a token file (re-read on each use), and GitHub Actions' OIDC endpoint.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::http::ClientMethodOptions;
use url::Url;

use super::OP;
use super::certificate::CertificateSigner;
use crate::azure::config::Secret;
use crate::azure::error::AzureError;

/// A client assertion supplied by one of our sources (certificate JWT, token string or file,
/// GitHub OIDC).
#[derive(Debug)]
pub(super) struct Assertion(pub(super) Arc<dyn AssertionSource>);

#[async_trait]
pub(super) trait AssertionSource: Send + Sync + fmt::Debug {
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
pub(super) struct StaticAssertion(pub(super) Secret);

#[async_trait]
impl AssertionSource for StaticAssertion {
    async fn assertion(&self) -> Result<Secret, AzureError> {
        Ok(self.0.clone())
    }
}

/// Re-read on every use: token files are rotated by the platform.
#[derive(Debug)]
pub(super) struct FileAssertion(pub(super) PathBuf);

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
pub(super) struct GitHubAssertion {
    pub(super) http: reqwest::Client,
    pub(super) url: Url,
    pub(super) token: Secret,
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

#[derive(Debug)]
pub(super) struct CertificateAssertion {
    pub(super) signer: CertificateSigner,
    pub(super) client_id: String,
    pub(super) audience: String,
}

#[async_trait]
impl AssertionSource for CertificateAssertion {
    async fn assertion(&self) -> Result<Secret, AzureError> {
        self.signer.assertion(&self.client_id, &self.audience)
    }
}
