//! The actions (Terraform 1.14+): `azurebackup_backup_now` (an on-demand backup with the rule
//! and tag the instance's policy has, waited for as a job with progress events) and
//! `azurebackup_sync_instance` (Azure's "fix protection error": sync, then wait until the
//! instance leaves ProtectionError). Neither changes Terraform state.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Shared;
use super::config::checks::parse_duration;
use super::errors::azure_error;
use crate::azure::arm_id::{BackupInstanceId, BackupPolicyId};
use crate::azure::client::job_error;
use crate::azure::history::{BackupJob, ChoiceError, JobRef};
use crate::azure::models::BackupInstanceResource;
use crate::azure::wait::{PROTECTION, Stop};
use crate::tfplugin::{
    Action, ActionProgress, Attribute, AttributePath, Block, Context, Diagnostics, Schema, Type,
    Value,
};

pub const BACKUP_NOW_TYPE_NAME: &str = "azurebackup_backup_now";
pub const SYNC_INSTANCE_TYPE_NAME: &str = "azurebackup_sync_instance";

const BACKUP_INSTANCE_ID: &str = "backup_instance_id";
const RULE_NAME: &str = "rule_name";
const RETENTION_TAG: &str = "retention_tag";
const WAIT: &str = "wait";
const TIMEOUT: &str = "timeout";

const DEFAULT_BACKUP_TIMEOUT: &str = "2h";
const DEFAULT_SYNC_TIMEOUT: &str = "30m";
/// How long sync's outcome is waited for once its operation ended: the service retries the
/// failed operation in seconds to minutes.
const SYNC_SETTLE: Duration = Duration::from_secs(300);

pub fn all(shared: &Arc<Shared>) -> Vec<Arc<dyn Action>> {
    vec![
        Arc::new(BackupNow {
            shared: shared.clone(),
        }),
        Arc::new(SyncInstance {
            shared: shared.clone(),
        }),
    ]
}

fn id_attr() -> Attribute {
    Attribute::required(BACKUP_INSTANCE_ID, Type::String)
        .description("The ARM ID of the backup instance, e.g. `azurebackup_instance.disk.id`.")
}

fn timeout_attr(default: &str, what: &str) -> Attribute {
    Attribute::optional(TIMEOUT, Type::String).description(format!(
        "How long to wait for {what}, as a duration like `30m` or `2h`. Defaults to `{default}`."
    ))
}

pub fn backup_now_schema() -> Schema {
    Schema::new(
        0,
        Block {
            description: "Takes an on-demand backup of a backup instance (Azure's adhoc backup) and, unless `wait = false`, waits for its backup job to finish, reporting the job's status as it runs. Fails with the job's error and ID when the job fails. Use it from `terraform apply -invoke=action.azurebackup_backup_now.NAME`, or from an `action_trigger` on `before_update` of the protected resource: a backup before every risky change.".into(),
            attributes: vec![
                id_attr(),
                Attribute::optional(RULE_NAME, Type::String).description("The backup rule to take it by: the `name` of one of the policy's `AzureBackupRule` rules (e.g. `BackupHourly`, or azurerm's `BackupIntervals`), never a retention rule such as `Default`. Defaults to the policy's backup rule, read from the policy."),
                Attribute::optional(RETENTION_TAG, Type::String).description("The retention tag the recovery point gets, one of the rule's tags (e.g. `Default`, `Weekly`); it decides how long the point is kept. Defaults to the rule's default tag."),
                Attribute::optional(WAIT, Type::Bool).description("Wait for the backup job to finish (default `true`). With `false` the action ends once Azure has started the job, and reports its ID."),
                timeout_attr(DEFAULT_BACKUP_TIMEOUT, "the trigger and the job"),
            ],
            ..Default::default()
        },
    )
}

pub fn sync_instance_schema() -> Schema {
    Schema::new(
        0,
        Block {
            description: "Runs Azure's `sync` on a backup instance (\"fix protection error\" in the portal): the service retries what left the instance in `ProtectionError`, e.g. after the missing role was granted to the vault. Waits until the instance leaves `ProtectionError`, or fails with the error that remains.".into(),
            attributes: vec![id_attr(), timeout_attr(DEFAULT_SYNC_TIMEOUT, "the sync")],
            ..Default::default()
        },
    )
}

