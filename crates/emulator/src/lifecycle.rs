//! The lifecycle room, the secure-by-default part of the service: soft deleting backup instances
//! (kept under `deletedBackupInstances` until their purge time), undelete, the protection
//! actions' effects and the checks `resumeProtection` and a new instance make.

use serde_json::Value;

use super::armpath::lower;
use axum::http::StatusCode;

use super::errors::ApiError;
use super::state::{Deleted, Instance, OpKind, Operation, State, deleted_key};
use super::world::Vault;

/// After a successful DELETE: kept under `deletedBackupInstances` when the vault's soft
/// delete is on, gone for good otherwise.
pub fn soft_delete(st: &mut State, mut inst: Instance, at: u64) {
    let Some(sd) = st
        .world
        .vault(&inst.vault_id)
        .map(|v| v.soft_delete.clone())
    else {
        return;
    };
    if sd.is_off() {
        return;
    }
    inst.protection_state = "SoftDeleted".into();
    inst.protection_status = "SoftDeleted".into();
    inst.provisioning_state = "Succeeded".into();
    inst.protection_due_ms = None;
    inst.busy_operation = None;
    let key = deleted_key(&inst.vault_id, &inst.name);
    st.deleted.insert(
        key,
        Deleted {
            instance: inst,
            deletion_ms: at,
            purge_ms: at + u64::from(sd.retention_days) * 24 * 3600 * 1000,
        },
    );
}

/// Forgets soft-deleted instances whose scheduled purge time has passed.
pub fn purge_deleted(st: &mut State, now: u64) {
    let before = st.deleted.len();
    st.deleted.retain(|_, d| d.purge_ms > now);
    if st.deleted.len() != before {
        st.bump();
    }
}

/// `resumeProtection` fails when another instance now protects the datasource [REC].
pub fn check_resume(st: &State, op: &Operation) -> Result<(), (Value, u16)> {
    let key = op.instance_key.clone().unwrap_or_default();
    let Some(inst) = st.instances.get(&key) else {
        return Ok(());
    };
    match st.protecting(&inst.data_source_info.resource_id, Some(&key)) {
        None => Ok(()),
        Some(other) => {
            let code = "UserErrorDppDatasourceAlreadyHasBackupInstance";
            let message = format!(
                "Datasource is already associated with the backup instance {} in the Backup vault {} with the protection status as {}.",
                other.friendly_name, other.vault_id, other.protection_status
            );
            let info = super::errors::user_facing(
                code,
                &message,
                &["Stop protection of the other backup instance, then retry."],
                None,
            );
            Err((super::errors::error_object(code, &message, Some(info)), 400))
        }
    }
}

/// The end of an undelete or a protection action that is due: its effect on the instance.
pub fn complete_lifecycle(st: &mut State, op: &Operation, key: &str, ok: bool) {
    match op.kind {
        OpKind::Undelete => {
            let dkey = deleted_key(&op.vault_id, &super::armpath::last_segment(key));
            if let (true, Some(d)) = (ok, st.deleted.remove(&dkey)) {
                let mut inst = d.instance;
                inst.provisioning_state = "Succeeded".into();
                inst.protection_state = "ProtectionStopped".into();
                inst.protection_status = "ProtectionStopped".into();
                inst.protection_error = None;
                inst.protection_due_ms = None;
                inst.busy_operation = None;
                st.insert_instance(key.to_string(), inst);
            }
        }
        OpKind::StopProtection
        | OpKind::SuspendBackups
        | OpKind::ResumeProtection
        | OpKind::ResumeBackups => {
            if let Some(inst) = st.instances.get_mut(key) {
                inst.busy_operation = None;
                match (ok, op.kind.target_state()) {
                    (true, Some(s)) => {
                        inst.protection_state = s.to_string();
                        inst.protection_status = s.to_string();
                        inst.protection_error = None;
                        inst.protection_due_ms = None;
                    }
                    _ => {
                        if let Some(p) = &op.previous {
                            inst.protection_state = p.protection_state.clone();
                            inst.protection_status = p.protection_status.clone();
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// `identityDetails` naming a user-assigned identity must name one attached to the vault.
pub fn check_identity(vault: &Vault, inst: &Instance) -> Result<(), ApiError> {
    let Some(d) = &inst.identity_details else {
        return Ok(());
    };
    let system = d
        .get("useSystemAssignedIdentity")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let uami = d
        .get("userAssignedIdentityArmUrl")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    match (system, uami) {
        (true, _) => Ok(()),
        (false, Some(u))
            if vault
                .user_assigned_identities
                .iter()
                .any(|a| lower(&a.id) == lower(u)) =>
        {
            Ok(())
        }
        (false, _) => Err(ApiError::service(
            StatusCode::BAD_REQUEST,
            "UserErrorUserIdentityNotAttachedToBackupVault",
            format!(
                "The User Identity provided in input is not attached to the Backup Vault. Please attach the User Identity '{}' to the Backup Vault '{}' and retry.",
                uami.unwrap_or(""),
                vault.id
            ),
            &[
                "Attach the user-assigned identity to the Backup vault, or use the vault's system-assigned identity.",
            ],
            None,
        )),
    }
}

/// The strict reading of an undocumented case: while a soft-deleted instance with the same name
/// or datasource exists in the same vault, a new one is refused (see docs/emulator.md).
pub fn check_soft_deleted(state: &State, vault: &Vault, inst: &Instance) -> Result<(), ApiError> {
    let prefix = format!("{}/deletedbackupinstances/", lower(&vault.id));
    let ds = lower(&inst.data_source_info.resource_id);
    let hit = state
        .deleted
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, d)| d)
        .find(|d| {
            lower(&d.instance.name) == lower(&inst.name)
                || lower(&d.instance.data_source_info.resource_id) == ds
        });
    let Some(d) = hit else {
        return Ok(());
    };
    let purge = time::OffsetDateTime::from_unix_timestamp((d.purge_ms / 1000) as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    Err(ApiError::service(
        StatusCode::BAD_REQUEST,
        SOFT_DELETED_CODE,
        format!(
            "The backup instance '{}/deletedBackupInstances/{}' of datasource '{}' is soft-deleted in this Backup vault and is scheduled to be purged at {purge}.",
            vault.id, d.instance.name, d.instance.data_source_info.resource_id
        ),
        &[
            "Undelete the soft-deleted backup instance and resume its protection, or protect the datasource in another Backup vault.",
        ],
        None,
    ))
}

/// Emulator-chosen code for [`check_soft_deleted`]; the real service's answer is unknown.
pub const SOFT_DELETED_CODE: &str = "UserErrorSoftDeletedBackupInstanceExists";
