//! [`DataProtectionClient`]: one method per Data Protection REST operation on backup
//! instances, each one logical operation with its own correlation id, retries, and polling to
//! the end.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::azure::arm_id::{BackupInstanceId, BackupVaultId};
use crate::azure::auth::{self, TokenProvider};
use crate::azure::cloud::{self, CloudEndpoints};
use crate::azure::config::{self, API_2021_01_01, AzureConfig};
use crate::azure::error::{AzureError, ErrorKind};
use crate::azure::http::retry::{
    CallContext, Jitter, Pipeline, RandomJitter, Response, RetryConfig,
};
use crate::azure::http::{Clock, tokio_clock};
use crate::azure::models::{
    BackupInstance, BackupInstanceList, BackupInstanceResource, RawBackupInstanceList,
};
use crate::azure::poller::{self, PollConfig, PollRequest};

mod backups;
pub mod identity;
mod lifecycle;
pub use backups::{JOB_POLL, MAX_LIST_ITEMS, PointFilter, RecoveryPoints, job_error};
mod ranges;
mod restore;
pub use lifecycle::{ProtectionAction, SoftDeleteSettings};
pub use ranges::{TimeRange, parse_ranges};
pub use restore::COMPUTE_API_VERSION;

/// The caller's bounds for one operation.
#[derive(Debug, Clone)]
pub struct OpOptions {
    pub deadline: Instant,
    pub cancel: CancellationToken,
}

impl OpOptions {
    /// A deadline `timeout` from now and a fresh cancellation token.
    pub fn with_timeout(timeout: std::time::Duration) -> Self {
        OpOptions {
            deadline: crate::azure::http::instant_after(Instant::now(), timeout),
            cancel: CancellationToken::new(),
        }
    }

    /// The per-request context of one logical operation under these options.
    fn context<'a>(&'a self, operation: &'static str, correlation_id: &'a str) -> CallContext<'a> {
        CallContext {
            operation,
            correlation_id,
            deadline: self.deadline,
            cancel: &self.cancel,
        }
    }
}

/// Upper bound on list pages; a vault never holds this many pages of instances.
const MAX_PAGES: usize = 1000;
/// Upper bound on list entries (1,000 pages at the service's 200 per page is 200,000).
pub const MAX_ENTRIES: usize = 200_000;

/// Client for backup instances. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DataProtectionClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pipeline: Pipeline,
    endpoints: CloudEndpoints,
    api_version: String,
    subscription_id: String,
    poll: PollConfig,
}

/// Builds a [`DataProtectionClient`] with injected parts (tests, emulators).
#[derive(Debug)]
pub struct ClientBuilder {
    config: AzureConfig,
    http: Option<reqwest::Client>,
    credential: Option<Arc<dyn TokenProvider>>,
    retry: RetryConfig,
    poll: PollConfig,
    clock: Arc<dyn Clock>,
    jitter: Arc<dyn Jitter>,
    extra_roots: Vec<reqwest::Certificate>,
}

impl ClientBuilder {
    /// Use this HTTPS client (for ARM, discovery and token requests) instead of building one.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Extra trust roots for the client this builder creates (ignored with `http_client`).
    pub fn add_root_certificate(mut self, cert: reqwest::Certificate) -> Self {
        self.extra_roots.push(cert);
        self
    }

