//! The day-2 operations of a backup instance: its policy's backup rules, an adhoc backup and
//! the job it starts (polled until terminal on the client's clock), sync ("fix protection
//! error"), and the paged lists of recovery points and backup jobs (bounded, newest first,
//! sorted here because the service documents no order). Every answer is checked to be for the
//! resource asked about.

use std::time::Duration;

use reqwest::Method;
use url::Url;

use super::{DataProtectionClient, OpOptions};
use crate::azure::arm_id::{BackupInstanceId, BackupPolicyId, BackupVaultId};
use crate::azure::error::AzureError;
use crate::azure::history::{
    BackupJob, BackupPolicy, JobList, JobRef, JobResource, JobState, PointList, RecoveryPoint,
    format_time,
};
use crate::azure::http::retry::CallContext;
use crate::azure::models::{ErrorAdditionalInfo, ErrorDetail};
use crate::azure::poller::{self, PollRequest};
use crate::azure::wait::{Backoff, Stop, same_arm_id};

/// Polls of a job: recorded jobs run for minutes (a disk restore 6 min), adhoc backups of small
/// disks well under one; 2 s doubling to 30 s keeps a short job quick and a long one cheap.
pub const JOB_POLL: Backoff = Backoff::new(Duration::from_secs(2), 2, Duration::from_secs(30));

/// At most this many entries are read from one list (recovery points, jobs), whatever the
/// page size; a vault keeps far fewer jobs than this.
pub const MAX_LIST_ITEMS: usize = 20_000;

/// Which recovery points to list (`$filter` on the service's side, data store on ours).
#[derive(Debug, Clone, Default)]
pub struct PointFilter {
    pub start: Option<time::OffsetDateTime>,
    pub end: Option<time::OffsetDateTime>,
}

/// A backup instance's recovery points, newest first, and the service's clock when it
/// answered (its `Date` header), against which their age is measured.
#[derive(Debug, Clone, Default)]
pub struct RecoveryPoints {
    pub points: Vec<RecoveryPoint>,
    pub service_time: Option<time::OffsetDateTime>,
}

/// `ids_under(id, prefix)`: `id` names a child of `prefix` (case-insensitive).
fn is_under(id: &str, prefix: &str) -> bool {
    let (id, prefix) = (id.to_ascii_lowercase(), prefix.to_ascii_lowercase());
    id.strip_prefix(&prefix).is_some_and(|rest| {
        rest.starts_with('/') && rest[1..].find('/').is_none() && rest.len() > 1
    })
}

fn foreign(ctx: &CallContext<'_>, got: &str, asked: &str) -> AzureError {
    AzureError::decode(
        ctx.operation,
        format!(
            "the service answered with {got:?}, which is not part of the requested {asked}; the answer was not used"
        ),
    )
    .with_correlation_id(ctx.correlation_id)
}

/// A job that ended Failed or Cancelled as the typed error: its first `errorDetails` entry is
/// the UserFacingError (code, message, recommended actions); the job's ID is in the message.
pub fn job_error(operation: &str, job: &BackupJob) -> AzureError {
    let word = match job.state() {
        JobState::Cancelled => "Cancelled",
        _ => "Failed",
    };
    let detail = job.errors.first().map(|ufe| ErrorDetail {
        code: ufe.code.clone(),
        message: ufe.message.clone(),
        additional_info: vec![ErrorAdditionalInfo {
            info_type: Some("UserFacingError".to_string()),
            info: serde_json::to_value(ufe).ok(),
        }],
        details: job
            .errors
            .iter()
            .skip(1)
            .map(|e| ErrorDetail {
                code: e.code.clone(),
                message: e.message.clone(),
                ..ErrorDetail::default()
            })
            .collect(),
        ..ErrorDetail::default()
    });
    let mut e = AzureError::operation_failed(operation, word, detail);
    if job.errors.is_empty() {
        e = AzureError::operation_failed(
            operation,
            word,
            Some(ErrorDetail {
                message: Some(format!(
                    "The job {} ended with status {} and no error details.",
                    job.job_id, job.status
                )),
                ..ErrorDetail::default()
            }),
        );
    }
    e
}

