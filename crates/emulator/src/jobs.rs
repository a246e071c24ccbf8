//! The jobs room: backup and restore jobs on the emulator's clock. A job is
//! started by an adhoc backup's operation or by the schedule, runs for the `job_ms` knob
//! (`Started`, then `InProgress`), and ends as the job knobs say; a backup that completes makes
//! a recovery point, one whose vault lacks a role fails and puts its instance in ProtectionError;
//! a restore that completes has the restore room change the world.
//! Jobs are kept per vault, oldest first, the oldest forgotten past a cap.

use serde_json::{Value, json};

use super::armpath::{last_segment, lower, resource_group_of, subscription_of};
use super::errors::user_facing;
use super::knobs::JobOutcome;
use super::state::{Job, JobEnd, JobOperation, JobStatus, RecoveryPoint, State};
use super::{policies, recovery_points, restore, validation};

/// Jobs kept per vault; the oldest terminal ones are forgotten beyond it.
const JOBS_PER_VAULT: usize = 5_000;

/// Lower-cased store key of a job (`{vault}/backupjobs/{guid}`), so a vault's jobs are a range.
pub fn key(vault_id: &str, guid: &str) -> String {
    lower(&format!("{vault_id}/backupJobs/{guid}"))
}

pub fn arm_id(job: &Job) -> String {
    format!("{}/backupJobs/{}", job.vault_id, job.guid)
}

/// The running job on a datasource, if any (one at a time, as the service allows).
pub fn running_on<'a>(st: &'a State, datasource_id: &str) -> Option<&'a Job> {
    let ds = lower(datasource_id);
    st.jobs
        .values()
        .find(|j| j.status.is_running() && lower(&j.datasource.resource_id) == ds)
}

/// What a job on `subjects` is set to end as: the first matching job rule, else success.
fn planned(st: &State, op: JobOperation, subjects: &[&str]) -> (Option<u64>, JobEnd) {
    let name = match op {
        JobOperation::Backup => "backup",
        JobOperation::Restore => "restore",
    };
    match st.knobs.job_rule(name, subjects) {
        None => (
            Some(st.knobs.job_ms),
            JobEnd {
                status: JobStatus::Completed,
                error: None,
            },
        ),
        Some(r) => {
            let error = |default_code: &str, default_message: &str| {
                Some(user_facing(
                    r.code.as_deref().unwrap_or(default_code),
                    r.message.as_deref().unwrap_or(default_message),
                    &["Retry the operation (emulator-injected job outcome)."],
                    None,
                ))
            };
            let end = match r.outcome {
                JobOutcome::Fail if op == JobOperation::Restore => JobEnd {
                    status: JobStatus::Failed,
                    error: error(
                        "UserErrorRestoreFailed",
                        "The restore job failed (emulator-injected outcome).",
                    ),
                },
                JobOutcome::Fail => JobEnd {
                    status: JobStatus::Failed,
                    error: error(
                        "UserErrorBackupFailed",
                        "The backup job failed (emulator-injected outcome).",
                    ),
                },
                JobOutcome::Warn => JobEnd {
                    status: JobStatus::CompletedWithWarnings,
                    error: error(
                        "UserErrorBackupCompletedWithWarnings",
                        "The job completed with warnings (emulator-injected outcome).",
                    ),
                },
                JobOutcome::Cancel => JobEnd {
                    status: JobStatus::Cancelled,
                    error: None,
                },
                JobOutcome::NeverFinish => JobEnd {
                    status: JobStatus::Completed,
                    error: None,
                },
            };
            let due = (r.outcome != JobOutcome::NeverFinish).then_some(st.knobs.job_ms);
            (due, end)
        }
    }
}