    /// Use this token provider instead of choosing one from the configuration.
    pub fn credential(mut self, credential: Arc<dyn TokenProvider>) -> Self {
        self.credential = Some(credential);
        self
    }

    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    pub fn poll(mut self, poll: PollConfig) -> Self {
        self.poll = poll;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    /// Resolves endpoints (discovery included), chooses the credential, builds the client.
    pub async fn build(self) -> Result<DataProtectionClient, AzureError> {
        let config = self.config;
        check_api_version(&config.api_version)?;
        // No subscription check: every call addresses a full ARM ID that names its own
        // subscription; the setting only scopes the Azure CLI credential.
        let http = match self.http {
            Some(h) => h,
            None => cloud::build_http_client(self.extra_roots)?,
        };
        let endpoints = cloud::resolve(&config, &http).await?;
        let credential = match self.credential {
            Some(c) => c,
            None => {
                let plan = auth::select_credential(&config, &|k| std::env::var(k).ok())?;
                auth::build_provider(&plan, &endpoints, &http)?
            }
        };
        let mut user_agent = format!(
            "terraform-provider-azurebackup/{}",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(p) = config
            .partner_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            user_agent.push_str(&format!(" pid-{}", p.trim_start_matches("pid-")));
        }
        tracing::info!(cloud = %endpoints.name, resource_manager = %endpoints.resource_manager, api_version = %config.api_version, "Azure client ready");
        Ok(DataProtectionClient {
            inner: Arc::new(Inner {
                pipeline: Pipeline {
                    http,
                    credential,
                    user_agent,
                    retry: self.retry,
                    clock: self.clock,
                    jitter: self.jitter,
                    token_origin: endpoints.resource_manager.origin(),
                    throttle: Arc::default(),
                },
                endpoints,
                api_version: config.api_version.trim().to_string(),
                subscription_id: config.subscription_id.trim().to_string(),
                poll: self.poll,
            }),
        })
    }
}

/// [`config::check_api_version`] as a configuration error of this client.
fn check_api_version(v: &str) -> Result<(), AzureError> {
    config::check_api_version(v)
        .map_err(|e| AzureError::config("configure", format!("api_version {e}")))
}

impl DataProtectionClient {
    pub fn builder(config: AzureConfig) -> ClientBuilder {
        ClientBuilder {
            config,
            http: None,
            credential: None,
            retry: RetryConfig::default(),
            poll: PollConfig::default(),
            clock: tokio_clock(),
            jitter: Arc::new(RandomJitter),
            extra_roots: Vec::new(),
        }
    }

    /// Resolves cloud endpoints (including `metadata_host` discovery) and chooses the credential
    /// once; a misconfigured credential fails here.
    pub async fn new(config: AzureConfig) -> Result<DataProtectionClient, AzureError> {
        Self::builder(config).build().await
    }

    pub fn api_version(&self) -> &str {
        &self.inner.api_version
    }

    fn is_2021_01_01(&self) -> bool {
        self.inner
            .api_version
            .get(..10)
            .is_some_and(|d| d <= API_2021_01_01)
    }

    /// Whether `datasourceAuthCredentials` (Key Vault secret) can be sent.
    pub fn supports_auth_credentials(&self) -> bool {
        !self.is_2021_01_01()
    }

    /// Whether backup instance `tags` can be sent.
    pub fn supports_tags(&self) -> bool {
        !self.is_2021_01_01()
    }

    pub fn subscription_id(&self) -> &str {
        &self.inner.subscription_id
    }

    pub fn endpoints(&self) -> &CloudEndpoints {
        &self.inner.endpoints
    }

    /// Gets an access token now (it is cached for the requests that follow), so that a
    /// credential the identity platform refuses, or a token endpoint that cannot be reached, is
    /// one error when the provider is configured rather than one per resource and data source.
    pub async fn authenticate(
        &self,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), AzureError> {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(AzureError::cancelled("authenticate")),
            t = tokio::time::timeout(timeout, self.inner.pipeline.credential.bearer()) => match t {
                Ok(t) => t.map(|_| ()),
                Err(_) => Err(AzureError::auth(
                    "authenticate",
                    format!("getting an access token did not finish within {} s", timeout.as_secs()),
                )),
            },
        }
    }

    /// The Resource Manager URL of `id` followed by `extra` segments. Each segment is pushed
    /// percent-encoded, and the ID must read back as itself under the naming grammar, so no
    /// value can add, drop or resolve (`.`, `..`) a path segment: the URL names exactly `id`.
    fn url<I>(&self, id: &I, extra: &[&str]) -> Result<String, AzureError>
    where
        I: std::fmt::Display + std::str::FromStr + PartialEq,
    {
        let text = id.to_string();
        if text.parse::<I>().ok().as_ref() != Some(id) {
            return Err(AzureError::config(
                "build request URL",
                format!("{text:?} is not a valid resource ID; refusing to send a request for it"),
            ));
        }
        let mut u: Url = self.inner.endpoints.resource_manager.clone();
        u.set_query(None);
        {
            let mut segs = u.path_segments_mut().map_err(|()| {
                AzureError::config(
                    "build request URL",
                    "the Resource Manager endpoint cannot hold a path",
                )
            })?;
            segs.pop_if_empty();
            for seg in text.split('/').skip(1).chain(extra.iter().copied()) {
                segs.push(seg);
            }
        }
        u.query_pairs_mut()
            .append_pair("api-version", &self.inner.api_version);
        Ok(u.to_string())
    }

