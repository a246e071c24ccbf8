//! One logical HTTP request with retries: 429 (honouring `Retry-After`, seconds or HTTP-date), 408, 5xx and
//! connection errors, exponential backoff with injectable jitter, bounded attempts and elapsed
//! time, timeouts retried only for idempotent methods, cancellation observed between attempts.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::azure::auth::TokenProvider;
use crate::azure::error::AzureError;
use crate::azure::http::Clock;
use crate::azure::http::throttle::{Class, Throttle};

/// Retry policy. See the [`Default`] impl for the values and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryConfig {
    /// Total attempts including the first: a safety bound only. Time bounds retries: the
    /// caller's deadline and [`RetryConfig::max_elapsed`].
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles after each retry.
    pub initial_backoff: Duration,
    /// Cap on one computed backoff (a server's `Retry-After` may ask for more and is honoured).
    pub max_backoff: Duration,
    /// No retry is started if it would begin later than this after the first attempt.
    pub max_elapsed: Duration,
    /// Limit on one attempt (send + read the whole body).
    pub attempt_timeout: Duration,
}

impl Default for RetryConfig {
    /// Backoff 1 s doubling to at most 30 s, no retry started after 3 minutes or past the
    /// caller's deadline, 60 s per attempt, at most 20 attempts. ARM's throttling windows are
    /// about a minute and its transient 5xx usually clear within seconds. A fixed small count
    /// (it used to be 5, about 15 s) gave up on a flaky network long before the operation's own
    /// timeout said to: plans of 50 instances failed at 2 % dropped connections.
    fn default() -> Self {
        RetryConfig {
            max_attempts: 20,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(180),
            attempt_timeout: Duration::from_secs(60),
        }
    }
}

/// Randomises a computed backoff so many clients do not retry in lockstep.
pub trait Jitter: Send + Sync + fmt::Debug {
    fn apply(&self, backoff: Duration) -> Duration;
}

/// "Equal jitter": a uniformly random delay between half and all of the backoff.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn apply(&self, backoff: Duration) -> Duration {
        let f: f64 = rand::random_range(0.5..=1.0);
        backoff.mul_f64(f)
    }
}

/// No randomness: the backoff as computed (tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoJitter;

impl Jitter for NoJitter {
    fn apply(&self, backoff: Duration) -> Duration {
        backoff
    }
}

/// The server-requested wait: `retry-after-ms`, `x-ms-retry-after-ms`, or `Retry-After` as
/// integer seconds or an HTTP-date (RFC 9110 allows both; gateways and CDNs send dates).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, std::time::SystemTime::now())
}

/// [`retry_after`] with the wall clock injected. An HTTP-date is measured from the response's
/// own `Date` header when it has one (so a skewed local clock does not matter), else from `now`;
/// a date in the past means "now" (zero), not "ignore".
pub fn retry_after_at(headers: &HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    for ms in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(v) = text(ms).and_then(|v| v.parse::<u64>().ok()) {
            return Some(Duration::from_millis(v));
        }
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let reference = text("date")
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or(now);
    Some(at.duration_since(reference).unwrap_or(Duration::ZERO))
}

/// Status codes worth another attempt.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429) || ((500..=599).contains(&status) && status != 501 && status != 505)
}

fn is_idempotent(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// A finished HTTP exchange (any status).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub request_id: Option<String>,
    pub attempts: u32,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether this answer proves the resource asked for does not exist (see
    /// [`crate::azure::error::proves_absent`]); any other 404 is an error.
    pub fn proves_absent(&self) -> bool {
        crate::azure::error::proves_absent(self.status, self.header("x-ms-error-code"), &self.body)
    }

    /// This response as an [`AzureError`] (for non-2xx answers).
    pub fn to_error(&self, ctx: &CallContext<'_>) -> AzureError {
        AzureError::from_response(
            ctx.operation,
            self.status,
            self.header("x-ms-error-code"),
            &self.body,
        )
        .with_correlation_id(ctx.correlation_id)
        .with_request_id(self.request_id.clone())
        .with_attempts(self.attempts)
    }
}

/// Per-call context: the operation's name for errors and logs, its correlation id, the
/// caller's deadline and cancellation.
#[derive(Debug, Clone, Copy)]
pub struct CallContext<'a> {
    pub operation: &'a str,
    pub correlation_id: &'a str,
    pub deadline: Instant,
    pub cancel: &'a CancellationToken,
}

/// Everything needed to send authenticated ARM requests; shared by all clones of the client.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub http: reqwest::Client,
    pub credential: Arc<dyn TokenProvider>,
    pub user_agent: String,
    pub retry: RetryConfig,
    pub clock: Arc<dyn Clock>,
    pub jitter: Arc<dyn Jitter>,
    /// The only origin (scheme, host, port) that ever receives the bearer token: the configured
    /// Resource Manager endpoint. Operation URLs come from response headers, which a proxy or
    /// a compromised answer can point anywhere; the token must not follow them.
    pub token_origin: url::Origin,
    /// Remaining-budget headers and 429s, shared by every concurrent request of the process.
    pub throttle: Arc<Throttle>,
}

