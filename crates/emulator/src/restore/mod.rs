//! The restore room: validateRestore and restore as the service runs them. A request is parsed
//! ([`request`]) and planned by its kind's restore model ([`models`]: which request types,
//! source data stores and targets the kind allows, what it will create); the plan's checks
//! against the world (the recovery point, the point in time, FailIfExists, the region, the
//! roles of the vault's identity) run when the operation ends, as validation does; a restore's
//! operation then starts a restore job, and when that job completes the world changes
//! ([`effects`]). Point-in-time ranges for continuous backups are here too.

mod effects;
mod models;
pub mod request;
mod storage;

use serde_json::{Value, json};

use crate::armpath::{lower, resource_group_of, subscription_of};
use crate::clock::rfc3339;
use crate::errors::{ApiError, denied, failed};
use crate::knobs::JobIdForm;
use crate::state::{Instance, Job, JobOperation, Operation, RestorePlan, State};
use crate::world::{Requirement, Vault};
use crate::{jobs, kinds, recovery_points};
pub use effects::{apply, effect_conflict, restored_files};
pub use models::RestoreModel;
use request::{RestoreRequest, invalid};

/// How long continuous (operational blob) backups keep their restore points (the policy's
/// `Default` retention, `P30D` in the emulator's policies).
pub const CONTINUOUS_RETENTION_MS: u64 = 30 * 24 * 3600 * 1000;

/// Everything a model looks at while planning.
pub struct Ctx<'a> {
    pub st: &'a State,
    pub vault: &'a Vault,
    pub inst: &'a Instance,
    pub req: &'a RestoreRequest,
    /// The location of the instance's datasource.
    pub source_location: String,
    pub now: u64,
}

impl Ctx<'_> {
    pub fn source_id(&self) -> &str {
        &self.inst.data_source_info.resource_id
    }

    /// Where the request restores to, defaulting to the source's region.
    pub fn location(&self) -> String {
        if self.req.restore_location.is_empty() {
            self.source_location.clone()
        } else {
            self.req.restore_location.clone()
        }
    }
}

/// The identity whose roles a restore needs: the vault's, or the user-assigned identity the
/// request names (which must be attached to the vault).
fn principal(vault: &Vault, req: &RestoreRequest) -> Result<String, ApiError> {
    match &req.user_identity {
        None => Ok(vault.principal_id.clone()),
        Some(id) => vault
            .user_assigned_identities
            .iter()
            .find(|u| lower(&u.id) == lower(id))
            .map(|u| u.principal())
            .ok_or_else(|| {
                invalid(format!(
                    "identityDetails.userAssignedIdentityArmUrl '{id}' is not a user-assigned identity of the Backup vault '{}'.",
                    vault.id
                ))
            }),
    }
}

/// Parses and plans a restore request for the instance: the synchronous 400s.
pub fn plan(
    st: &State,
    vault: &Vault,
    inst: &Instance,
    body: &Value,
    api: &str,
    now: u64,
) -> Result<RestorePlan, ApiError> {
    let req = request::parse(body)?;
    if let Some(src) = &req.source_resource_id
        && !src.is_empty()
        && lower(src) != lower(&inst.data_source_info.resource_id)
    {
        return Err(invalid(format!(
            "sourceResourceId '{src}' is not the datasource of backup instance '{}' ('{}').",
            inst.name, inst.data_source_info.resource_id
        )));
    }
    let model = models::model_for(st, inst).ok_or_else(|| {
        invalid(format!(
            "Restore of datasource type '{}' is not supported.",
            inst.data_source_info.datasource_type
        ))
    })?;
    if let Some(m) = kinds::Kind::of(&inst.data_source_info.resource_id)
        .and_then(|k| kinds::model(k, &inst.data_source_info.datasource_type))
    {
        kinds::check_api_version(m, api)?;
    }
    let principal = principal(vault, &req)?;
    let c = Ctx {
        st,
        vault,
        inst,
        req: &req,
        source_location: st
            .world
            .datasource_location(&inst.data_source_info.resource_id)
            .unwrap_or_else(|| inst.data_source_info.resource_location.clone()),
        now,
    };
    models::check_mode(model, &c)?;
    let (destination, effect, credentials) = model.plan(&c)?;
    Ok(RestorePlan {
        model: model.name().to_string(),
        source_data_store: req.source_data_store.clone(),
        recovery_point_id: req.source.point_id().map(str::to_string),
        recovery_point_time_ms: match req.source {
            request::Source::Time(t) => Some(t),
            _ => None,
        },
        destination,
        restore_location: c.location(),
        principal,
        credentials,
        effect,
    })
}