    /// An answer for another resource than the one asked for (a proxy, a redirect, a path the
    /// service normalised), or one that does not say (no `id`), is an error, never state.
    fn check_answer(
        ctx: &CallContext<'_>,
        resp: &Response,
        asked: &BackupInstanceId,
        got: &BackupInstanceResource,
    ) -> Result<(), AzureError> {
        match got.id.as_deref() {
            Some(id) if crate::azure::wait::same_arm_id(id, &asked.to_string()) => Ok(()),
            other => Err(AzureError::decode(
                ctx.operation,
                format!(
                    "the service answered for {:?} instead of the requested {asked}; the answer was not used",
                    other.unwrap_or("(no id)")
                ),
            )
            .with_correlation_id(ctx.correlation_id)
            .with_request_id(resp.request_id.clone())),
        }
    }

    /// The instance as this API version can accept it: properties that 2021-01-01 does not
    /// know are dropped, and a Key Vault credential is a configuration error there.
    fn instance_for_api(
        &self,
        instance: &BackupInstance,
        op: &str,
    ) -> Result<BackupInstance, AzureError> {
        let mut bi = instance.clone();
        // Read-only properties are never sent.
        bi.protection_status = None;
        bi.current_protection_state = None;
        bi.protection_error_details = None;
        bi.provisioning_state = None;
        if self.is_2021_01_01() {
            if bi.datasource_auth_credentials.is_some() {
                return Err(AzureError::config(
                    op,
                    "a Key Vault secret for datasource credentials needs a newer api_version than 2021-01-01 (for example 2025-07-01)",
                ));
            }
            bi.identity_details = None;
            bi.validation_type = None;
        }
        Ok(bi)
    }

    fn start(&self, operation: &'static str, target: &str) -> String {
        let correlation_id = uuid::Uuid::new_v4().to_string();
        tracing::info!(operation, correlation_id = %correlation_id, target, "starting");
        correlation_id
    }

    fn finish(
        &self,
        ctx: &CallContext<'_>,
        last: Option<&Response>,
        result: &Result<(), &AzureError>,
    ) {
        let request_id = last.and_then(|r| r.request_id.as_deref()).unwrap_or("");
        match result {
            Ok(()) => tracing::info!(
                operation = ctx.operation,
                correlation_id = ctx.correlation_id,
                request_id,
                "finished"
            ),
            Err(e) => tracing::info!(
                operation = ctx.operation,
                correlation_id = ctx.correlation_id,
                request_id = e.request_id().unwrap_or(request_id),
                error = %e,
                "failed"
            ),
        }
    }

    fn log_result<T>(
        &self,
        ctx: &CallContext<'_>,
        r: Result<(T, Option<Response>), AzureError>,
    ) -> Result<T, AzureError> {
        match r {
            Ok((v, last)) => {
                self.finish(ctx, last.as_ref(), &Ok(()));
                Ok(v)
            }
            Err(e) => {
                self.finish(ctx, None, &Err(&e));
                Err(e)
            }
        }
    }

    fn decode<T: serde::de::DeserializeOwned>(
        ctx: &CallContext<'_>,
        resp: &Response,
    ) -> Result<T, AzureError> {
        serde_json::from_slice(&resp.body).map_err(|e| {
            AzureError::decode(
                ctx.operation,
                format!("the response body is not the expected JSON: {e}"),
            )
            .with_correlation_id(ctx.correlation_id)
            .with_request_id(resp.request_id.clone())
        })
    }

