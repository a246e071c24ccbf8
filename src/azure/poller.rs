//! Follows an ARM long-running operation to its end: `Azure-AsyncOperation` before `Location`
//! before `provisioningState`; waits `Retry-After` (never sooner) or a bounded backoff; status
//! URLs are used exactly as received. The poller has no timeout of its own: the caller's
//! deadline and cancellation bound it.

use std::time::Duration;

use reqwest::Method;

use crate::azure::error::AzureError;
use crate::azure::http::retry::{CallContext, Pipeline, Response, retry_after};
use crate::azure::models::{
    BackupInstanceResource, ErrorAdditionalInfo, ErrorDetail, OperationStatus,
};

/// Poll pacing when the service gives no `Retry-After`. See [`Default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollConfig {
    pub initial_delay: Duration,
    pub max_delay: Duration,
    /// Safety bound on polls for one operation (the deadline normally ends things first).
    pub max_polls: u32,
}

impl Default for PollConfig {
    /// 1 s doubling to 15 s: fast for operations that finish in seconds (PUT), gentle for the
    /// minute-long ones (validate, delete). ARM suggests 60 s when the service is silent, which
    /// would make every apply a minute slower.
    fn default() -> Self {
        PollConfig {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15),
            max_polls: 10_000,
        }
    }
}

/// How the operation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    Succeeded,
    Failed,
    Canceled,
}

/// Classifies a status string case-insensitively (`Inprogress`, `InProgress`, ... are running).
pub fn classify(status: &str) -> Option<Terminal> {
    let s = status.trim();
    if s.eq_ignore_ascii_case("succeeded") {
        Some(Terminal::Succeeded)
    } else if s.eq_ignore_ascii_case("failed") {
        Some(Terminal::Failed)
    } else if s.eq_ignore_ascii_case("canceled") || s.eq_ignore_ascii_case("cancelled") {
        Some(Terminal::Canceled)
    } else {
        None
    }
}

/// What the caller asked for and what to do at the end.
#[derive(Debug, Clone, Copy)]
pub struct PollRequest<'a> {
    /// The resource's own URL, for the final GET of PUT/PATCH and for `provisioningState`
    /// polling; `None` for POST actions and DELETE.
    pub resource_url: Option<&'a str>,
    /// DELETE: a 404 on the resource or Location means done.
    pub is_delete: bool,
    /// The caller needs only the outcome (validateForBackup): skip fetching the result from
    /// `Location`, one request saved per operation.
    pub outcome_only: bool,
}

/// Runs the operation started by `initial` to completion. Returns the final result body, if
/// the protocol provides one (Location's final answer, or the resource's GET for PUT).
pub async fn poll(
    pipeline: &Pipeline,
    cfg: &PollConfig,
    ctx: &CallContext<'_>,
    initial: &Response,
    req: PollRequest<'_>,
) -> Result<Option<Response>, AzureError> {
    // A 200/201 whose body already says `Succeeded` is the final answer: polling would only ask
    // again what this response told (and sleep first).
    if matches!(initial.status, 200 | 201)
        && !req.is_delete
        && provisioning_state(&initial.body).and_then(|s| classify(&s)) == Some(Terminal::Succeeded)
    {
        return Ok(Some(initial.clone()));
    }
    let async_url = initial.header("azure-asyncoperation").map(str::to_string);
    let location = initial.header("location").map(str::to_string);
    let mut pacer = Pacer::new(cfg, retry_after(&initial.headers));

    if let Some(url) = async_url {
        follow_status(pipeline, ctx, &url, &mut pacer).await?;
        return final_result(pipeline, ctx, location.as_deref(), req, &mut pacer).await;
    }
    if let Some(url) = location {
        return follow_location(pipeline, ctx, &url, req, &mut pacer).await;
    }
    // No headers: a synchronous answer, or a resource whose provisioningState tells.
    if (initial.status == 202 || provisioning_running(&initial.body))
        && let Some(resource) = req.resource_url
    {
        return follow_provisioning_state(pipeline, ctx, resource, &mut pacer).await;
    }
    if let Some(t) = provisioning_state(&initial.body).and_then(|s| classify(&s))
        && t != Terminal::Succeeded
    {
        return Err(failed_from_resource(ctx, &initial.body, t));
    }
    Ok(Some(initial.clone()))
}