/// The restorable window of a continuously backed-up instance at `now`: from when protection
/// was configured (at most the retention back) to now.
pub fn restorable_range(inst: &Instance, now: u64) -> Option<(u64, u64)> {
    let since = inst.protected_since_ms.or(inst.scheduled_through_ms)?;
    let start = since.max(now.saturating_sub(CONTINUOUS_RETENTION_MS));
    (start <= now).then_some((start, now))
}

fn fail(code: &str, message: String, action: &str) -> Value {
    failed(code, &message, &[action], None)
}

/// The checks against the world, run when a validateRestore or restore operation ends (and
/// again, for the target, when the job ends). `Err` is the failed operation's error object.
pub fn check(st: &State, inst_key: &str, plan: &RestorePlan, at: u64) -> Result<(), Value> {
    let Some(inst) = st.instances.get(inst_key) else {
        return Err(fail(
            "UserErrorBackupInstanceNotFound",
            "The backup instance was deleted before the restore started.".into(),
            "Check the backup instance.",
        ));
    };
    if let Some(id) = &plan.recovery_point_id {
        let rp = recovery_points::find(st, inst_key, id).filter(|p| p.expiry_ms > at);
        let Some(rp) = rp else {
            return Err(fail(
                "UserErrorRecoveryPointNotFound",
                format!(
                    "The recovery point '{id}' was not found for backup instance '{}'.",
                    inst.name
                ),
                "List the recovery points of this backup instance and use one of their IDs.",
            ));
        };
        if plan.source_data_store == "ArchiveStore" || rp.data_store != plan.source_data_store {
            return Err(fail(
                "UserErrorRecoveryPointNotInDataStore",
                format!(
                    "The recovery point '{id}' is in the {} tier, not in {}.",
                    rp.data_store, plan.source_data_store
                ),
                "Set sourceDataStoreType to the data store of the recovery point.",
            ));
        }
    }
    if let Some(t) = plan.recovery_point_time_ms {
        let range = restorable_range(inst, at);
        if !range.is_some_and(|(s, e)| (s..=e).contains(&t)) {
            let have = range
                .map(|(s, e)| format!("{} to {}", rfc3339(s), rfc3339(e)))
                .unwrap_or_else(|| "none".into());
            return Err(fail(
                "UserErrorRestorePointInTimeOutOfRange",
                format!(
                    "The point in time {} is outside the restorable time ranges of backup instance '{}' ({have}).",
                    rfc3339(t),
                    inst.name
                ),
                "Call findRestorableTimeRanges and pick a time inside one of the ranges.",
            ));
        }
    }
    effects::check_target(st, inst, plan)?;
    if effects::effect_conflict(st, plan, None) {
        return Err(fail(
            "UserErrorRestoreTargetAlreadyExists",
            format!("Another restore to '{}' is in progress.", plan.destination),
            "Wait for the running restore to finish, or choose another target.",
        ));
    }
    check_roles(st, inst, plan)
}

fn check_roles(st: &State, inst: &Instance, plan: &RestorePlan) -> Result<(), Value> {
    let Some(model) = models::by_name(&plan.model) else {
        return Ok(());
    };
    let missing: Vec<Requirement> = model
        .needs(plan)
        .into_iter()
        .filter(|r| !st.world.satisfies(&plan.principal, r))
        .collect();
    if !missing.is_empty() {
        let d = &kinds::MISSING_REQUIRED;
        let detail = denied(&plan.principal, &missing).replacen(
            "Validate for Protection failed",
            "Validate for Restore failed",
            1,
        );
        return Err(failed(d.code, d.message, &[d.action], Some(detail)));
    }
    if let Some(creds) = &plan.credentials {
        // A new PostgreSQL database reads its credentials from a Key Vault secret, checked as
        // at protection time.
        let vault = st.world.vault(&inst.vault_id);
        let pg = kinds::model(kinds::Kind::PgDatabase, kinds::PG_DATABASE_TYPE);
        if let (Some(vault), Some(pg)) = (vault, pg) {
            let mut target = inst.clone();
            target.auth_credentials = Some(creds.clone());
            let c = kinds::Check {
                world: &st.world,
                vault,
                inst: &target,
                api: "2025-09-01",
                policy: None,
            };
            pg.after_roles(&c, &plan.principal)?;
        }
    }
    Ok(())
}