/// Static checks; unknown values are checked at invoke.
fn check(
    config: &Value,
    default_timeout: &str,
) -> (Diagnostics, Option<BackupInstanceId>, Duration) {
    let mut d = Diagnostics::new();
    let id = super::data::instance_id_arg(config, BACKUP_INSTANCE_ID, &mut d);
    for n in [RULE_NAME, RETENTION_TAG] {
        if config.get(n).as_str().is_some_and(|s| s.trim().is_empty()) {
            d.error_at(
                AttributePath::root(n),
                "Empty Argument",
                format!("`{n}` is empty; remove it to use the policy's default, or give a value."),
            );
        }
    }
    let text = config.get(TIMEOUT).as_str().unwrap_or(default_timeout);
    let timeout = match parse_duration(text) {
        Ok(t) => t,
        Err(e) => {
            d.error_at(
                AttributePath::root(TIMEOUT),
                "Invalid Timeout",
                format!("`{TIMEOUT}`: {e}"),
            );
            Duration::from_secs(3600)
        }
    };
    (d, id, timeout)
}

fn state_of(res: &BackupInstanceResource) -> String {
    res.properties
        .current_protection_state
        .clone()
        .or_else(|| res.properties.protection_status.as_ref()?.status.clone())
        .unwrap_or_else(|| "unknown".into())
}

/// Reads the instance, or explains on `backup_instance_id` why it cannot be used.
async fn read_instance(
    shared: &Shared,
    id: &BackupInstanceId,
    timeout: Duration,
    ctx: &Context,
    d: &mut Diagnostics,
) -> Option<(Arc<super::Configured>, BackupInstanceResource)> {
    let Some(c) = shared.get() else {
        d.extend(super::data::not_configured());
        return None;
    };
    let op = c.client.op_options(timeout, &ctx.cancel);
    match c.client.get_backup_instance(id, &op).await {
        Ok(Some(res)) => Some((c, res)),
        Ok(None) => {
            d.error_at(
                AttributePath::root(BACKUP_INSTANCE_ID),
                "Backup Instance Not Found",
                format!("No backup instance exists at {id}: the vault {} has none named {:?}. A deleted (soft-deleted) instance takes no backup and no sync; check the ID, in particular its vault.", id.vault, id.name),
            );
            None
        }
        Err(e) => {
            d.push(
                azure_error(
                    "Unable to Read Backup Instance",
                    "reading of the backup instance",
                    Some(&id.to_string()),
                    &e,
                )
                .at(AttributePath::root(BACKUP_INSTANCE_ID)),
            );
            None
        }
    }
}

fn elapsed(since: Instant) -> String {
    humantime::format_duration(Duration::from_secs(since.elapsed().as_secs())).to_string()
}

pub struct BackupNow {
    shared: Arc<Shared>,
}