enum Attempt {
    Done(Response),
    Failed(reqwest::Error),
}

impl Pipeline {
    fn deadline_error(&self, ctx: &CallContext<'_>, attempts: u32) -> AzureError {
        AzureError::timeout(
            ctx.operation,
            "the deadline passed before the request could complete",
        )
        .with_correlation_id(ctx.correlation_id)
        .with_attempts(attempts)
    }

    /// Refuses any URL whose scheme, host or port differs from the Resource Manager endpoint's.
    fn check_origin(&self, ctx: &CallContext<'_>, url: &str) -> Result<(), AzureError> {
        let parsed = url::Url::parse(url).map_err(|_| {
            AzureError::decode(
                ctx.operation,
                "Azure returned an operation URL that is not a valid absolute URL",
            )
            .with_correlation_id(ctx.correlation_id)
        })?;
        if parsed.origin() == self.token_origin {
            return Ok(());
        }
        let host = parsed.host_str().unwrap_or("(no host)");
        let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
        Err(AzureError::decode(
            ctx.operation,
            format!(
                "the service pointed the provider at {}://{host}{port}, which is not the configured Resource Manager endpoint ({}); the provider sends its access token only there, so it did not follow the URL. A proxy between you and Azure may be rewriting headers.",
                parsed.scheme(),
                self.token_origin.ascii_serialization()
            ),
        )
        .with_correlation_id(ctx.correlation_id))
    }

    /// Sleeps on the injected clock unless cancelled first.
    pub async fn sleep(&self, d: Duration, ctx: &CallContext<'_>) -> Result<(), AzureError> {
        tokio::select! {
            biased;
            _ = ctx.cancel.cancelled() => Err(AzureError::cancelled(ctx.operation).with_correlation_id(ctx.correlation_id)),
            _ = self.clock.sleep(d) => Ok(()),
        }
    }

    /// Sends one logical request, retrying as configured. Returns the last response whatever
    /// its status; errors are transport failures after the last attempt, the deadline,
    /// cancellation, or token acquisition.
    ///
    /// `url` is used as given: status URLs carry signed query strings that must not be rebuilt.
    ///
    /// # Errors
    /// Besides the above, a URL outside [`Pipeline::token_origin`] is refused before anything
    /// is sent (a `Decode` error naming the URL's host), so the token never leaves for it.
    pub async fn send(
        &self,
        ctx: &CallContext<'_>,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, AzureError> {
        let repeatable = is_idempotent(&method);
        self.send_impl(ctx, method, url, body, repeatable).await
    }

    /// Like [`Pipeline::send`] for a POST that changes nothing (`validateForBackup`): a timeout
    /// or a dropped connection is retried as for a GET, since repeating it is harmless.
    pub async fn send_read_only(
        &self,
        ctx: &CallContext<'_>,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, AzureError> {
        self.send_impl(ctx, method, url, body, true).await
    }

