//! Managed identity at an explicit endpoint (`msi_endpoint`, IMDS protocol), and the rule for
//! which endpoints may be used (https, loopback, or the link-local IMDS address).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use url::Url;

use super::cache::{AccessToken, TokenSource, json_i64};
use super::{CredentialMethod, OP, loud};
use crate::azure::cloud::check_endpoint;
use crate::azure::config::Secret;
use crate::azure::error::AzureError;

/// The instance metadata service is plain http on a link-local address; allow that and loopback.
pub(super) fn check_msi_endpoint(s: &str) -> Result<Url, AzureError> {
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

/// Managed identity at an explicit endpoint (`msi_endpoint`), IMDS protocol.
pub(super) struct MsiEndpointSource {
    pub(super) http: reqwest::Client,
    pub(super) endpoint: Url,
    pub(super) client_id: Option<String>,
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