#[async_trait::async_trait]
impl Action for BackupNow {
    fn type_name(&self) -> &'static str {
        BACKUP_NOW_TYPE_NAME
    }

    fn schema(&self) -> Schema {
        backup_now_schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        check(config, DEFAULT_BACKUP_TIMEOUT).0
    }

    async fn invoke(
        &self,
        config: &Value,
        progress: &ActionProgress,
        ctx: &Context,
    ) -> Diagnostics {
        let (mut d, id, timeout) = check(config, DEFAULT_BACKUP_TIMEOUT);
        let Some(id) = id.filter(|_| !d.has_errors()) else {
            return d;
        };
        let started = Instant::now();
        let Some((c, res)) = read_instance(&self.shared, &id, timeout, ctx, &mut d).await else {
            return d;
        };
        let op = c.client.op_options(timeout, &ctx.cancel);
        let state = state_of(&res);
        // The rule and tag: checked against the policy here, because the service answers a
        // wrong one with an opaque BMSUserErrorInvalidInput.
        let policy_text = res.properties.policy_info.policy_id.clone();
        let policy = match policy_text.parse::<BackupPolicyId>() {
            Ok(p) => c.client.get_backup_policy(&p, &op).await,
            Err(e) => {
                d.error_at(AttributePath::root(BACKUP_INSTANCE_ID), "Unusable Backup Policy", format!("The instance names the policy {policy_text:?}, which is not a backup policy ID: {e}"));
                return d;
            }
        };
        let policy = match policy {
            Ok(Some(p)) => p,
            Ok(None) => {
                d.error_at(AttributePath::root(BACKUP_INSTANCE_ID), "Backup Policy Not Found", format!("The instance's policy {policy_text} does not exist, so its backup rule cannot be read."));
                return d;
            }
            Err(e) => {
                d.push(
                    azure_error(
                        "Unable to Read Backup Policy",
                        "reading of the instance's backup policy",
                        Some(&id.to_string()),
                        &e,
                    )
                    .at(AttributePath::root(BACKUP_INSTANCE_ID)),
                );
                return d;
            }
        };
        let (rule, tag) = match policy.choose(
            config.get(RULE_NAME).as_str(),
            config.get(RETENTION_TAG).as_str(),
        ) {
            Ok(x) => x,
            Err(e) => {
                let (attr, summary) = match e {
                    ChoiceError::Rule(_) => (RULE_NAME, "Unknown Backup Rule"),
                    ChoiceError::Tag(_) => (RETENTION_TAG, "Unknown Retention Tag"),
                };
                let at = if config.get(attr).is_null() {
                    BACKUP_INSTANCE_ID
                } else {
                    attr
                };
                d.error_at(AttributePath::root(at), summary, e.message().to_string());
                return d;
            }
        };
        progress.report(format!(
            "starting a backup of {} (rule {rule}, retention tag {tag})",
            id.name
        ));
        let job = match c.client.trigger_backup(&id, &rule, &tag, &op).await {
            Ok(j) => j,
            Err(e) => {
                let mut diag = azure_error(
                    "Unable to Start Backup",
                    "on-demand backup",
                    Some(&id.to_string()),
                    &e,
                )
                .at(AttributePath::root(BACKUP_INSTANCE_ID));
                if !state.eq_ignore_ascii_case("ProtectionConfigured") {
                    diag.detail.push_str(&format!("\n\nThe instance is in {state}: Azure takes on-demand backups only of an instance in ProtectionConfigured. A stopped or suspended instance needs `protection_mode = \"Protected\"` first; one in ProtectionError needs its cause fixed and the `{SYNC_INSTANCE_TYPE_NAME}` action."));
                }
                d.push(diag);
                return d;
            }
        };
        progress.report(format!("backup job {} started", job.guid));
        if config.get(WAIT).as_bool() == Some(false) {
            progress.report(format!(
                "not waiting for backup job {} (wait = false)",
                job.arm_id()
            ));
            return d;
        }
        let reporter = progress.clone();
        let mut last = String::new();
        let mut on_read = |j: &BackupJob| {
            if j.status != last {
                last = j.status.clone();
                reporter.report(format!(
                    "backup job {}: {} ({} elapsed)",
                    j.job_id,
                    j.status,
                    elapsed(started)
                ));
            }
        };
        match c.client.wait_for_job(&job, &op, &mut on_read).await {
            Ok(done) => {
                progress.report(format!(
                    "backup job {} {} after {}{}",
                    done.job_id,
                    done.status,
                    elapsed(started),
                    done.recovery_point_id
                        .as_deref()
                        .map(|r| format!("; recovery point {r}"))
                        .unwrap_or_default()
                ));
                if !done.errors.is_empty() {
                    let e = job_error("backup job", &done);
                    d.warning_at(
                        AttributePath::root(BACKUP_INSTANCE_ID),
                        "Backup Completed With Warnings",
                        format!(
                            "The backup job {} completed with warnings: {}\n\n{}",
                            job.arm_id(),
                            e.message(),
                            e.details()
                        ),
                    );
                }
            }
            Err(e) => d.push(job_failed(&job, &e)),
        }
        d
    }
}

/// The error of a job that failed, was cancelled or outlived the timeout, with the job's ID.
fn job_failed(job: &JobRef, e: &crate::azure::error::AzureError) -> crate::tfplugin::Diagnostic {
    let summary = if e.is_timeout() {
        "Backup Job Still Running"
    } else {
        "Backup Job Failed"
    };
    let mut diag =
        azure_error(summary, "backup job", None, e).at(AttributePath::root(BACKUP_INSTANCE_ID));
    diag.detail = format!("Backup job: {}\n\n{}", job.arm_id(), diag.detail);
    if e.is_timeout() {
        diag.detail.push_str("\n\nThe job goes on in Azure; read its outcome later with the `azurebackup_backup_jobs` data source (`job_id`), or raise `timeout`.");
    }
    diag
}

pub struct SyncInstance {
    shared: Arc<Shared>,
}

fn in_error(state: &str) -> bool {
    ["ProtectionError", "ConfiguringProtectionFailed"]
        .iter()
        .any(|s| s.eq_ignore_ascii_case(state))
}

fn protection_error_text(res: &BackupInstanceResource) -> String {
    let p = &res.properties;
    p.protection_error_details
        .clone()
        .or_else(|| p.protection_status.as_ref()?.error_details.clone())
        .map(|e| {
            let mut s = e.summary();
            if !e.recommended_action.is_empty() {
                s.push_str(&format!(
                    "\nRecommended action: {}",
                    e.recommended_action.join(" ")
                ));
            }
            s
        })
        .unwrap_or_else(|| "Azure gave no error details.".into())
}

