//! The OAuth 2.0 client-credentials grant against a plain-http token endpoint on a loopback
//! address (an emulator), which `azure_identity` refuses to call.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::OP;
use super::assertion::AssertionSource;
use super::cache::{AccessToken, TokenSource, json_i64};
use crate::azure::config::Secret;
use crate::azure::error::AzureError;

/// What a client-credentials token request sends as proof.
pub(super) enum ClientProof {
    Secret(Secret),
    Assertion(Arc<dyn AssertionSource>),
}

/// The OAuth 2.0 client-credentials grant against a loopback http token endpoint.
pub(super) struct PlainClientCredentials {
    pub(super) http: reqwest::Client,
    pub(super) endpoint: String,
    pub(super) client_id: String,
    pub(super) credential: ClientProof,
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