    async fn send_impl(
        &self,
        ctx: &CallContext<'_>,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
        repeatable: bool,
    ) -> Result<Response, AzureError> {
        self.check_origin(ctx, url)?;
        let body_bytes = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| {
                AzureError::decode(
                    ctx.operation,
                    format!("cannot encode the request body: {e}"),
                )
            })?),
            None => None,
        };
        let start = self.clock.now();
        let class = Class::of(&method);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            if ctx.cancel.is_cancelled() {
                return Err(AzureError::cancelled(ctx.operation)
                    .with_correlation_id(ctx.correlation_id)
                    .with_attempts(attempt - 1));
            }
            let mut now = self.clock.now();
            // Slow down while ARM says the subscription's budget is nearly spent, or while a 429
            // holds this class back, before adding to the problem.
            let hold = self.throttle.delay(class, now);
            if !hold.is_zero() {
                if now + hold >= ctx.deadline {
                    return Err(self.deadline_error(ctx, attempt - 1));
                }
                tracing::info!(
                    operation = ctx.operation,
                    correlation_id = ctx.correlation_id,
                    delay_ms = hold.as_millis() as u64,
                    "pacing the request: Azure Resource Manager's request budget is low"
                );
                self.sleep(hold, ctx).await?;
                now = self.clock.now();
            }
            if now >= ctx.deadline {
                return Err(self.deadline_error(ctx, attempt - 1));
            }
            let per_attempt = self.retry.attempt_timeout.min(ctx.deadline - now);
            let token = tokio::select! {
                biased;
                _ = ctx.cancel.cancelled() => return Err(AzureError::cancelled(ctx.operation).with_correlation_id(ctx.correlation_id)),
                // A token endpoint that hangs must not outlive the attempt's budget.
                t = tokio::time::timeout(per_attempt, self.credential.bearer()) => match t {
                    Ok(t) => t.map_err(|e| e.with_correlation_id(ctx.correlation_id))?,
                    Err(_) => return Err(AzureError::auth(
                        ctx.operation,
                        format!("getting an access token did not finish within {} s", per_attempt.as_secs()),
                    )
                    .with_correlation_id(ctx.correlation_id)),
                },
            };
            let mut req = self
                .http
                .request(method.clone(), url)
                .timeout(per_attempt)
                .header("Authorization", bearer_header(&token)?)
                .header("User-Agent", self.user_agent.as_str())
                .header("Accept", "application/json")
                .header("x-ms-correlation-request-id", ctx.correlation_id);
            if let Some(b) = &body_bytes {
                req = req
                    .header("Content-Type", "application/json")
                    .body(b.clone());
            }
            let outcome = tokio::select! {
                biased;
                _ = ctx.cancel.cancelled() => return Err(AzureError::cancelled(ctx.operation).with_correlation_id(ctx.correlation_id).with_attempts(attempt)),
                r = async {
                    match req.send().await {
                        Ok(resp) => {
                            let status = resp.status().as_u16();
                            let headers = resp.headers().clone();
                            match resp.bytes().await {
                                Ok(b) => Attempt::Done(Response {
                                    status,
                                    request_id: headers.get("x-ms-request-id").and_then(|v| v.to_str().ok()).map(str::to_string),
                                    headers,
                                    body: b.to_vec(),
                                    attempts: attempt,
                                }),
                                Err(e) => Attempt::Failed(e),
                            }
                        }
                        Err(e) => Attempt::Failed(e),
                    }
                } => r,
            };
            if let Attempt::Done(resp) = &outcome {
                self.throttle.observe(
                    class,
                    resp.status,
                    &resp.headers,
                    retry_after(&resp.headers),
                    self.clock.now(),
                );
            }
            let (retry_reason, server_wait, last) = match outcome {
                Attempt::Done(resp) if is_retryable_status(resp.status) => (
                    format!("HTTP {}", resp.status),
                    retry_after(&resp.headers),
                    Ok(resp),
                ),
                Attempt::Done(resp) => return Ok(resp),
                // The attempt was cut short by the caller's deadline, not by a slow server:
                // report it as the deadline so callers see a timeout, not a transport failure.
                Attempt::Failed(e) if e.is_timeout() && self.clock.now() >= ctx.deadline => {
                    return Err(self.deadline_error(ctx, attempt));
                }
                Attempt::Failed(e) => {
                    // An untrusted certificate will not become trusted by trying again.
                    if let Some(problem) = super::tls::certificate_problem(&e) {
                        return Err(super::tls::untrusted(
                            ctx.operation,
                            &super::tls::host_of(url),
                            &problem,
                        )
                        .with_correlation_id(ctx.correlation_id)
                        .with_attempts(attempt));
                    }
                    // A timeout may mean the server acted on the request: only repeat requests
                    // that are safe to repeat. A refused connection never reached the server.
                    let retry = e.is_connect()
                        || (repeatable && (e.is_timeout() || e.is_request() || e.is_body()));
                    let err = AzureError::transport(ctx.operation, e)
                        .with_correlation_id(ctx.correlation_id)
                        .with_attempts(attempt);
                    if !retry {
                        return Err(err);
                    }
                    (err.message(), None, Err(err))
                }
            };
            let backoff = self.jitter.apply(
                self.retry
                    .initial_backoff
                    .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
                    .min(self.retry.max_backoff),
            );
            // Never sooner than the server asked.
            let delay = server_wait.unwrap_or(backoff);
            let now = self.clock.now();
            let give_up = attempt >= self.retry.max_attempts
                || now.saturating_duration_since(start).saturating_add(delay)
                    > self.retry.max_elapsed
                || super::reaches(now, delay, ctx.deadline);
            if give_up {
                tracing::warn!(
                    operation = ctx.operation,
                    correlation_id = ctx.correlation_id,
                    attempt,
                    reason = %retry_reason,
                    "giving up after {attempt} attempt(s)"
                );
                return last;
            }
            tracing::warn!(
                operation = ctx.operation,
                correlation_id = ctx.correlation_id,
                attempt,
                reason = %retry_reason,
                delay_ms = delay.as_millis() as u64,
                "retrying request"
            );
            self.sleep(delay, ctx).await?;
        }
    }
}

fn bearer_header(token: &crate::azure::config::Secret) -> Result<HeaderValue, AzureError> {
    let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
        AzureError::auth(
            "authenticate",
            "the access token contains characters not allowed in a header",
        )
    })?;
    v.set_sensitive(true);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_variants() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after-ms", HeaderValue::from_static("1500"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn retry_after_http_date_is_measured_from_the_date_header_or_now() {
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:30 GMT"),
        );
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:10 GMT").unwrap();
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(20)));
        // The server's own Date wins over a skewed local clock.
        h.insert(
            "date",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(30)));
        // A date already past means retry now.
        h.remove("date");
        let later = httpdate::parse_http_date("Wed, 21 Oct 2015 08:00:00 GMT").unwrap();
        assert_eq!(retry_after_at(&h, later), Some(Duration::ZERO));
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 409, 501, 505] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..100 {
            let d = RandomJitter.apply(Duration::from_secs(10));
            assert!(
                d >= Duration::from_secs(5) && d <= Duration::from_secs(10),
                "{d:?}"
            );
        }
        assert_eq!(
            NoJitter.apply(Duration::from_secs(3)),
            Duration::from_secs(3)
        );
    }
}