#[async_trait::async_trait]
impl Action for SyncInstance {
    fn type_name(&self) -> &'static str {
        SYNC_INSTANCE_TYPE_NAME
    }

    fn schema(&self) -> Schema {
        sync_instance_schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        check(config, DEFAULT_SYNC_TIMEOUT).0
    }

    async fn invoke(
        &self,
        config: &Value,
        progress: &ActionProgress,
        ctx: &Context,
    ) -> Diagnostics {
        let (mut d, id, timeout) = check(config, DEFAULT_SYNC_TIMEOUT);
        let Some(id) = id.filter(|_| !d.has_errors()) else {
            return d;
        };
        let started = Instant::now();
        let Some((c, res)) = read_instance(&self.shared, &id, timeout, ctx, &mut d).await else {
            return d;
        };
        progress.report(format!("{} is in {}; syncing", id.name, state_of(&res)));
        let op = c.client.op_options(timeout, &ctx.cancel);
        if let Err(e) = c.client.sync_backup_instance(&id, &op).await {
            d.push(
                azure_error(
                    "Unable to Sync Backup Instance",
                    "sync of the backup instance",
                    Some(&id.to_string()),
                    &e,
                )
                .at(AttributePath::root(BACKUP_INSTANCE_ID)),
            );
            return d;
        }
        let clock = c.client.clock().clone();
        let mut waiter = PROTECTION
            .waiter(&clock, &op)
            .within(SYNC_SETTLE.min(timeout));
        loop {
            let res = match c.client.get_backup_instance(&id, &op).await {
                Ok(Some(r)) => r,
                Ok(None) => {
                    d.error_at(
                        AttributePath::root(BACKUP_INSTANCE_ID),
                        "Backup Instance Not Found",
                        format!("The backup instance {id} disappeared during the sync."),
                    );
                    return d;
                }
                Err(e) => {
                    d.push(
                        azure_error(
                            "Unable to Read Backup Instance",
                            "reading of the backup instance after its sync",
                            Some(&id.to_string()),
                            &e,
                        )
                        .at(AttributePath::root(BACKUP_INSTANCE_ID)),
                    );
                    return d;
                }
            };
            let state = state_of(&res);
            let settling = ["ConfiguringProtection", "UpdatingProtection"]
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&state));
            if !in_error(&state) && !settling {
                progress.report(format!(
                    "{} is in {state} after {}",
                    id.name,
                    elapsed(started)
                ));
                return d;
            }
            match waiter.pause().await {
                Ok(_) => {}
                Err(Stop::Cancelled) => {
                    d.error_at(AttributePath::root(BACKUP_INSTANCE_ID), "Sync Interrupted", "The wait for the sync's outcome was cancelled (Ctrl-C). The sync itself goes on in Azure.");
                    return d;
                }
                Err(Stop::Deadline) if in_error(&state) => {
                    d.error_at(AttributePath::root(BACKUP_INSTANCE_ID), "Protection Error Remains", format!("Azure synced the backup instance {id}, but it is still in {state}:\n\n{}\n\nFix the cause (for a permission error: grant the vault's identity the role named above, and wait a few minutes for the assignment to propagate), then run this action again.", protection_error_text(&res)));
                    return d;
                }
                Err(Stop::Deadline) => {
                    d.error_at(AttributePath::root(BACKUP_INSTANCE_ID), "Sync Still Running", format!("The backup instance {id} was still in {state} when the wait ended; read it later (`protection_state`) or raise `timeout`."));
                    return d;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_checks_are_on_their_attributes() {
        let cfg = Value::object([
            (BACKUP_INSTANCE_ID, Value::string("/subscriptions/x")),
            (RULE_NAME, Value::string(" ")),
            (RETENTION_TAG, Value::Null),
            (WAIT, Value::Null),
            (TIMEOUT, Value::string("soon")),
        ]);
        let (d, _, _) = check(&cfg, DEFAULT_BACKUP_TIMEOUT);
        let at: Vec<_> = d.iter().filter_map(|x| x.attribute.clone()).collect();
        assert_eq!(
            at,
            [BACKUP_INSTANCE_ID, RULE_NAME, TIMEOUT].map(AttributePath::root)
        );
        let ok = Value::object([
            (
                BACKUP_INSTANCE_ID,
                Value::string(
                    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-a/backupInstances/bi",
                ),
            ),
            (TIMEOUT, Value::Null),
        ]);
        let (d, id, t) = check(&ok, DEFAULT_SYNC_TIMEOUT);
        assert!(d.is_empty() && id.is_some());
        assert_eq!(t, Duration::from_secs(1800));
    }
}