    /// `POST {vault}/validateForBackup`, polled to the end. A Failed validation becomes an
    /// error carrying the service's CloudError (permissions, already protected, ...).
    pub async fn validate_for_backup(
        &self,
        vault: &BackupVaultId,
        instance: &BackupInstance,
        op: &OpOptions,
    ) -> Result<(), AzureError> {
        let corr = self.start("validateForBackup", &vault.to_string());
        let ctx = op.context("validateForBackup", &corr);
        let r = async {
            let bi = self.instance_for_api(instance, ctx.operation)?;
            let body = serde_json::json!({ "backupInstance": bi });
            let url = self.url(vault, &["validateForBackup"])?;
            // Validation changes nothing, so it is retried like a read: the request itself
            // when the connection drops, and the whole validation when the operation ends in
            // an internal error, for as long as the caller's deadline allows.
            let mut pause = Duration::from_secs(2);
            loop {
                match self.validate_once(&ctx, &url, &body).await {
                    Err(e)
                        if e.kind() == ErrorKind::OperationFailed
                            && e.is_transient()
                            && !crate::azure::http::reaches(self.inner.pipeline.clock.now(), pause, ctx.deadline) =>
                    {
                        tracing::warn!(operation = ctx.operation, correlation_id = ctx.correlation_id, error = %e, wait_s = pause.as_secs(), "validation failed inside the service; validating again");
                        self.inner.pipeline.sleep(pause, &ctx).await?;
                        pause = (pause * 2).min(Duration::from_secs(30));
                    }
                    other => return other,
                }
            }
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// One validation request (`validateForBackup`, `validateRestore`) and its operation's
    /// outcome. Validation changes nothing, so it is sent like a read.
    pub(super) async fn validate_once(
        &self,
        ctx: &CallContext<'_>,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<((), Option<Response>), AzureError> {
        let resp = self
            .inner
            .pipeline
            .send_read_only(ctx, Method::POST, url, Some(body))
            .await?;
        if !resp.is_success() {
            return Err(resp.to_error(ctx));
        }
        let last = self
            .poll(
                ctx,
                &resp,
                PollRequest {
                    resource_url: None,
                    is_delete: false,
                    outcome_only: true,
                },
            )
            .await?;
        Ok(((), last.or(Some(resp))))
    }

    /// Follows the long-running operation `resp` started to its end, with this client's
    /// pipeline and polling settings.
    async fn poll(
        &self,
        ctx: &CallContext<'_>,
        resp: &Response,
        req: PollRequest<'_>,
    ) -> Result<Option<Response>, AzureError> {
        poller::poll(&self.inner.pipeline, &self.inner.poll, ctx, resp, req).await
    }

    /// `PUT {vault}/backupInstances/{name}`, polled to the end, then the resource as read back.
    pub async fn put_backup_instance(
        &self,
        id: &BackupInstanceId,
        body: &BackupInstanceResource,
        op: &OpOptions,
    ) -> Result<BackupInstanceResource, AzureError> {
        let corr = self.start("putBackupInstance", &id.to_string());
        let ctx = op.context("putBackupInstance", &corr);
        let r = async {
            let mut res = BackupInstanceResource {
                id: None,
                name: None,
                resource_type: None,
                tags: body.tags.clone(),
                properties: self.instance_for_api(&body.properties, ctx.operation)?,
            };
            if !self.supports_tags() {
                res.tags = None;
            }
            let json = serde_json::to_value(&res).map_err(|e| {
                AzureError::decode(
                    ctx.operation,
                    format!("cannot encode the backup instance: {e}"),
                )
            })?;
            let url = self.url(id, &[])?;
            let resp = self
                .inner
                .pipeline
                .send(&ctx, Method::PUT, &url, Some(&json))
                .await?;
            if !resp.is_success() {
                return Err(resp.to_error(&ctx));
            }
            let has_async =
                resp.header("azure-asyncoperation").is_some() || resp.header("location").is_some();
            let final_resp = if has_async || resp.status == 202 || resp.status == 201 {
                self.poll(
                    &ctx,
                    &resp,
                    PollRequest {
                        resource_url: Some(&url),
                        is_delete: false,
                        outcome_only: false,
                    },
                )
                .await?
            } else {
                Some(resp.clone())
            };
            let final_resp = match final_resp {
                Some(r) if !r.body.is_empty() => r,
                _ => {
                    let g = self
                        .inner
                        .pipeline
                        .send(&ctx, Method::GET, &url, None)
                        .await?;
                    if !g.is_success() {
                        return Err(g.to_error(&ctx));
                    }
                    g
                }
            };
            let out: BackupInstanceResource = Self::decode(&ctx, &final_resp)?;
            Self::check_answer(&ctx, &final_resp, id, &out)?;
            Ok((out, Some(final_resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `GET {vault}/backupInstances/{name}`; a 404 that proves the instance, its vault or its
    /// resource group missing is `Ok(None)`; any other 404 is an error (nothing is known gone).
    pub async fn get_backup_instance(
        &self,
        id: &BackupInstanceId,
        op: &OpOptions,
    ) -> Result<Option<BackupInstanceResource>, AzureError> {
        let corr = self.start("getBackupInstance", &id.to_string());
        let ctx = op.context("getBackupInstance", &corr);
        let r = async {
            let url = self.url(id, &[])?;
            let resp = self
                .inner
                .pipeline
                .send(&ctx, Method::GET, &url, None)
                .await?;
            if resp.proves_absent() {
                return Ok((None, Some(resp)));
            }
            if !resp.is_success() {
                return Err(resp.to_error(&ctx));
            }
            let out: BackupInstanceResource = Self::decode(&ctx, &resp)?;
            Self::check_answer(&ctx, &resp, id, &out)?;
            Ok((Some(out), Some(resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// One page of `GET {vault}/backupInstances`: the first when `next_link` is `None`, else the
    /// page the previous one's `nextLink` named (used as given once [`Self::check_next_link`]
    /// has found it on the same origin and the same vault's list path).
    pub async fn list_backup_instances_page(
        &self,
        vault: &BackupVaultId,
        next_link: Option<&str>,
        op: &OpOptions,
    ) -> Result<RawBackupInstanceList, AzureError> {
        let corr = self.start("listBackupInstances", &vault.to_string());
        let ctx = op.context("listBackupInstances", &corr);
        let r = async {
            let first = self.url(vault, &["backupInstances"])?;
            let url = match next_link {
                Some(l) => Self::check_next_link(&ctx, &first, l)?,
                None => first,
            };
            let resp = self
                .inner
                .pipeline
                .send(&ctx, Method::GET, &url, None)
                .await?;
            if !resp.is_success() {
                return Err(resp.to_error(&ctx));
            }
            let page: RawBackupInstanceList = Self::decode(&ctx, &resp)?;
            Ok((page, Some(resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// The client's clock (waits and caches built on the client use the same time).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.pipeline.clock
    }

    /// `GET {vault}/backupInstances`, following `nextLink` (used as given) to the last page.
    pub async fn list_backup_instances(
        &self,
        vault: &BackupVaultId,
        op: &OpOptions,
    ) -> Result<Vec<BackupInstanceResource>, AzureError> {
        let corr = self.start("listBackupInstances", &vault.to_string());
        let ctx = op.context("listBackupInstances", &corr);
        let r = async {
            let url = self.url(vault, &["backupInstances"])?;
            self.walk_pages(&ctx, url, |p: BackupInstanceList| (p.value, p.next_link))
                .await
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// A page's `nextLink`, checked: it must be on the origin of `first` (the list's first
    /// page, built from the vault's ID) and name the same list path (case-insensitively), so a
    /// list can neither send the token elsewhere nor continue with another vault's list.
    pub(crate) fn check_next_link(
        ctx: &CallContext<'_>,
        first: &str,
        link: &str,
    ) -> Result<String, AzureError> {
        let refuse = |why: &str| {
            Err(AzureError::decode(
                ctx.operation,
                format!("the list's next page link {why}; the list was not used"),
            )
            .with_correlation_id(ctx.correlation_id))
        };
        let (Ok(first), Ok(next)) = (Url::parse(first), Url::parse(link.trim())) else {
            return refuse("is not a URL");
        };
        if first.origin() != next.origin() {
            return refuse("leaves the Resource Manager endpoint");
        }
        let path = |u: &Url| u.path().trim_end_matches('/').to_ascii_lowercase();
        if path(&first) != path(&next) {
            return refuse("names another list than the one asked for (another vault's?)");
        }
        Ok(next.to_string())
    }

    /// Follows an ARM list from `url` through its `nextLink`s: [`Self::walk_pages_from`] with
    /// nothing sent yet and at most [`MAX_ENTRIES`] entries.
    async fn walk_pages<P, T>(
        &self,
        ctx: &CallContext<'_>,
        url: String,
        split: impl Fn(P) -> (Vec<T>, Option<String>),
    ) -> Result<(Vec<T>, Option<Response>), AzureError>
    where
        P: serde::de::DeserializeOwned,
    {
        self.walk_pages_from(ctx, url, None, MAX_ENTRIES, split)
            .await
    }

    /// Follows an ARM list from `url` (whose answer is `sent` when the caller already asked for
    /// it) through its `nextLink`s, each checked by [`Self::check_next_link`], at most
    /// [`MAX_PAGES`] pages and `max_entries` entries; a link seen before ends the walk with an
    /// error (the list would never end). `split` takes a decoded page apart into its items and
    /// the next page's URL.
    pub(crate) async fn walk_pages_from<P, T>(
        &self,
        ctx: &CallContext<'_>,
        mut url: String,
        mut sent: Option<Response>,
        max_entries: usize,
        split: impl Fn(P) -> (Vec<T>, Option<String>),
    ) -> Result<(Vec<T>, Option<Response>), AzureError>
    where
        P: serde::de::DeserializeOwned,
    {
        let first = url.clone();
        let mut seen = std::collections::HashSet::new();
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let resp = match sent.take() {
                Some(resp) => resp,
                None => {
                    self.inner
                        .pipeline
                        .send(ctx, Method::GET, &url, None)
                        .await?
                }
            };
            if !resp.is_success() {
                return Err(resp.to_error(ctx));
            }
            let (items, next) = split(Self::decode(ctx, &resp)?);
            all.extend(items);
            if all.len() > max_entries {
                return Err(AzureError::decode(
                    ctx.operation,
                    format!("the list holds more than {max_entries} entries; it was not used"),
                )
                .with_correlation_id(ctx.correlation_id));
            }
            match next.filter(|l| !l.trim().is_empty()) {
                Some(n) => {
                    let n = Self::check_next_link(ctx, &first, &n)?;
                    if !seen.insert(n.clone()) {
                        return Err(AzureError::decode(
                            ctx.operation,
                            "the list sent the same next page link twice, so it would never end; it was not used",
                        )
                        .with_correlation_id(ctx.correlation_id));
                    }
                    url = n;
                }
                None => return Ok((all, Some(resp))),
            }
        }
        Err(AzureError::decode(
            ctx.operation,
            format!("the list did not end after {MAX_PAGES} pages"),
        )
        .with_correlation_id(ctx.correlation_id))
    }

    /// `DELETE {vault}/backupInstances/{name}`, polled to the end; 204, and a 404 that proves the
    /// instance absent, mean already gone.
    pub async fn delete_backup_instance(
        &self,
        id: &BackupInstanceId,
        op: &OpOptions,
    ) -> Result<(), AzureError> {
        let corr = self.start("deleteBackupInstance", &id.to_string());
        let ctx = op.context("deleteBackupInstance", &corr);
        let r = async {
            let url = self.url(id, &[])?;
            Ok(((), self.delete_polled(&ctx, &url, false).await?))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `DELETE url`, its operation polled to the end. A 204 is done, and so is a 200 with no
    /// operation to follow when `done_without_operation` (Compute answers so); a 404 that
    /// proves the resource absent is success (already gone).
    pub(super) async fn delete_polled(
        &self,
        ctx: &CallContext<'_>,
        url: &str,
        done_without_operation: bool,
    ) -> Result<Option<Response>, AzureError> {
        let resp = self
            .inner
            .pipeline
            .send(ctx, Method::DELETE, url, None)
            .await?;
        let no_operation =
            resp.header("azure-asyncoperation").is_none() && resp.header("location").is_none();
        match resp.status {
            204 => return Ok(Some(resp)),
            200 if done_without_operation && no_operation => return Ok(Some(resp)),
            404 if resp.proves_absent() => return Ok(Some(resp)),
            s if !(200..300).contains(&s) => return Err(resp.to_error(ctx)),
            _ => {}
        }
        let last = self
            .poll(
                ctx,
                &resp,
                PollRequest {
                    resource_url: None,
                    is_delete: true,
                    outcome_only: false,
                },
            )
            .await?;
        Ok(last.or(Some(resp)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions() {
        for ok in [
            "2021-01-01",
            "2025-07-01",
            "2026-06-01",
            "2024-02-01-preview",
        ] {
            assert!(check_api_version(ok).is_ok(), "{ok}");
        }
        for bad in ["", "2025-7-1", "latest", "2020-12-01", "2025-07-01-beta"] {
            assert!(check_api_version(bad).unwrap_err().is_config(), "{bad}");
        }
    }
}
