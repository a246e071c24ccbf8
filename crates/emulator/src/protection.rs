//! The protection room: how an instance's protection state moves on once its configuration is
//! due, and the end states a protection outcome knob leads to.

use super::knobs::ProtectionOutcome;
use super::state::{Instance, State};
use super::validation;

/// Moves an instance's protection state on if its time has come. Returns whether it changed.
pub fn settle_instance(inst: &mut Instance, now: u64) -> bool {
    let Some(due) = inst.protection_due_ms else {
        return false;
    };
    if due > now {
        return false;
    }
    let outcome = inst
        .protection_outcome
        .unwrap_or(ProtectionOutcome::ProtectionConfigured);
    apply_protection(inst, outcome);
    // The schedule of a newly protected instance starts when protection was configured.
    if inst.protection_state == "ProtectionConfigured" && inst.scheduled_through_ms.is_none() {
        inst.scheduled_through_ms = Some(due);
    }
    if inst.protection_state == "ProtectionConfigured" && inst.protected_since_ms.is_none() {
        inst.protected_since_ms = Some(due);
    }
    true
}

pub fn settle_all(st: &mut State, now: u64) {
    let mut changed = false;
    for inst in st.instances.values_mut() {
        changed |= settle_instance(inst, now);
    }
    if changed {
        st.bump();
    }
}

/// Sets an instance to the end state of `outcome`. `Stuck` keeps it configuring for ever.
pub fn apply_protection(inst: &mut Instance, outcome: ProtectionOutcome) {
    match outcome {
        ProtectionOutcome::ProtectionConfigured => {
            inst.protection_state = "ProtectionConfigured".into();
            inst.protection_status = "ProtectionConfigured".into();
            inst.protection_error = None;
            inst.protection_due_ms = None;
        }
        ProtectionOutcome::ProtectionError | ProtectionOutcome::ConfiguringProtectionFailed => {
            let err = super::errors::user_facing(
                "UserErrorProtectionConfigurationFailed",
                "Configuring protection failed for the datasource.",
                &[
                    "Check the datasource and the permissions of the backup vault's identity, then retry (emulator-injected outcome).",
                ],
                None,
            );
            inst.protection_state = if outcome == ProtectionOutcome::ProtectionError {
                "ProtectionError"
            } else {
                "ConfiguringProtectionFailed"
            }
            .into();
            inst.protection_status = "ConfiguringProtectionFailed".into();
            inst.protection_error = Some(err);
            inst.protection_due_ms = None;
        }
        ProtectionOutcome::Stuck => {
            inst.protection_state = "ConfiguringProtection".into();
            inst.protection_status = "ConfiguringProtection".into();
            inst.protection_error = None;
            inst.protection_due_ms = None;
        }
    }
}

/// The end of a `sync`: an instance in ProtectionError (or ConfiguringProtectionFailed) whose
/// cause is gone — its vault has the roles again and no protection knob still forces the error
/// — goes back to ProtectionConfigured; otherwise it stays, with the error found now. An
/// instance without an error is left as it is (inferred, see docs/emulator.md).
pub fn resync(st: &mut State, key: &str, api_version: &str, at: u64) {
    let Some(inst) = st.instances.get(key).cloned() else {
        return;
    };
    if !matches!(
        inst.protection_state.as_str(),
        "ProtectionError" | "ConfiguringProtectionFailed"
    ) {
        return;
    }
    let subjects = [
        inst.name.as_str(),
        inst.id.as_str(),
        inst.data_source_info.resource_id.as_str(),
    ];
    let forced = st.knobs.protection_outcome(&subjects);
    let denied = validation::check_permissions(&st.world, &inst.vault_id, &inst, api_version).err();
    let Some(i) = st.instances.get_mut(key) else {
        return;
    };
    match (denied, forced) {
        (Some(e), _) => {
            let info = e.pointer("/additionalInfo/0/info").cloned().unwrap_or(e);
            i.protection_error = Some(info);
        }
        (None, ProtectionOutcome::ProtectionConfigured) => {
            apply_protection(i, ProtectionOutcome::ProtectionConfigured);
            i.scheduled_through_ms = Some(at);
        }
        (None, outcome) => apply_protection(i, outcome),
    }
    st.bump();
}