/// Starts a job for the instance `inst_key` at `at`; returns its GUID, or `None` when the
/// instance is gone.
pub fn start(
    st: &mut State,
    inst_key: &str,
    operation: JobOperation,
    user_triggered: bool,
    rule_tag: Option<(String, String)>,
    api_version: &str,
    at: u64,
) -> Option<String> {
    let inst = st.instances.get(inst_key)?.clone();
    let policy = st.world.policy(&inst.policy_id).cloned();
    let subjects = [
        inst.name.as_str(),
        inst.id.as_str(),
        inst.data_source_info.resource_id.as_str(),
    ];
    let (duration, end) = planned(st, operation, &subjects);
    let rule = policy.as_ref().and_then(policies::backup_rule);
    let guid = uuid::Uuid::new_v4().to_string();
    let (rule_name, retention_tag) = match rule_tag {
        Some((r, t)) => (Some(r), Some(t)),
        None => (None, None),
    };
    let job = Job {
        guid: guid.clone(),
        vault_id: inst.vault_id.clone(),
        instance_key: inst_key.to_string(),
        instance_id: inst.id.clone(),
        instance_friendly_name: inst.friendly_name.clone(),
        datasource: inst.data_source_info.clone(),
        datasource_set_name: inst
            .data_source_set_info
            .as_ref()
            .unwrap_or(&inst.data_source_info)
            .resource_name
            .clone(),
        policy_id: inst.policy_id.clone(),
        operation,
        is_user_triggered: user_triggered,
        rule_name,
        retention_tag,
        start_ms: at,
        due_ms: duration.map(|d| at + d),
        end_ms: None,
        status: JobStatus::Started,
        data_store: policy
            .as_ref()
            .map(|p| format!("{:?}", policies::data_store(p)))
            .unwrap_or_else(|| "OperationalStore".into()),
        backup_type: rule
            .map(|r| r.backup_type)
            .unwrap_or_else(|| "Incremental".into()),
        planned: end,
        errors: Vec::new(),
        recovery_point_id: None,
        api_version: api_version.to_string(),
        extra_info: None,
        restore: None,
    };
    prune(st, &inst.vault_id);
    st.jobs.insert(key(&inst.vault_id, &guid), job);
    st.bump();
    Some(guid)
}

/// Forgets the oldest terminal jobs of a vault beyond the cap.
fn prune(st: &mut State, vault_id: &str) {
    let prefix = lower(&format!("{vault_id}/backupJobs/"));
    let mut of_vault: Vec<(u64, String)> = st
        .jobs
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(_, j)| !j.status.is_running())
        .map(|(k, j)| (j.start_ms, k.clone()))
        .collect();
    if of_vault.len() < JOBS_PER_VAULT {
        return;
    }
    of_vault.sort();
    for (_, k) in of_vault.iter().take(of_vault.len() + 1 - JOBS_PER_VAULT) {
        st.jobs.remove(k);
    }
}

/// Moves every job on: `Started` becomes `InProgress` half-way, and due jobs end (oldest
/// first) with their effects.
pub fn settle(st: &mut State, now: u64) {
    let mut due: Vec<(u64, String)> = Vec::new();
    let mut changed = false;
    for (k, j) in st.jobs.iter_mut() {
        if !j.status.is_running() {
            continue;
        }
        match j.due_ms {
            Some(d) if d <= now => due.push((d, k.clone())),
            d => {
                let half = d.map_or(j.start_ms + 1_000, |d| j.start_ms + (d - j.start_ms) / 2);
                if j.status == JobStatus::Started && now >= half {
                    j.status = JobStatus::InProgress;
                    changed = true;
                }
            }
        }
    }
    due.sort();
    for (at, k) in due {
        finish(st, &k, at);
        changed = true;
    }
    if changed {
        st.bump();
    }
}

/// Ends a job at `at`. A backup first checks what the service checks when it runs: the
/// instance is still there and the vault still has its roles.
fn finish(st: &mut State, key: &str, at: u64) {
    let Some(job) = st.jobs.get(key).cloned() else {
        return;
    };
    let mut status = job.planned.status;
    let mut errors: Vec<Value> = job.planned.error.clone().into_iter().collect();
    let mut rp = None;
    if job.operation == JobOperation::Backup && status != JobStatus::Cancelled {
        match st.instances.get(&job.instance_key).cloned() {
            None => {
                status = JobStatus::Failed;
                errors = vec![user_facing(
                    "UserErrorBackupInstanceNotFound",
                    "The backup instance was deleted while the backup job ran.",
                    &[],
                    None,
                )];
            }
            Some(inst) => {
                let denied = validation::check_permissions(
                    &st.world,
                    &job.vault_id,
                    &inst,
                    &job.api_version,
                )
                .err();
                if let Some(e) = denied {
                    // The job fails with the missing role, and the instance shows it as a
                    // protection error until the role is granted and the instance synced
                    // (inferred, see docs/emulator.md).
                    let info = e
                        .pointer("/additionalInfo/0/info")
                        .cloned()
                        .unwrap_or_else(|| e.clone());
                    status = JobStatus::Failed;
                    errors = vec![info.clone()];
                    if let Some(i) = st.instances.get_mut(&job.instance_key) {
                        i.protection_state = "ProtectionError".into();
                        i.protection_status = "ProtectionError".into();
                        i.protection_error = Some(info);
                    }
                } else if matches!(
                    status,
                    JobStatus::Completed | JobStatus::CompletedWithWarnings
                ) {
                    rp = recovery_points::from_job(st, &job, &inst);
                }
            }
        }
    }
    if job.operation == JobOperation::Restore
        && matches!(
            status,
            JobStatus::Completed | JobStatus::CompletedWithWarnings
        )
    {
        // The restore's effect: the world changes now (or the job fails if its target was
        // taken meanwhile).
        if let Err(e) = restore::finish_job(st, &job, at) {
            status = JobStatus::Failed;
            errors = vec![e.pointer("/additionalInfo/0/info").cloned().unwrap_or(e)];
        }
    }
    let rp_id = rp.as_ref().map(|r: &RecoveryPoint| r.id.clone());
    if let Some(r) = rp {
        recovery_points::add(st, &job.instance_key, r);
    }
    if let Some(j) = st.jobs.get_mut(key) {
        j.status = status;
        j.errors = errors;
        j.end_ms = Some(at);
        if rp_id.is_some() {
            j.recovery_point_id = rp_id;
        }
    }
}

