//! Restore calls: `validateRestore` (polled to its outcome; a finding is the operation's
//! error) and `restore` (polled until the service has made the restore job, as an adhoc
//! backup is: [`poller::poll_for_job`]), returning the job (the wait is the jobs' [`DataProtectionClient::wait_for_job`]); and the
//! delete of a disk a restore created, for drills that clean up after themselves.

use reqwest::Method;

use super::{DataProtectionClient, OpOptions};
use crate::azure::arm_id::{BackupInstanceId, BackupVaultId, ManagedDiskId};
use crate::azure::error::AzureError;
use crate::azure::history::JobRef;
use crate::azure::http::retry::CallContext;
use crate::azure::poller;
use crate::azure::restore::RestoreRequest;

/// The job's ARM ID from what the service named (`{vault}/backupJobs/{guid}` or a bare GUID);
/// a job of another vault, or a name that is not a job's, is an error.
fn job_arm_id(
    ctx: &CallContext<'_>,
    vault: &BackupVaultId,
    named: &str,
) -> Result<JobRef, AzureError> {
    let named = named.trim();
    let bad = |why: &str| {
        AzureError::decode(
            ctx.operation,
            format!(
                "the restore's operation named the job {named:?}, which {why}; it was not used"
            ),
        )
        .with_correlation_id(ctx.correlation_id)
    };
    let guid = match named.rsplit_once('/') {
        None => named,
        Some((parent, guid)) => {
            let expected = format!("{vault}/backupJobs");
            if !crate::azure::wait::same_arm_id(parent, &expected) {
                return Err(bad("is not a job of this backup vault"));
            }
            guid
        }
    };
    if guid.is_empty()
        || guid.len() > 64
        || !guid.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
    {
        return Err(bad("is not a job ID"));
    }
    Ok(JobRef {
        vault: vault.clone(),
        guid: guid.to_string(),
    })
}

impl DataProtectionClient {
    fn restore_body(
        &self,
        op: &str,
        req: &RestoreRequest,
    ) -> Result<serde_json::Value, AzureError> {
        if self.is_2021_01_01() && req.identity_details.is_some() {
            return Err(AzureError::config(
                op,
                "a user-assigned identity for the restore needs a newer api_version than 2021-01-01",
            ));
        }
        serde_json::to_value(req).map_err(|e| {
            AzureError::config(op, format!("the restore request does not encode: {e}"))
        })
    }

    /// `POST {instance}/validateRestore`, polled to the end. A finding (the recovery point,
    /// the target, a missing role) is the operation's error, with the service's message.
    pub async fn validate_restore(
        &self,
        id: &BackupInstanceId,
        req: &RestoreRequest,
        op: &OpOptions,
    ) -> Result<(), AzureError> {
        let corr = self.start("validateRestore", &id.to_string());
        let ctx = op.context("validateRestore", &corr);
        let r = async {
            let body = serde_json::json!({
                "restoreRequestObject": self.restore_body(ctx.operation, req)?
            });
            let url = self.url(id, &["validateRestore"])?;
            self.validate_once(&ctx, &url, &body).await
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `POST {instance}/restore`, polled until the operation ends (seconds: the work is the
    /// job). Returns the job (of the instance's vault). The request is sent once (it is not idempotent).
    pub async fn trigger_restore(
        &self,
        id: &BackupInstanceId,
        req: &RestoreRequest,
        op: &OpOptions,
    ) -> Result<JobRef, AzureError> {
        let corr = self.start("triggerRestore", &id.to_string());
        let ctx = op.context("triggerRestore", &corr);
        let r = async {
            let body = self.restore_body(ctx.operation, req)?;
            let url = self.url(id, &["restore"])?;
            let resp = self
                .inner
                .pipeline
                .send(&ctx, Method::POST, &url, Some(&body))
                .await?;
            if !resp.is_success() {
                return Err(resp.to_error(&ctx));
            }
            let named =
                poller::poll_for_job(&self.inner.pipeline, &self.inner.poll, &ctx, &resp).await?;
            let job = job_arm_id(&ctx, &id.vault, &named)?;
            tracing::info!(operation = ctx.operation, correlation_id = ctx.correlation_id, job = %job.arm_id(), "restore job started");
            Ok((job, Some(resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `DELETE {disk}` (the Compute API, [`COMPUTE_API_VERSION`]), polled to the end: the disk
    /// a restore created. A 404 that proves the disk absent is success (already gone).
    pub async fn delete_disk(
        &self,
        disk: &ManagedDiskId,
        op: &OpOptions,
    ) -> Result<(), AzureError> {
        let corr = self.start("deleteDisk", &disk.to_string());
        let ctx = op.context("deleteDisk", &corr);
        let r = async {
            let mut url = url::Url::parse(&self.url(disk, &[])?)
                .map_err(|e| AzureError::config("build request URL", format!("not a URL: {e}")))?;
            url.query_pairs_mut()
                .clear()
                .append_pair("api-version", COMPUTE_API_VERSION);
            Ok(((), self.delete_polled(&ctx, url.as_str(), true).await?))
        }
        .await;
        self.log_result(&ctx, r)
    }
}

/// The Compute API version used for the one disk call (delete); its shape is stable.
pub const COMPUTE_API_VERSION: &str = "2023-04-02";
