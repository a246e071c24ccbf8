//! The restore's calls: validateRestore at plan (findings that may change by apply are warnings,
//! those that cannot are errors, each on its attribute), the trigger and the job wait at apply,
//! the refresh that follows the job, and the destroy that deletes a restored disk only when the
//! restore's own job made it.

use std::time::Duration;

use super::for_instance;
use super::request::Inputs;
use super::schema::{self as attr, t};
use crate::azure::arm_id::{BackupInstanceId, ManagedDiskId};
use crate::azure::catalogue::RestoreTarget;
use crate::azure::client::OpOptions;
use crate::azure::error::AzureError;
use crate::azure::history::{self, BackupJob, JobRef, JobState};
use crate::azure::models::BackupInstanceResource;
use crate::azure::restore::RestoreRequest;
use crate::provider::Configured;
use crate::provider::errors::{azure_diag_advised, azure_error};
use crate::tfplugin::{AttributePath, Context, Diagnostics, Severity, Value};

/// A finding of validateRestore (or of the restore itself): where it points, whether it can
/// change before apply, and what to do.
struct Finding {
    path: AttributePath,
    settled: bool,
    advice: &'static str,
}

fn finding(e: &AzureError, target: RestoreTarget) -> Finding {
    let block = attr::block_of(target);
    let at = |name: &str| AttributePath::root(block).attr(name);
    let code = e.code().unwrap_or_default();
    let is = |c: &str| code.eq_ignore_ascii_case(c);
    let f = |path, settled, advice| Finding {
        path,
        settled,
        advice,
    };
    if is("UserErrorRecoveryPointNotFound") {
        f(
            AttributePath::root(attr::RECOVERY_POINT_ID),
            true,
            "Use a recovery point of this backup instance: the `azurebackup_recovery_points` data source lists them (its `latest` is the newest).",
        )
    } else if is("UserErrorRecoveryPointNotInDataStore") {
        f(
            AttributePath::root(attr::RECOVERY_POINT_ID),
            true,
            "The recovery point is not in the tier this kind restores from (the vault tier for vaulted backups, the operational tier for snapshots). Pick another point of `azurebackup_recovery_points`.",
        )
    } else if is("UserErrorRestorePointInTimeOutOfRange") {
        f(
            AttributePath::root(attr::POINT_IN_TIME),
            true,
            "Pick a time within the ranges the `azurebackup_restorable_time_ranges` data source reports.",
        )
    } else if is("UserErrorRestoreTypeNotSupported") || is("UserErrorInvalidRequestParameter") {
        f(
            AttributePath::root(block),
            true,
            "This kind of backup does not take this restore; the resource documentation's table lists the target block of each kind.",
        )
    } else if is("UserErrorRestoreLocationNotSupported") {
        f(
            AttributePath::root(block),
            true,
            "A restore makes its new resource in the source's region: choose a target there.",
        )
    } else if is("UserErrorRestoreTargetAlreadyExists") {
        let p = match target {
            RestoreTarget::NewDisk => at(t::TARGET_DISK_NAME),
            RestoreTarget::Files => at(t::FILE_PREFIX),
            RestoreTarget::Containers => at(t::NAMES),
            RestoreTarget::NewCosmosAccount => at(t::TARGET_ACCOUNT_NAME),
            RestoreTarget::NewDatabase => at(t::TARGET_DATABASE_ID),
            RestoreTarget::Volumes => at(t::VOLUMES),
            _ => AttributePath::root(block),
        };
        f(
            p,
            false,
            "A restore never overwrites: choose a name that does not exist in the target, or delete what is there first.",
        )
    } else if is("ResourceNotFound")
        || is("UserErrorContainerNotFound")
        || is("ResourceGroupNotFound")
    {
        let p = match target {
            RestoreTarget::NewDisk | RestoreTarget::NewCosmosAccount => {
                at(t::TARGET_RESOURCE_GROUP_ID)
            }
            RestoreTarget::Files => at(t::TARGET_CONTAINER_ID),
            RestoreTarget::Containers => at(t::TARGET_STORAGE_ACCOUNT_ID),
            RestoreTarget::Cluster => at(t::TARGET_CLUSTER_ID),
            RestoreTarget::NewDatabase => at(t::TARGET_DATABASE_ID),
            RestoreTarget::Volumes => at(t::TARGET_VOLUME_GROUP_ID),
            RestoreTarget::InPlace => AttributePath::root(attr::BACKUP_INSTANCE_ID),
        };
        f(
            p,
            false,
            "The restore writes into something that must exist: create it first, or correct its ID.",
        )
    } else if e.is_permission() {
        f(
            AttributePath::root(block),
            false,
            "The vault's managed identity (or the user-assigned identity the instance uses) lacks the role the message names on the target. Grant it, wait a few minutes for the assignment to propagate, and run the command again.",
        )
    } else if e.is_operation_in_progress() {
        f(
            AttributePath::root(attr::BACKUP_INSTANCE_ID),
            false,
            "Another job (a backup or a restore) is running on the datasource. Wait until it ends (the `azurebackup_backup_jobs` data source shows it) and run the command again.",
        )
    } else {
        f(
            AttributePath::root(attr::BACKUP_INSTANCE_ID),
            false,
            "Correct the problem the service's message above describes, then run the command again.",
        )
    }
}

