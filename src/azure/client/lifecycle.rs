//! The backup instance's lifecycle beyond create, read and delete: the protection actions
//! (stop, suspend, resume) and the vault's soft-deleted instances (get, list, undelete).

use reqwest::Method;

use super::{DataProtectionClient, OpOptions};
use crate::azure::arm_id::{BackupInstanceId, BackupPolicyId, BackupVaultId};
use crate::azure::error::AzureError;
use crate::azure::http::retry::{CallContext, Response};
use crate::azure::models::{DeletedBackupInstanceList, DeletedBackupInstanceResource};
use crate::azure::poller::PollRequest;

/// The `POST backupInstances/{name}/{action}` operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtectionAction {
    /// Stops backups; recovery points are kept for ever.
    StopProtection,
    /// Stops backups; recovery points age out by the policy (except the latest).
    SuspendBackups,
    /// Back to `ProtectionConfigured` from `ProtectionStopped` or `BackupsSuspended`.
    ResumeProtection,
    /// Back to `ProtectionConfigured` from `BackupsSuspended`.
    ResumeBackups,
}

impl ProtectionAction {
    pub fn verb(self) -> &'static str {
        match self {
            ProtectionAction::StopProtection => "stopProtection",
            ProtectionAction::SuspendBackups => "suspendBackups",
            ProtectionAction::ResumeProtection => "resumeProtection",
            ProtectionAction::ResumeBackups => "resumeBackups",
        }
    }

    /// The protection state the instance shows once the action is done (recorded values;
    /// `BackupsSuspended` is outside the spec's enum).
    pub fn target_state(self) -> &'static str {
        match self {
            ProtectionAction::StopProtection => "ProtectionStopped",
            ProtectionAction::SuspendBackups => "BackupsSuspended",
            ProtectionAction::ResumeProtection | ProtectionAction::ResumeBackups => {
                "ProtectionConfigured"
            }
        }
    }
}

