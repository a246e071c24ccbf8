//! The protection room: how an instance's protection state moves on once its configuration is
//! due, and the end states a protection outcome knob leads to.

use super::knobs::ProtectionOutcome;
use super::state::{Instance, State};

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