/// The service said no to the restore (as opposed to a transport or authentication failure).
fn is_finding(e: &AzureError) -> bool {
    e.code().is_some() && !e.is_retryable() && !e.is_auth() && !e.is_timeout() && !e.is_cancelled()
}

fn push_failure(
    summary: &str,
    action: &str,
    id: &BackupInstanceId,
    e: &AzureError,
    target: RestoreTarget,
    at_plan: bool,
    diags: &mut Diagnostics,
) {
    if !is_finding(e) {
        diags.push(
            azure_error(summary, action, Some(&id.to_string()), e)
                .at(AttributePath::root(attr::BACKUP_INSTANCE_ID)),
        );
        return;
    }
    let f = finding(e, target);
    let (severity, summary, advice) = if at_plan && !f.settled {
        (
            Severity::Warning,
            "Restore Validation Failed",
            format!(
                "{} `terraform apply` checks again and fails if it still fails.",
                f.advice
            ),
        )
    } else {
        (Severity::Error, summary, f.advice.to_string())
    };
    diags.push(
        azure_diag_advised(severity, summary, action, Some(&id.to_string()), e, &advice).at(f.path),
    );
}

/// The instance and the request for it, or why not (on the attribute at fault).
async fn instance_and_request(
    c: &Configured,
    inputs: &Inputs,
    op: &OpOptions,
    diags: &mut Diagnostics,
) -> Option<(BackupInstanceResource, RestoreRequest)> {
    let id = &inputs.instance;
    let res = match c.client.get_backup_instance(id, op).await {
        Ok(Some(res)) => res,
        Ok(None) => {
            diags.error_at(
                AttributePath::root(attr::BACKUP_INSTANCE_ID),
                "Backup Instance Not Found",
                format!("No backup instance exists at {id}: the vault {} has none named {:?}, so there is nothing to restore from. Check the ID, in particular its vault; a soft-deleted instance must be undeleted before it restores.", id.vault, id.name),
            );
            return None;
        }
        Err(e) => {
            diags.push(
                azure_error(
                    "Unable to Read Backup Instance",
                    "reading of the backup instance to restore from",
                    Some(&id.to_string()),
                    &e,
                )
                .at(AttributePath::root(attr::BACKUP_INSTANCE_ID)),
            );
            return None;
        }
    };
    match for_instance::build(inputs, &res, c.client.endpoints().storage_suffix()) {
        Ok(req) => Some((res, req)),
        Err((path, summary, detail)) => {
            diags.error_at(path, summary, detail);
            None
        }
    }
}