/// `01:02:03` or `1.02:03:04` (days), as the service writes a TimeSpan.
fn duration(ms: u64) -> String {
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("{d}.{h:02}:{m:02}:{sec:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    }
}

/// `GET {vault}/backupJobs/{guid}`'s body at `now`.
pub fn render(job: &Job, now: u64) -> Value {
    let vault_name = last_segment(&job.vault_id);
    let end = job.end_ms.unwrap_or(now);
    let task = match job.operation {
        JobOperation::Backup => "Trigger Backup",
        JobOperation::Restore => "Trigger Restore",
    };
    let task_status = match job.status {
        JobStatus::Started | JobStatus::InProgress => "Started",
        s => status_str(s),
    };
    let mut additional = json!({"TaskId": job.guid});
    if let Some(r) = &job.rule_name {
        additional["PolicyRuleName"] = json!(r);
    }
    if let Some(t) = &job.retention_tag {
        additional["RetentionTag"] = json!(t);
    }
    let mut extended = json!({
        "additionalDetails": additional,
        "subTasks": [{"taskId": 1, "taskName": task, "taskStatus": task_status}],
    });
    if let Some(rp) = &job.recovery_point_id {
        extended["recoveryPointId"] = json!(rp);
    }
    if let Some(Value::Object(extra)) = &job.extra_info {
        for (k, v) in extra {
            extended[k] = v.clone();
        }
    }
    let ds = &job.datasource;
    let mut props = json!({
        "activityID": job.guid,
        "backupInstanceFriendlyName": job.instance_friendly_name,
        "backupInstanceId": job.instance_id,
        "dataSourceId": ds.resource_id,
        "dataSourceLocation": ds.resource_location,
        "dataSourceName": ds.resource_name,
        "dataSourceSetName": job.datasource_set_name,
        "dataSourceType": ds.datasource_type,
        "duration": duration(end.saturating_sub(job.start_ms)),
        "extendedInfo": extended,
        "isUserTriggered": job.is_user_triggered,
        "operation": job.operation.as_str(),
        "operationCategory": job.operation.as_str(),
        "policyId": job.policy_id,
        "policyName": last_segment(&job.policy_id),
        "progressEnabled": false,
        "sourceResourceGroup": resource_group_of(&ds.resource_id)
            .map(|g| last_segment(&g))
            .unwrap_or_default(),
        "sourceSubscriptionID": subscription_of(&ds.resource_id).unwrap_or_default(),
        "startTime": super::clock::rfc3339(job.start_ms),
        "status": status_str(job.status),
        "subscriptionId": subscription_of(&job.vault_id).unwrap_or_default(),
        "supportedActions": [],
        "vaultName": vault_name,
    });
    if let Some(e) = job.end_ms {
        props["endTime"] = json!(super::clock::rfc3339(e));
    }
    if !job.errors.is_empty() {
        props["errorDetails"] = json!(job.errors);
    }
    json!({
        "id": arm_id(job),
        "name": job.guid,
        "type": "Microsoft.DataProtection/backupVaults/backupJobs",
        "properties": props,
    })
}

pub fn status_str(s: JobStatus) -> &'static str {
    match s {
        JobStatus::Started => "Started",
        JobStatus::InProgress => "InProgress",
        JobStatus::Completed => "Completed",
        JobStatus::CompletedWithWarnings => "CompletedWithWarnings",
        JobStatus::Failed => "Failed",
        JobStatus::Cancelled => "Cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn timespans() {
        assert_eq!(duration(0), "00:00:00");
        assert_eq!(duration(3_723_000), "01:02:03");
        assert_eq!(duration(93_784_000), "1.02:03:04");
    }
}
