//! The token interfaces ([`TokenProvider`], [`TokenSource`]) and the cache between them: a
//! token is reused until [`REFRESH_MARGIN`] before it expires, with one refresh at a time.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::CredentialMethod;
use crate::azure::config::Secret;
use crate::azure::error::AzureError;

/// Tokens are renewed this long before they expire, so a request never starts with a token
/// that dies in flight.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

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

/// `expires_in`/`expires_on` as token endpoints send them: a number or a numeric string.
pub(super) fn json_i64(v: &Option<serde_json::Value>) -> Option<i64> {
    match v.as_ref()? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
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