/// Runs an operation that creates a job (adhoc backup, restore) to its end and returns the
/// job's ID as the service names it: `properties.jobId` of the final status, else the
/// `jobId` of the `Location` result (`OperationJobExtendedInfo`), else of a synchronous 200's
/// body. The Location result is only fetched when the status did not name the job.
pub async fn poll_for_job(
    pipeline: &Pipeline,
    cfg: &PollConfig,
    ctx: &CallContext<'_>,
    initial: &Response,
) -> Result<String, AzureError> {
    let job_of = |body: &[u8]| -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        v.get("jobId")
            .or_else(|| v.get("properties").and_then(|p| p.get("jobId")))
            .and_then(|j| j.as_str())
            .map(str::to_string)
            .filter(|j| !j.trim().is_empty())
    };
    let async_url = initial.header("azure-asyncoperation").map(str::to_string);
    let location = initial.header("location").map(str::to_string);
    let mut pacer = Pacer::new(cfg, retry_after(&initial.headers));
    let result = if let Some(url) = async_url {
        let st = follow_status(pipeline, ctx, &url, &mut pacer).await?;
        let from_status = st
            .properties
            .as_ref()
            .and_then(|p| p.get("jobId"))
            .and_then(|j| j.as_str())
            .map(str::to_string)
            .filter(|j| !j.trim().is_empty());
        if let Some(j) = from_status {
            return Ok(j);
        }
        let req = PollRequest {
            resource_url: None,
            is_delete: false,
            outcome_only: false,
        };
        final_result(pipeline, ctx, location.as_deref(), req, &mut pacer).await?
    } else if let Some(url) = location {
        let req = PollRequest {
            resource_url: None,
            is_delete: false,
            outcome_only: false,
        };
        follow_location(pipeline, ctx, &url, req, &mut pacer).await?
    } else {
        Some(initial.clone())
    };
    result
        .as_ref()
        .and_then(|r| job_of(&r.body))
        .ok_or_else(|| {
            AzureError::decode(
                ctx.operation,
                "the operation ended without naming the job it started (no properties.jobId in its status, no jobId in its result)",
            )
            .with_correlation_id(ctx.correlation_id)
        })
}

struct Pacer {
    next_backoff: Duration,
    max: Duration,
    server: Option<Duration>,
    polls: u32,
    max_polls: u32,
}

impl Pacer {
    fn new(cfg: &PollConfig, server: Option<Duration>) -> Self {
        Pacer {
            next_backoff: cfg.initial_delay,
            max: cfg.max_delay,
            server,
            polls: 0,
            max_polls: cfg.max_polls,
        }
    }

    /// Waits before the next poll: the last `Retry-After`, else the backoff. Fails when the
    /// wait would end after the caller's deadline, rather than polling late.
    async fn wait(
        &mut self,
        pipeline: &Pipeline,
        ctx: &CallContext<'_>,
        what: &str,
    ) -> Result<(), AzureError> {
        self.polls += 1;
        if self.polls > self.max_polls {
            return Err(AzureError::timeout(
                ctx.operation,
                format!("gave up after {} status checks", self.max_polls),
            )
            .with_correlation_id(ctx.correlation_id));
        }
        let delay = match self.server.take() {
            Some(d) => d,
            None => {
                let d = self.next_backoff;
                self.next_backoff = (self.next_backoff * 2).min(self.max);
                d
            }
        };
        let now = pipeline.clock.now();
        if now.checked_add(delay).is_none_or(|t| t > ctx.deadline) {
            return Err(AzureError::timeout(
                ctx.operation,
                format!("the operation was still {what} when the deadline was reached"),
            )
            .with_correlation_id(ctx.correlation_id));
        }
        tracing::debug!(
            operation = ctx.operation,
            correlation_id = ctx.correlation_id,
            delay_ms = delay.as_millis() as u64,
            poll = self.polls,
            "waiting before polling"
        );
        pipeline.sleep(delay, ctx).await
    }

    fn observe(&mut self, resp: &Response) {
        self.server = retry_after(&resp.headers);
    }
}

async fn get(
    pipeline: &Pipeline,
    ctx: &CallContext<'_>,
    url: &str,
) -> Result<Response, AzureError> {
    pipeline.send(ctx, Method::GET, url, None).await
}

async fn follow_status(
    pipeline: &Pipeline,
    ctx: &CallContext<'_>,
    url: &str,
    pacer: &mut Pacer,
) -> Result<OperationStatus, AzureError> {
    let mut last_status = String::from("running");
    loop {
        pacer.wait(pipeline, ctx, &last_status).await?;
        let resp = get(pipeline, ctx, url).await?;
        pacer.observe(&resp);
        if !resp.is_success() {
            return Err(resp.to_error(ctx));
        }
        let st: OperationStatus = serde_json::from_slice(&resp.body).map_err(|e| {
            AzureError::decode(
                ctx.operation,
                format!("the operation status is not valid JSON: {e}"),
            )
            .with_correlation_id(ctx.correlation_id)
            .with_request_id(resp.request_id.clone())
        })?;
        let status = st.status.clone().unwrap_or_default();
        tracing::debug!(operation = ctx.operation, correlation_id = ctx.correlation_id, status = %status, "operation status");
        match classify(&status) {
            Some(Terminal::Succeeded) => return Ok(st),
            Some(t) => {
                let word = if t == Terminal::Failed {
                    "Failed"
                } else {
                    "Canceled"
                };
                return Err(AzureError::operation_failed(ctx.operation, word, st.error)
                    .with_correlation_id(ctx.correlation_id)
                    .with_request_id(resp.request_id.clone()));
            }
            None => {
                last_status = if status.is_empty() {
                    "running".into()
                } else {
                    status
                }
            }
        }
    }
}