/// The end of a restore's operation: its job starts; returns the job ID as the operation
/// names it.
pub fn start_job(st: &mut State, op: &Operation, at: u64) -> Result<String, (Value, u16)> {
    let key = op.instance_key.clone().unwrap_or_default();
    let Some(plan) = op.restore.clone() else {
        return Err((
            failed("InternalError", "The restore has no plan.", &[], None),
            500,
        ));
    };
    let Some(guid) = jobs::start(
        st,
        &key,
        JobOperation::Restore,
        true,
        None,
        &op.api_version,
        at,
    ) else {
        return Err((
            failed(
                "UserErrorBackupInstanceNotFound",
                "The backup instance was deleted before its restore started.",
                &[],
                None,
            ),
            404,
        ));
    };
    let rp_time = plan
        .recovery_point_id
        .as_deref()
        .and_then(|id| recovery_points::find(st, &key, id))
        .map(|p| p.time_ms)
        .or(plan.recovery_point_time_ms);
    if let Some(j) = st.jobs.get_mut(&jobs::key(&op.vault_id, &guid)) {
        let mut source = json!({"recoveryPointID": plan.recovery_point_id});
        if let Some(t) = rp_time {
            source["recoveryPointTime"] = json!(rfc3339(t));
        }
        j.extra_info = Some(json!({
            "sourceRecoverPoint": source,
            "recoveryDestination": plan.destination,
        }));
        j.recovery_point_id = plan.recovery_point_id.clone();
        j.data_store = plan.source_data_store.clone();
        j.restore = Some(plan);
    }
    Ok(match st.knobs.job_id_form {
        JobIdForm::ArmId => format!("{}/backupJobs/{guid}", op.vault_id),
        JobIdForm::Guid => guid,
    })
}

/// The end of a completed restore job: the target is checked again (something may have taken
/// its place meanwhile) and the world changes. `Err` is the job's error.
pub fn finish_job(st: &mut State, job: &Job, at: u64) -> Result<(), Value> {
    let Some(plan) = job.restore.clone() else {
        return Ok(());
    };
    if let Some(inst) = st.instances.get(&job.instance_key) {
        effects::check_target(st, inst, &plan)?;
    }
    apply(st, job, &plan, at);
    Ok(())
}

/// `POST …/findRestorableTimeRanges`' answer for the instance at `now`.
pub fn time_ranges(st: &State, inst: &Instance, body: &Value, now: u64) -> Result<Value, ApiError> {
    let store = body
        .get("sourceDataStoreType")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("sourceDataStoreType is required."))?;
    let continuous = models::model_for(st, inst).is_some_and(|m| m.continuous());
    if !continuous {
        return Err(ApiError::bad_request(
            "UserErrorRestorableTimeRangesNotSupported",
            format!(
                "Backup instance '{}' keeps discrete recovery points; list them instead of restorable time ranges.",
                inst.name
            ),
        ));
    }
    if store != "OperationalStore" {
        return Err(invalid(format!(
            "sourceDataStoreType '{store}' has no restorable time ranges for this backup instance; use OperationalStore."
        )));
    }
    let time = |name: &str| -> Result<Option<u64>, ApiError> {
        match body
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(s) => crate::world::parse_time_ms(s)
                .map(Some)
                .ok_or_else(|| invalid(format!("{name} '{s}' is not an ISO 8601 date and time."))),
        }
    };
    let (from, to) = (time("startTime")?, time("endTime")?);
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(invalid("startTime must not be after endTime."));
    }
    let ranges: Vec<Value> = restorable_range(inst, now)
        .map(|(s, e)| (from.map_or(s, |f| f.max(s)), to.map_or(e, |t| t.min(e))))
        .filter(|(s, e)| s <= e)
        .map(|(s, e)| {
            json!({"startTime": rfc3339(s), "endTime": rfc3339(e), "objectType": "RestorableTimeRange"})
        })
        .into_iter()
        .collect();
    Ok(json!({
        "type": "Microsoft.DataProtection/backupVaults/backupInstances/findRestorableTimeRanges",
        "id": inst.name,
        "properties": {
            "objectType": "AzureBackupFindRestorableTimeRangesResponse",
            "restorableTimeRanges": ranges,
        },
    }))
}

/// `/subscriptions/{s}/resourceGroups/{rg}` of an ID.
pub fn resource_group_id(id: &str) -> Option<String> {
    Some(format!(
        "/subscriptions/{}/resourceGroups/{}",
        subscription_of(id)?,
        resource_group_of(id)?
    ))
}