impl DataProtectionClient {
    /// `GET {policy}`: its backup rules and their retention tags. `Ok(None)` on 404.
    pub async fn get_backup_policy(
        &self,
        id: &BackupPolicyId,
        op: &OpOptions,
    ) -> Result<Option<BackupPolicy>, AzureError> {
        let corr = self.start("getBackupPolicy", &id.to_string());
        let ctx = op.context("getBackupPolicy", &corr);
        let r = async {
            let url = self.url(id, &[])?;
            let resp = self
                .inner
                .pipeline
                .send(&ctx, Method::GET, &url, None)
                .await?;
            if resp.status == 404 {
                return Ok((None, Some(resp)));
            }
            if !resp.is_success() {
                return Err(resp.to_error(&ctx));
            }
            let v: serde_json::Value = Self::decode(&ctx, &resp)?;
            let policy = BackupPolicy::from_json(&v);
            if !same_arm_id(&policy.id, &id.to_string()) {
                return Err(foreign(&ctx, &policy.id, &id.to_string()));
            }
            Ok((Some(policy), Some(resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `POST {instance}/backup` with the rule and tag, then its operation to the end: the job
    /// it started. The job is of the instance's vault (a job ID naming another vault is an
    /// error).
    pub async fn trigger_backup(
        &self,
        id: &BackupInstanceId,
        rule_name: &str,
        retention_tag: &str,
        op: &OpOptions,
    ) -> Result<JobRef, AzureError> {
        let corr = self.start("adhocBackup", &id.to_string());
        let ctx = op.context("adhocBackup", &corr);
        let r = async {
            let url = self.url(id, &["backup"])?;
            let body = serde_json::json!({
                "backupRuleOptions": {
                    "ruleName": rule_name,
                    "triggerOption": {"retentionTagOverride": retention_tag},
                }
            });
            let resp = self
                .inner
                .pipeline
                .send(&ctx, Method::POST, &url, Some(&body))
                .await?;
            if !resp.is_success() {
                return Err(resp.to_error(&ctx));
            }
            let job =
                poller::poll_for_job(&self.inner.pipeline, &self.inner.poll, &ctx, &resp).await?;
            let job = JobRef::parse(&id.vault, &job).map_err(|m| {
                AzureError::decode(
                    ctx.operation,
                    format!("the operation named a job the provider will not read: {m}"),
                )
                .with_correlation_id(ctx.correlation_id)
            })?;
            Ok((job, Some(resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `POST {instance}/sync` (`syncType` `Default`), polled to its outcome. The service retries
    /// what left the instance in ProtectionError; the caller reads the instance afterwards.
    pub async fn sync_backup_instance(
        &self,
        id: &BackupInstanceId,
        op: &OpOptions,
    ) -> Result<(), AzureError> {
        let corr = self.start("syncBackupInstance", &id.to_string());
        let ctx = op.context("syncBackupInstance", &corr);
        let r = async {
            let url = self.url(id, &["sync"])?;
            let body = serde_json::json!({"syncType": "Default"});
            let resp = self
                .inner
                .pipeline
                .send(&ctx, Method::POST, &url, Some(&body))
                .await?;
            if !resp.is_success() {
                return Err(resp.to_error(&ctx));
            }
            if matches!(resp.status, 200 | 204) {
                return Ok(((), Some(resp)));
            }
            let req = PollRequest {
                resource_url: None,
                is_delete: false,
                outcome_only: true,
            };
            let last = self.poll(&ctx, &resp, req).await?;
            Ok(((), last.or(Some(resp))))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `GET {vault}/backupJobs/{guid}`; an answer for another job is an error.
    pub async fn get_backup_job(
        &self,
        job: &JobRef,
        op: &OpOptions,
    ) -> Result<Option<BackupJob>, AzureError> {
        let corr = self.start("getBackupJob", &job.arm_id());
        let ctx = op.context("getBackupJob", &corr);
        let r = async { self.get_job_once(&ctx, job).await }.await;
        self.log_result(&ctx, r)
    }

    async fn get_job_once(
        &self,
        ctx: &CallContext<'_>,
        job: &JobRef,
    ) -> Result<
        (
            Option<BackupJob>,
            Option<crate::azure::http::retry::Response>,
        ),
        AzureError,
    > {
        let url = self.url(&job.vault, &["backupJobs", &job.guid])?;
        let resp = self
            .inner
            .pipeline
            .send(ctx, Method::GET, &url, None)
            .await?;
        if resp.status == 404 {
            return Ok((None, Some(resp)));
        }
        if !resp.is_success() {
            return Err(resp.to_error(ctx));
        }
        let got: JobResource = Self::decode(ctx, &resp)?;
        let j = got.into_job();
        if !same_arm_id(&j.id, &job.arm_id()) {
            return Err(foreign(ctx, &j.id, &job.arm_id()));
        }
        Ok((Some(j), Some(resp)))
    }

    /// Polls the job until it is terminal, on the client's clock ([`JOB_POLL`]), calling
    /// `progress` after every read. A job that ends Completed or CompletedWithWarnings is
    /// returned (its warnings in `errors`); Failed or Cancelled is the typed error carrying
    /// the job's errorDetails. The caller's deadline and cancellation bound the wait.
    pub async fn wait_for_job(
        &self,
        job: &JobRef,
        op: &OpOptions,
        progress: &mut (dyn FnMut(&BackupJob) + Send),
    ) -> Result<BackupJob, AzureError> {
        let corr = self.start("waitForBackupJob", &job.arm_id());
        let ctx = op.context("waitForBackupJob", &corr);
        let r = async {
            let mut waiter = JOB_POLL.waiter(&self.inner.pipeline.clock, op);
            loop {
                let (got, resp) = self.get_job_once(&ctx, job).await?;
                let Some(j) = got else {
                    return Err(AzureError::decode(
                        ctx.operation,
                        format!("the job {} does not exist (404)", job.arm_id()),
                    )
                    .with_correlation_id(ctx.correlation_id));
                };
                progress(&j);
                match j.state() {
                    JobState::Completed | JobState::CompletedWithWarnings => {
                        return Ok((j, resp));
                    }
                    JobState::Failed | JobState::Cancelled => {
                        return Err(
                            job_error(ctx.operation, &j).with_correlation_id(ctx.correlation_id)
                        );
                    }
                    JobState::Running => {}
                }
                match waiter.pause().await {
                    Ok(_) => {}
                    Err(Stop::Cancelled) => {
                        return Err(AzureError::cancelled(ctx.operation)
                            .with_correlation_id(ctx.correlation_id));
                    }
                    Err(Stop::Deadline) => {
                        return Err(AzureError::timeout(
                            ctx.operation,
                            format!(
                                "the job {} was still {} when the deadline was reached",
                                j.job_id, j.status
                            ),
                        )
                        .with_correlation_id(ctx.correlation_id));
                    }
                }
            }
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `GET {instance}/recoveryPoints[?$filter=startDate eq '…' and endDate eq '…']`, every
    /// page (at most [`MAX_LIST_ITEMS`] points), newest first. A point that is not the
    /// instance's is an error; a 404 (instance gone or in another vault) is `Ok(None)`.
    pub async fn list_recovery_points(
        &self,
        id: &BackupInstanceId,
        filter: &PointFilter,
        op: &OpOptions,
    ) -> Result<Option<RecoveryPoints>, AzureError> {
        let corr = self.start("listRecoveryPoints", &id.to_string());
        let ctx = op.context("listRecoveryPoints", &corr);
        let r = async {
            let mut url: Url = self.url(id, &["recoveryPoints"])?.parse().map_err(|_| {
                AzureError::config("build request URL", "the recovery-point URL is not valid")
            })?;
            let mut clauses = Vec::new();
            if let Some(s) = filter.start {
                clauses.push(format!("startDate eq '{}'", format_time(s)));
            }
            if let Some(e) = filter.end {
                clauses.push(format!("endDate eq '{}'", format_time(e)));
            }
            if !clauses.is_empty() {
                url.query_pairs_mut()
                    .append_pair("$filter", &clauses.join(" and "));
            }
            let first = self
                .inner
                .pipeline
                .send(&ctx, Method::GET, url.as_str(), None)
                .await?;
            // Gone only when the answer proves it (an HTML or path-not-served 404 is an error).
            if first.status == 404 && first.proves_absent() {
                return Ok((None, Some(first)));
            }
            if !first.is_success() {
                return Err(first.to_error(&ctx));
            }
            let asked = format!("{id}/recoveryPoints");
            let service_time = first
                .header("date")
                .and_then(|d| httpdate::parse_http_date(d).ok())
                .map(time::OffsetDateTime::from);
            let points = self
                .collect_pages(&ctx, url.as_str(), first, |p: PointList| {
                    (
                        p.value.into_iter().map(|r| r.into_point()).collect(),
                        p.next_link,
                    )
                })
                .await?;
            let mut points: Vec<RecoveryPoint> = points;
            if let Some(bad) = points.iter().find(|p| !is_under(&p.id, &asked)) {
                return Err(foreign(&ctx, &bad.id, &asked));
            }
            // Newest first; a point without a readable time sorts last.
            points.sort_by_key(|p| std::cmp::Reverse(p.at()));
            Ok((
                Some(RecoveryPoints {
                    points,
                    service_time,
                }),
                None,
            ))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `GET {vault}/backupJobs`, every page (at most [`MAX_LIST_ITEMS`] jobs; the service has
    /// no server-side filter), newest first by start time. A job of another vault is an error.
    pub async fn list_backup_jobs(
        &self,
        vault: &BackupVaultId,
        op: &OpOptions,
    ) -> Result<Vec<BackupJob>, AzureError> {
        let corr = self.start("listBackupJobs", &vault.to_string());
        let ctx = op.context("listBackupJobs", &corr);
        let r = async {
            let url = self.url(vault, &["backupJobs"])?;
            let first = self
                .inner
                .pipeline
                .send(&ctx, Method::GET, &url, None)
                .await?;
            let asked = format!("{vault}/backupJobs");
            let mut jobs = self
                .collect_pages(&ctx, &url, first, |p: JobList| {
                    (
                        p.value.into_iter().map(|r| r.into_job()).collect(),
                        p.next_link,
                    )
                })
                .await?;
            if let Some(bad) = jobs.iter().find(|j| !is_under(&j.id, &asked)) {
                return Err(foreign(&ctx, &bad.id, &asked));
            }
            jobs.sort_by(|a, b| {
                b.started_at()
                    .cmp(&a.started_at())
                    .then_with(|| b.job_id.cmp(&a.job_id))
            });
            Ok((jobs, None))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// The items of a list whose first page, asked for at `url`, answered `first`: the
    /// client's one list walk (checked `nextLink`s, no link twice, at most
    /// [`super::MAX_PAGES`] pages), bounded to [`MAX_LIST_ITEMS`] items.
    async fn collect_pages<P, T>(
        &self,
        ctx: &CallContext<'_>,
        url: &str,
        first: crate::azure::http::retry::Response,
        split: impl Fn(P) -> (Vec<T>, Option<String>),
    ) -> Result<Vec<T>, AzureError>
    where
        P: serde::de::DeserializeOwned,
    {
        let (all, _) = self
            .walk_pages_from(ctx, url.to_string(), Some(first), MAX_LIST_ITEMS, split)
            .await?;
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::is_under;

    #[test]
    fn children_only() {
        assert!(is_under("/a/b/recoveryPoints/x", "/A/B/recoverypoints"));
        assert!(!is_under("/a/b/recoveryPoints/x/y", "/a/b/recoveryPoints"));
        assert!(!is_under("/a/c/recoveryPoints/x", "/a/b/recoveryPoints"));
        assert!(!is_under("/a/b/recoveryPoints/", "/a/b/recoveryPoints"));
        assert!(!is_under("/a/b/recoveryPointsx/y", "/a/b/recoveryPoints"));
    }
}
