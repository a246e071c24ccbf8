//! The operations room: starting a long-running operation (durations and forced outcomes from
//! the knobs and the fault RNG), and settling the ones whose time has come with their effect on
//! the instances (create, update, delete; the lifecycle actions through [`lifecycle`]).

use rand::Rng;
use serde_json::Value;

use super::knobs::JobIdForm;
use super::knobs::OperationOutcome;
use super::state::{Instance, JobOperation, OpKind, OpStatus, Operation, State, is_held};
use super::{jobs, lifecycle, protection, restore, validation};

/// Above this many stored operations, finished ones older than `OP_KEEP_MS` are forgotten.
const OP_SOFT_CAP: usize = 50_000;
const OP_KEEP_MS: u64 = 10 * 60 * 1000;

/// Starts a long-running operation; rules and the fault RNG decide whether it is forced to
/// fail or never finish.
#[allow(clippy::too_many_arguments)]
pub fn start_operation(
    st: &mut State,
    kind: OpKind,
    api_version: &str,
    subscription: &str,
    location: &str,
    vault_id: &str,
    instance_key: Option<String>,
    candidate: Option<Instance>,
    previous: Option<Instance>,
    subjects: &[&str],
) -> String {
    let now = st.now();
    prune_operations(st, now);
    let duration = match kind {
        OpKind::Validate | OpKind::ValidateRestore => st.knobs.validate_ms,
        OpKind::Create | OpKind::Update => st.knobs.put_ms,
        OpKind::Delete | OpKind::Undelete => st.knobs.delete_ms,
        OpKind::StopProtection
        | OpKind::SuspendBackups
        | OpKind::ResumeProtection
        | OpKind::ResumeBackups => st.knobs.put_ms,
        OpKind::AdhocBackup | OpKind::Sync | OpKind::Restore => st.knobs.trigger_ms,
    };
    let x: f64 = st.rng.random();
    let f = &st.knobs.faults;
    let outcome =
        st.knobs
            .operation_rule(kind.knob_name(), subjects)
            .or(if x < f.fail_operation_rate {
                Some(OperationOutcome::Fail)
            } else if x < f.fail_operation_rate + f.stuck_operation_rate {
                Some(OperationOutcome::NeverFinish)
            } else {
                None
            });
    // The real IDs are base64 of two GUIDs joined by ';'.
    let raw = format!("{};{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let id = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, raw);
    let op = Operation {
        id: id.clone(),
        kind,
        api_version: api_version.to_string(),
        subscription: subscription.to_string(),
        location: location.to_string(),
        vault_id: vault_id.to_string(),
        instance_key,
        candidate,
        previous,
        start_ms: now,
        due_ms: if outcome == Some(OperationOutcome::NeverFinish) {
            None
        } else {
            Some(now + duration)
        },
        end_ms: None,
        status: OpStatus::Inprogress,
        error: None,
        error_http: 200,
        forced_failure: outcome == Some(OperationOutcome::Fail),
        backup_options: None,
        job_id: None,
        restore: None,
    };
    st.operations.insert(id.clone(), op);
    st.pending.insert(id.clone());
    st.bump();
    id
}

fn prune_operations(st: &mut State, now: u64) {
    if st.operations.len() < OP_SOFT_CAP {
        return;
    }
    st.operations.retain(|_, o| {
        o.status == OpStatus::Inprogress || o.end_ms.is_none_or(|e| e + OP_KEEP_MS > now)
    });
}

/// Brings running operations (all, or the one `id`) due now and settles them; without an
/// `id`, pending protection configuration ends now too. Returns how many operations finished.
pub fn finish_now(st: &mut State, id: Option<&str>, now: u64) -> usize {
    let ids: Vec<String> = st
        .pending
        .iter()
        .filter(|p| id.is_none_or(|i| i == p.as_str()))
        .cloned()
        .collect();
    for i in &ids {
        if let Some(o) = st.operations.get_mut(i) {
            o.due_ms = Some(now);
        }
    }
    settle(st, now);
    if id.is_none() {
        for inst in st.instances.values_mut() {
            if inst.protection_due_ms.is_some() {
                inst.protection_due_ms = Some(now);
            }
        }
        protection::settle_all(st, now);
    }
    ids.len()
}

/// Completes every operation whose time has come, oldest first, and applies its effects.
pub fn settle(st: &mut State, now: u64) {
    if st.pending.is_empty() {
        return;
    }
    let mut due: Vec<(u64, String)> = st
        .pending
        .iter()
        .filter_map(|id| {
            st.operations
                .get(id)
                .and_then(|o| o.due_ms)
                .filter(|d| *d <= now)
                .map(|d| (d, id.clone()))
        })
        .collect();
    if due.is_empty() {
        return;
    }
    due.sort();
    for (at, id) in due {
        st.pending.remove(&id);
        complete(st, &id, at);
    }
    st.bump();
}

fn complete(st: &mut State, id: &str, at: u64) {
    let Some(op) = st.operations.get(id).cloned() else {
        return;
    };
    let forced = op.forced_failure.then(internal_failure);
    let mut result: Result<(), (Value, u16)> = match (forced, op.kind) {
        (Some(e), _) => Err(e),
        (None, OpKind::Delete | OpKind::Undelete | OpKind::StopProtection) => Ok(()),
        (None, OpKind::SuspendBackups | OpKind::ResumeBackups | OpKind::Sync) => Ok(()),
        (None, OpKind::AdhocBackup) => start_backup_job(st, &op, at),
        (None, OpKind::ValidateRestore | OpKind::Restore) => check_restore(st, &op, at),
        (None, OpKind::ResumeProtection) => lifecycle::check_resume(st, &op),
        (None, _) => match &op.candidate {
            Some(c) => validation::check_permissions(&st.world, &op.vault_id, c, &op.api_version)
                .map_err(|e| (e, 400)),
            None => Ok(()),
        },
    };
    let key = op.instance_key.clone().unwrap_or_default();
    match op.kind {
        OpKind::Validate => {}
        OpKind::Create => {
            if result.is_err() {
                // A create whose checks fail leaves nothing behind (see docs/emulator.md).
                st.remove_instance(&key);
            } else if let Some(inst) = st.instances.get_mut(&key) {
                inst.provisioning_state = "Succeeded".into();
                inst.busy_operation = None;
                let subjects = [
                    inst.name.as_str(),
                    inst.id.as_str(),
                    inst.data_source_info.resource_id.as_str(),
                ];
                let outcome = st.knobs.protection_outcome(&subjects);
                inst.protection_outcome = Some(outcome);
                inst.protection_due_ms = Some(at + st.knobs.protection_ms);
            }
        }
        OpKind::Update => {
            if result.is_err() {
                if let Some(prev) = op.previous.clone() {
                    st.insert_instance(key.clone(), prev);
                }
            } else if let Some(inst) = st.instances.get_mut(&key) {
                inst.provisioning_state = "Succeeded".into();
                inst.busy_operation = None;
                // An update of a stopped or suspended instance keeps that state (a guess,
                // see docs/emulator.md); otherwise protection is configured again.
                let held = op
                    .previous
                    .as_ref()
                    .map(|p| p.protection_state.as_str())
                    .filter(|s| is_held(s));
                if let Some(s) = held {
                    inst.protection_state = s.to_string();
                    inst.protection_status = s.to_string();
                    inst.protection_due_ms = None;
                } else {
                    let subjects = [
                        inst.name.as_str(),
                        inst.id.as_str(),
                        inst.data_source_info.resource_id.as_str(),
                    ];
                    inst.protection_outcome = Some(st.knobs.protection_outcome(&subjects));
                    inst.protection_due_ms = Some(at);
                }
            }
        }
        OpKind::Delete => {
            if result.is_ok() {
                if let Some(inst) = st.remove_instance(&key) {
                    lifecycle::soft_delete(st, inst, at);
                }
            } else if let Some(inst) = st.instances.get_mut(&key) {
                inst.provisioning_state = "Succeeded".into();
                inst.busy_operation = None;
                if let Some(p) = &op.previous {
                    inst.protection_state = p.protection_state.clone();
                    inst.protection_status = p.protection_status.clone();
                }
            }
        }
        OpKind::Undelete
        | OpKind::StopProtection
        | OpKind::SuspendBackups
        | OpKind::ResumeProtection
        | OpKind::ResumeBackups => lifecycle::complete_lifecycle(st, &op, &key, result.is_ok()),
        OpKind::AdhocBackup | OpKind::ValidateRestore | OpKind::Restore => {}
        OpKind::Sync => {
            if result.is_ok() {
                protection::resync(st, &key, &op.api_version, at);
            }
        }
    }
    if let Some(inst) = st
        .instances
        .get_mut(&key)
        .filter(|i| i.busy_operation.as_deref() == Some(id))
    {
        inst.busy_operation = None;
    }
    if let Some(o) = st.operations.get_mut(id) {
        o.end_ms = Some(at);
        o.candidate = None;
        o.previous = None;
        match result.as_mut() {
            Ok(()) => o.status = OpStatus::Succeeded,
            Err((e, http)) => {
                o.status = OpStatus::Failed;
                o.error = Some(e.take());
                o.error_http = *http;
            }
        }
    }
}

/// The end of an adhoc backup's operation: its job starts (the operation's result names it).
fn start_backup_job(st: &mut State, op: &Operation, at: u64) -> Result<(), (Value, u16)> {
    let key = op.instance_key.clone().unwrap_or_default();
    let started = jobs::start(
        st,
        &key,
        JobOperation::Backup,
        true,
        op.backup_options.clone(),
        &op.api_version,
        at,
    );
    let Some(guid) = started else {
        let e = super::errors::failed(
            "UserErrorBackupInstanceNotFound",
            "The backup instance was deleted before its backup started.",
            &[],
            None,
        );
        return Err((e, 404));
    };
    let job_id = match st.knobs.job_id_form {
        JobIdForm::ArmId => format!("{}/backupJobs/{guid}", op.vault_id),
        JobIdForm::Guid => guid,
    };
    if let Some(o) = st.operations.get_mut(&op.id) {
        o.job_id = Some(job_id);
    }
    Ok(())
}

/// The end of validateRestore and restore: the plan's checks against the world now; a
/// restore's job then starts (the operation's result names it).
fn check_restore(st: &mut State, op: &Operation, at: u64) -> Result<(), (Value, u16)> {
    let key = op.instance_key.clone().unwrap_or_default();
    let Some(plan) = op.restore.as_ref() else {
        return Ok(());
    };
    restore::check(st, &key, plan, at).map_err(|e| (e, 400))?;
    if op.kind == OpKind::Restore {
        let job_id = restore::start_job(st, op, at)?;
        if let Some(o) = st.operations.get_mut(&op.id) {
            o.job_id = Some(job_id);
        }
    }
    Ok(())
}

/// The failure an operation forced to fail (by a rule or the fault RNG) ends with.
fn internal_failure() -> (Value, u16) {
    let e = super::errors::error_object(
        "InternalError",
        "The operation failed because of an internal error. Retry the operation (emulator fault injection).",
        Some(super::errors::user_facing(
            "InternalError",
            "The operation failed because of an internal error.",
            &["Retry the operation. If the issue persists, contact Microsoft support."],
            None,
        )),
    );
    (e, 500)
}