/// After a successful status: Location's result, else the resource (PUT), else nothing.
async fn final_result(
    pipeline: &Pipeline,
    ctx: &CallContext<'_>,
    location: Option<&str>,
    req: PollRequest<'_>,
    pacer: &mut Pacer,
) -> Result<Option<Response>, AzureError> {
    if let Some(resource) = req.resource_url {
        let resp = get(pipeline, ctx, resource).await?;
        if resp.is_success() {
            return Ok(Some(resp));
        }
        return Err(resp.to_error(ctx));
    }
    if req.is_delete || req.outcome_only {
        return Ok(None);
    }
    match location {
        Some(loc) => {
            // The result is usually ready; poll on only if Location still says 202.
            let resp = get(pipeline, ctx, loc).await?;
            match resp.status {
                200 | 201 => Ok(Some(resp)),
                204 => Ok(None),
                202 => {
                    pacer.observe(&resp);
                    follow_location(pipeline, ctx, loc, req, pacer).await
                }
                _ => Err(resp.to_error(ctx)),
            }
        }
        None => Ok(None),
    }
}

async fn follow_location(
    pipeline: &Pipeline,
    ctx: &CallContext<'_>,
    url: &str,
    req: PollRequest<'_>,
    pacer: &mut Pacer,
) -> Result<Option<Response>, AzureError> {
    loop {
        pacer.wait(pipeline, ctx, "running").await?;
        let resp = get(pipeline, ctx, url).await?;
        pacer.observe(&resp);
        tracing::debug!(
            operation = ctx.operation,
            correlation_id = ctx.correlation_id,
            status = resp.status,
            "location poll"
        );
        match resp.status {
            202 => continue,
            200 | 201 => {
                if let (Some(resource), true) = (req.resource_url, resp.body.is_empty()) {
                    let got = get(pipeline, ctx, resource).await?;
                    return if got.is_success() {
                        Ok(Some(got))
                    } else {
                        Err(got.to_error(ctx))
                    };
                }
                return Ok(Some(resp));
            }
            204 => return Ok(None),
            404 if req.is_delete && resp.proves_absent() => return Ok(None),
            _ => return Err(resp.to_error(ctx)),
        }
    }
}

async fn follow_provisioning_state(
    pipeline: &Pipeline,
    ctx: &CallContext<'_>,
    url: &str,
    pacer: &mut Pacer,
) -> Result<Option<Response>, AzureError> {
    loop {
        pacer.wait(pipeline, ctx, "provisioning").await?;
        let resp = get(pipeline, ctx, url).await?;
        pacer.observe(&resp);
        if !resp.is_success() {
            return Err(resp.to_error(ctx));
        }
        match provisioning_state(&resp.body).as_deref().map(classify) {
            Some(Some(Terminal::Succeeded)) | None => return Ok(Some(resp)),
            Some(Some(t)) => return Err(failed_from_resource(ctx, &resp.body, t)),
            Some(None) => continue,
        }
    }
}

fn provisioning_state(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("properties")?
        .get("provisioningState")?
        .as_str()
        .map(str::to_string)
}

fn provisioning_running(body: &[u8]) -> bool {
    provisioning_state(body).is_some_and(|s| classify(&s).is_none())
}

/// A resource whose `provisioningState` ended Failed/Canceled; its protection error (a
/// UserFacingError) is carried the same way an operation's CloudError is.
fn failed_from_resource(ctx: &CallContext<'_>, body: &[u8], t: Terminal) -> AzureError {
    let word = if t == Terminal::Failed {
        "Failed"
    } else {
        "Canceled"
    };
    let detail = serde_json::from_slice::<BackupInstanceResource>(body)
        .ok()
        .and_then(|r| {
            r.properties
                .protection_error_details
                .or(r.properties.protection_status.and_then(|p| p.error_details))
        })
        .map(|ufe| ErrorDetail {
            code: ufe.code.clone(),
            message: ufe.message.clone(),
            additional_info: vec![ErrorAdditionalInfo {
                info_type: Some("UserFacingError".to_string()),
                info: serde_json::to_value(&ufe).ok(),
            }],
            ..ErrorDetail::default()
        });
    AzureError::operation_failed(ctx.operation, word, detail)
        .with_correlation_id(ctx.correlation_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_case_insensitive() {
        assert_eq!(classify("Succeeded"), Some(Terminal::Succeeded));
        assert_eq!(classify("SUCCEEDED"), Some(Terminal::Succeeded));
        assert_eq!(classify("failed"), Some(Terminal::Failed));
        assert_eq!(classify("Canceled"), Some(Terminal::Canceled));
        assert_eq!(classify("Cancelled"), Some(Terminal::Canceled));
        for running in [
            "Inprogress",
            "InProgress",
            "Running",
            "Accepted",
            "",
            "SomethingNew",
        ] {
            assert_eq!(classify(running), None, "{running}");
        }
    }
}