impl DataProtectionClient {
    /// `{vault}/deletedBackupInstances/{name}/{extra...}`, with `name` held to the backup
    /// instance naming grammar (never `.`, `..` or anything that would change the path).
    fn deleted_url(
        &self,
        vault: &BackupVaultId,
        name: &str,
        extra: &[&str],
    ) -> Result<String, AzureError> {
        let as_instance = vault.instance(name);
        if as_instance
            .to_string()
            .parse::<BackupInstanceId>()
            .ok()
            .as_ref()
            != Some(&as_instance)
        {
            return Err(AzureError::config(
                "build request URL",
                format!(
                    "{name:?} is not a valid backup instance name; refusing to send a request for it"
                ),
            ));
        }
        let mut segments = vec!["deletedBackupInstances", name];
        segments.extend_from_slice(extra);
        self.url(vault, &segments)
    }
    /// `POST url` with no body; a success for which `answered(status)` holds is the end, any
    /// other success is an operation polled to its outcome. Returns the last response for the
    /// log.
    async fn post_polled(
        &self,
        ctx: &CallContext<'_>,
        url: &str,
        answered: impl Fn(u16) -> bool,
    ) -> Result<((), Option<Response>), AzureError> {
        let resp = self
            .inner
            .pipeline
            .send(ctx, Method::POST, url, None)
            .await?;
        if !resp.is_success() {
            return Err(resp.to_error(ctx));
        }
        if answered(resp.status) {
            return Ok(((), Some(resp)));
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

    /// `POST {instance}/{action}`, polled to the end (200, or 202 with either polling header).
    pub async fn protection_action(
        &self,
        id: &BackupInstanceId,
        action: ProtectionAction,
        op: &OpOptions,
    ) -> Result<(), AzureError> {
        let corr = self.start(action.verb(), &id.to_string());
        let ctx = op.context(action.verb(), &corr);
        let r = async {
            let url = self.url(id, &[action.verb()])?;
            self.post_polled(&ctx, &url, |status| status == 200 || status == 204)
                .await
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `POST {vault}/deletedBackupInstances/{name}/undelete`: 200 at once (as recorded) or 202
    /// polled to the end (as the spec allows). The instance comes back in `ProtectionStopped`.
    pub async fn undelete_backup_instance(
        &self,
        vault: &BackupVaultId,
        name: &str,
        op: &OpOptions,
    ) -> Result<(), AzureError> {
        let target = format!("{vault}/deletedBackupInstances/{name}");
        let corr = self.start("undeleteBackupInstance", &target);
        let ctx = op.context("undeleteBackupInstance", &corr);
        let r = async {
            let url = self.deleted_url(vault, name, &["undelete"])?;
            self.post_polled(&ctx, &url, |status| status != 202).await
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `GET {vault}/deletedBackupInstances/{name}`; a 404 that proves it absent is `Ok(None)`;
    /// an answer without that `id` is an error.
    pub async fn get_deleted_backup_instance(
        &self,
        vault: &BackupVaultId,
        name: &str,
        op: &OpOptions,
    ) -> Result<Option<DeletedBackupInstanceResource>, AzureError> {
        let target = format!("{vault}/deletedBackupInstances/{name}");
        let corr = self.start("getDeletedBackupInstance", &target);
        let ctx = op.context("getDeletedBackupInstance", &corr);
        let r = async {
            let url = self.deleted_url(vault, name, &[])?;
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
            let out: DeletedBackupInstanceResource = Self::decode(&ctx, &resp)?;
            let asked = format!("{vault}/deletedBackupInstances/{name}");
            if !out
                .id
                .as_deref()
                .is_some_and(|id| crate::azure::wait::same_arm_id(id, &asked))
            {
                return Err(AzureError::decode(
                    ctx.operation,
                    format!(
                        "the service answered for {:?} instead of the requested {asked}; the answer was not used",
                        out.id.as_deref().unwrap_or("(no id)")
                    ),
                )
                .with_correlation_id(ctx.correlation_id)
                .with_request_id(resp.request_id.clone()));
            }
            Ok((Some(out), Some(resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `GET {vault}/deletedBackupInstances`, following `nextLink` to the last page.
    pub async fn list_deleted_backup_instances(
        &self,
        vault: &BackupVaultId,
        op: &OpOptions,
    ) -> Result<Vec<DeletedBackupInstanceResource>, AzureError> {
        let corr = self.start("listDeletedBackupInstances", &vault.to_string());
        let ctx = op.context("listDeletedBackupInstances", &corr);
        let r = async {
            let url = self.url(vault, &["deletedBackupInstances"])?;
            self.walk_pages(&ctx, url, |p: DeletedBackupInstanceList| {
                (p.value, p.next_link)
            })
            .await
        }
        .await;
        self.log_result(&ctx, r)
    }
}

/// A vault's soft-delete setting (`properties.securitySettings.softDeleteSettings`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SoftDeleteSettings {
    /// `Off`, `On` or `AlwaysOn` (absent: the service's default).
    pub state: Option<String>,
    /// How long a deleted instance is kept before it is purged.
    pub retention_days: Option<f64>,
}

impl SoftDeleteSettings {
    /// A DELETE keeps the instance soft-deleted (with its recovery points) for a while.
    pub fn keeps_deleted(&self) -> bool {
        self.state
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case("Off"))
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct VaultAnswer {
    id: Option<String>,
    properties: Option<VaultProperties>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct VaultProperties {
    security_settings: Option<SecuritySettings>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecuritySettings {
    soft_delete_settings: Option<SoftDeleteAnswer>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SoftDeleteAnswer {
    state: Option<String>,
    retention_duration_in_days: Option<f64>,
}

impl DataProtectionClient {
    /// `GET {vault}`: its soft-delete setting. `Ok(None)` when the vault answers 404.
    pub async fn get_vault_soft_delete(
        &self,
        vault: &BackupVaultId,
        op: &OpOptions,
    ) -> Result<Option<SoftDeleteSettings>, AzureError> {
        let corr = self.start("getBackupVault", &vault.to_string());
        let ctx = op.context("getBackupVault", &corr);
        let r = async {
            let url = self.url(vault, &[])?;
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
            let answer: VaultAnswer = Self::decode(&ctx, &resp)?;
            let asked = vault.to_string();
            if !answer
                .id
                .as_deref()
                .is_some_and(|id| crate::azure::wait::same_arm_id(id, &asked))
            {
                return Err(AzureError::decode(
                    ctx.operation,
                    format!(
                        "the service answered for {:?} instead of the requested {asked}; the answer was not used",
                        answer.id
                    ),
                ));
            }
            let sd = answer
                .properties
                .and_then(|p| p.security_settings)
                .and_then(|s| s.soft_delete_settings);
            let out = SoftDeleteSettings {
                state: sd.as_ref().and_then(|s| s.state.clone()),
                retention_days: sd.and_then(|s| s.retention_duration_in_days),
            };
            Ok((Some(out), Some(resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyAnswer {
    id: Option<String>,
    properties: Option<PolicyProperties>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyProperties {
    #[serde(default)]
    datasource_types: Vec<String>,
}

impl DataProtectionClient {
    /// `GET {policy}`: the datasource types it is for. `Ok(None)` when it answers 404.
    pub async fn get_policy_datasource_types(
        &self,
        policy: &BackupPolicyId,
        op: &OpOptions,
    ) -> Result<Option<Vec<String>>, AzureError> {
        let corr = self.start("getBackupPolicy", &policy.to_string());
        let ctx = op.context("getBackupPolicy", &corr);
        let r = async {
            let url = self.url(policy, &[])?;
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
            let answer: PolicyAnswer = Self::decode(&ctx, &resp)?;
            let asked = policy.to_string();
            if !answer
                .id
                .as_deref()
                .is_some_and(|id| crate::azure::wait::same_arm_id(id, &asked))
            {
                return Err(AzureError::decode(
                    ctx.operation,
                    format!(
                        "the service answered for {:?} instead of the requested {asked}; the answer was not used",
                        answer.id
                    ),
                ));
            }
            let types = answer
                .properties
                .map(|p| p.datasource_types)
                .unwrap_or_default();
            Ok((Some(types), Some(resp)))
        }
        .await;
        self.log_result(&ctx, r)
    }
}