/// validateRestore for a planned restore; true when it passed.
pub async fn validate_at_plan(
    c: &Configured,
    inputs: &Inputs,
    timeout: Duration,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> bool {
    let op = c.client.op_options(timeout, &ctx.cancel);
    let Some((_, req)) = instance_and_request(c, inputs, &op, diags).await else {
        return false;
    };
    match c.client.validate_restore(&inputs.instance, &req, &op).await {
        Ok(()) => true,
        Err(e) => {
            push_failure(
                "Restore Would Fail",
                "validation of the restore (validateRestore)",
                &inputs.instance,
                &e,
                inputs.target.kind(),
                true,
                diags,
            );
            false
        }
    }
}

fn time_value(t: Option<&str>) -> Value {
    match t {
        None => Value::Null,
        Some(s) => Value::string(
            history::parse_time(s)
                .map(history::format_time)
                .unwrap_or_else(|| s.to_string()),
        ),
    }
}

/// The job's facts into the state; a recovery point the configuration named is never changed.
fn fill(state: &mut Value, job: &BackupJob) {
    state.set(attr::JOB_STATUS, Value::string(job.status.clone()));
    state.set(attr::START_TIME, time_value(job.start_time.as_deref()));
    state.set(attr::END_TIME, time_value(job.end_time.as_deref()));
    if !state.get(attr::RECOVERY_POINT_ID).is_known()
        || state.get(attr::RECOVERY_POINT_ID).is_null()
    {
        state.set(
            attr::RECOVERY_POINT_ID,
            job.recovery_point_id
                .clone()
                .map(Value::string)
                .unwrap_or(Value::Null),
        );
    }
}

fn job_errors(job: &BackupJob) -> String {
    job.errors
        .iter()
        .map(|e| {
            format!(
                "- {}: {}",
                e.code.as_deref().unwrap_or("error"),
                e.message.as_deref().unwrap_or("").trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Validates (unless the plan did), triggers and waits. The state when the restore started
/// (finished, or still running after an error), or Null when nothing was restored.
pub async fn create(
    c: &Configured,
    inputs: &Inputs,
    planned: Value,
    validated: bool,
    timeout: Duration,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> Value {
    let op = c.client.op_options(timeout, &ctx.cancel);
    let id = &inputs.instance;
    let kind = inputs.target.kind();
    let Some((_, req)) = instance_and_request(c, inputs, &op, diags).await else {
        return Value::Null;
    };
    if !validated && let Err(e) = c.client.validate_restore(id, &req, &op).await {
        push_failure(
            "Restore Would Fail",
            "validation of the restore (validateRestore)",
            id,
            &e,
            kind,
            false,
            diags,
        );
        return Value::Null;
    }
    let job = match c.client.trigger_restore(id, &req, &op).await {
        Ok(j) => j,
        Err(e) => {
            push_failure(
                "Unable to Start Restore",
                "restore",
                id,
                &e,
                kind,
                false,
                diags,
            );
            return Value::Null;
        }
    };
    let mut state = planned;
    state.set(attr::ID, Value::string(job.arm_id()));
    state.set(attr::JOB_ID, Value::string(job.guid.clone()));
    state.set(attr::JOB_STATUS, Value::string("Started"));
    for a in [attr::START_TIME, attr::END_TIME] {
        state.set(a, Value::Null);
    }
    let mut last: Option<BackupJob> = None;
    let mut seen = String::new();
    let mut progress = |j: &BackupJob| {
        if j.status != seen {
            tracing::info!(job = %j.id, status = %j.status, "restore job");
            seen = j.status.clone();
        }
        last = Some(j.clone());
    };
    let waited = c.client.wait_for_job(&job, &op, &mut progress).await;
    match waited {
        Ok(j) => {
            fill(&mut state, &j);
            if j.state() == JobState::CompletedWithWarnings {
                diags.warning(
                    "Restore Completed With Warnings",
                    format!(
                        "The restore job {} completed with warnings:\n{}",
                        j.job_id,
                        job_errors(&j)
                    ),
                );
            }
            state
        }
        Err(e) => {
            // Did the job fail, or did we stop watching it? Ask once more with a short deadline.
            let now = if e.is_cancelled() {
                None
            } else {
                c.client
                    .get_backup_job(&job, &OpOptions::with_timeout(Duration::from_secs(60)))
                    .await
                    .ok()
                    .flatten()
            };
            let known = now.or(last);
            if let Some(j) = &known {
                fill(&mut state, j);
            }
            if let Some(j) =
                known.filter(|j| matches!(j.state(), JobState::Failed | JobState::Cancelled))
            {
                diags.push(
                    azure_error("Restore Failed", "restore job", Some(&id.to_string()), &e)
                        .at(AttributePath::root(attr::block_of(kind))),
                );
                diags.error("Nothing Was Restored", format!("The restore job {} ended {}; Azure restored nothing, so nothing was added to state. Fix the cause and apply again to start a new restore.", j.job_id, j.status));
                return Value::Null;
            }
            if state.get(attr::RECOVERY_POINT_ID).is_unknown() {
                state.set(attr::RECOVERY_POINT_ID, Value::Null);
            }
            diags.push(azure_error(
                "Restore Still Running",
                "wait for the restore job",
                Some(&id.to_string()),
                &e,
            ));
            diags.error("Restore Job Still Running", format!("The restore job {} was started and is in state (Terraform marks it tainted, so a plain apply would start another restore). It goes on in Azure: run `terraform untaint` on this resource and `terraform apply -refresh-only` to follow it (`job_status`), or raise `timeouts.create`.", job.guid));
            state
        }
    }
}

/// The state with what the service says of the job now; a job the service no longer keeps
/// leaves the state as it was.
pub async fn follow(
    c: &Configured,
    mut state: Value,
    timeout: Duration,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> Value {
    let Some((instance, job)) = job_of(&state) else {
        return state;
    };
    let op = c.client.op_options(timeout, &ctx.cancel);
    match c.client.get_backup_job(&job, &op).await {
        Ok(Some(j)) => {
            if let Some(bi) = j.backup_instance_id.as_deref()
                && !crate::azure::wait::same_arm_id(bi, &instance.to_string())
            {
                diags.error("Unexpected Restore Job", format!("The job {} belongs to the backup instance {bi}, not to {instance}; the state was kept as it was.", job.arm_id()));
                return state;
            }
            fill(&mut state, &j);
            state
        }
        Ok(None) => {
            tracing::debug!(job = %job.arm_id(), "the restore job is no longer kept by the service; state kept");
            state
        }
        Err(e) => {
            diags.push(azure_error(
                "Unable to Read Restore Job",
                "reading of the restore job",
                Some(&instance.to_string()),
                &e,
            ));
            state
        }
    }
}

fn job_of(state: &Value) -> Option<(BackupInstanceId, JobRef)> {
    let instance: BackupInstanceId = state.get(attr::BACKUP_INSTANCE_ID).as_str()?.parse().ok()?;
    let job = JobRef::parse(&instance.vault, state.get(attr::ID).as_str()?).ok()?;
    Some((instance, job))
}

/// Forgets the restore; with `delete_restored_target`, first deletes the disk its completed
/// job made. True when the restore stays in state (an error).
pub async fn destroy(
    c: &Configured,
    prior: &Value,
    timeout: Duration,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> bool {
    if prior.get(attr::DELETE_RESTORED_TARGET).as_bool() != Some(true) {
        return false;
    }
    let Some(disk) = prior
        .get(attr::RESTORED_RESOURCE_ID)
        .as_str()
        .and_then(|s| s.parse::<ManagedDiskId>().ok())
    else {
        return false;
    };
    // Only a disk restore has a disk of its own (the schema refuses the flag elsewhere).
    if prior.get(attr::DISK).is_null() {
        return false;
    }
    let op = c.client.op_options(timeout, &ctx.cancel);
    let status = match job_of(prior) {
        None => prior
            .get(attr::JOB_STATUS)
            .as_str()
            .unwrap_or_default()
            .to_string(),
        Some((_, job)) => match c.client.get_backup_job(&job, &op).await {
            Ok(Some(j)) => j.status,
            // The service keeps jobs for a while only: the state's word then.
            Ok(None) => prior
                .get(attr::JOB_STATUS)
                .as_str()
                .unwrap_or_default()
                .to_string(),
            Err(e) => {
                diags.push(azure_error(
                    "Unable to Read Restore Job",
                    "reading of the restore job before deleting the restored disk",
                    None,
                    &e,
                ));
                return true;
            }
        },
    };
    match JobState::of(&status) {
        JobState::Running => {
            diags.error_at(
                AttributePath::root(attr::DELETE_RESTORED_TARGET),
                "Restore Still Running",
                format!("The restore job is {status}: the disk {disk} is not finished, and it is not deleted while it is being made. Wait for the job to end (`terraform apply -refresh-only` shows `job_status`), then destroy again. The restore was kept in state."),
            );
            true
        }
        JobState::Failed | JobState::Cancelled => {
            tracing::info!(disk = %disk, "the restore job did not complete, so it made no disk; nothing deleted");
            false
        }
        JobState::Completed | JobState::CompletedWithWarnings => {
            match c.client.delete_disk(&disk, &op).await {
                Ok(()) => {
                    tracing::info!(disk = %disk, "restored disk deleted");
                    false
                }
                Err(e) => {
                    diags.push(
                        azure_error(
                            "Unable to Delete Restored Disk",
                            "deletion of the restored disk",
                            None,
                            &e,
                        )
                        .at(AttributePath::root(attr::DELETE_RESTORED_TARGET)),
                    );
                    true
                }
            }
        }
    }
}
