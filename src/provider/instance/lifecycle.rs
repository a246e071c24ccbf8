//! The instance's lifecycle beyond create/update/delete: bringing it to the configured
//! `protection_mode`, stopping protection instead of deleting, and soft-deleted instances met on
//! create (found, recovered and adopted, or explained).

use super::model::{Inputs, body_of, mode_of_state};
use super::schema as attr;
use crate::azure::arm_id::BackupInstanceId;
use crate::azure::client::{DataProtectionClient, OpOptions, ProtectionAction};
use crate::azure::error::AzureError;
use crate::azure::models::{BackupInstanceResource, DeletedBackupInstanceResource};
use crate::azure::wait::{ProtectionWaitError, ProtectionWaitFailure, is_protected, same_arm_id};
use crate::provider::errors::azure_error;
use crate::tfplugin::{AttributePath, Diagnostic, Severity};

/// The actions that lead from one mode to another (Azure has no direct way from stopped to
/// suspended: protection is resumed first).
fn actions(from: &str, to: &str) -> Vec<ProtectionAction> {
    use ProtectionAction::*;
    use attr::mode::*;
    match (from, to) {
        (a, b) if a == b => vec![],
        (PROTECTED, BACKUPS_SUSPENDED) => vec![SuspendBackups],
        (_, PROTECTION_STOPPED) => vec![StopProtection],
        (BACKUPS_SUSPENDED, PROTECTED) => vec![ResumeBackups],
        (PROTECTION_STOPPED, PROTECTED) => vec![ResumeProtection],
        (PROTECTION_STOPPED, BACKUPS_SUSPENDED) => vec![ResumeProtection, SuspendBackups],
        _ => vec![],
    }
}

/// The next action from the instance's state as just read towards `mode`.
fn next_action(res: &BackupInstanceResource, mode: &str) -> Option<ProtectionAction> {
    let from = mode_of_state(res.properties.current_protection_state.as_deref());
    actions(from, mode).first().copied()
}

/// Brings the instance (`current` as last read) to `mode` from whatever state Azure reports
/// (configuring, configured, suspended, stopped: a create that adopts an existing instance may
/// find any of them), recomputing the next step from a fresh read after every action or wait.
/// For `Protected` the end is protection configured.
pub async fn converge_mode(
    client: &DataProtectionClient,
    id: &BackupInstanceId,
    current: BackupInstanceResource,
    mode: &str,
    op: &OpOptions,
) -> Result<BackupInstanceResource, ProtectionWaitError> {
    let current = client
        .converge_protection(id, current, |r| next_action(r, mode), op)
        .await?;
    if mode == attr::mode::PROTECTED && !is_protected(&current) {
        return client.wait_for_protection(id, op, Some(current)).await;
    }
    Ok(current)
}

/// `destroy_behavior = "StopProtectionRetainData"`: stop protection (unless already stopped) and
/// wait for `ProtectionStopped`; the instance and its recovery points stay. `Ok(false)`: gone.
pub async fn stop_and_retain(
    client: &DataProtectionClient,
    id: &BackupInstanceId,
    op: &OpOptions,
) -> Result<bool, ProtectionWaitError> {
    let current = match client.get_backup_instance(id, op).await {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(false),
        Err(e) => {
            return Err(ProtectionWaitError {
                last: None,
                kind: ProtectionWaitFailure::Azure(e),
            });
        }
    };
    converge_mode(client, id, current, attr::mode::PROTECTION_STOPPED, op).await?;
    Ok(true)
}

/// The instance of the configuration's vault that protects its datasource (for an "already
/// protected" answer; one list walk, on that error only).
pub async fn holder(
    client: &DataProtectionClient,
    inputs: &Inputs,
    op: &OpOptions,
) -> Option<BackupInstanceResource> {
    let ds = inputs.datasource.to_string();
    client
        .list_backup_instances(&inputs.vault, op)
        .await
        .ok()?
        .into_iter()
        .find(|i| same_arm_id(&i.properties.data_source_info.resource_id, &ds))
}

/// The soft-deleted instance in the configuration's vault with its name or its datasource.
pub async fn find_blocking(
    client: &DataProtectionClient,
    inputs: &Inputs,
    op: &OpOptions,
) -> Result<Option<DeletedBackupInstanceResource>, AzureError> {
    let all = client
        .list_deleted_backup_instances(&inputs.vault, op)
        .await?;
    let ds = inputs.datasource.to_string();
    let by_name = all.iter().find(|d| {
        d.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(&inputs.name))
    });
    let by_ds = all
        .iter()
        .find(|d| same_arm_id(&d.properties.instance.data_source_info.resource_id, &ds));
    Ok(by_name.or(by_ds).cloned())
}

fn deleted_id(d: &DeletedBackupInstanceResource, inputs: &Inputs) -> String {
    d.id.clone().unwrap_or_else(|| {
        format!(
            "{}/deletedBackupInstances/{}",
            inputs.vault,
            d.name.as_deref().unwrap_or_default()
        )
    })
}

/// Why the create cannot go on, naming the soft-deleted instance, its purge time and the ways
/// out. `why` adds what went wrong when recovery was tried.
pub fn blocked(d: &DeletedBackupInstanceResource, inputs: &Inputs, why: &str) -> Diagnostic {
    let purge = d
        .properties
        .deletion_info
        .scheduled_purge_time
        .as_deref()
        .unwrap_or("an unknown time");
    let name = d.name.as_deref().unwrap_or_default();
    Diagnostic {
        severity: Severity::Error,
        summary: "Soft-Deleted Backup Instance Blocks Create".into(),
        detail: format!(
            "The backup instance {} (datasource {}) is soft-deleted in this vault; Azure purges it for good at {purge}. Until then the vault will not protect the datasource with a new instance.{why}\n\nWays out:\n  - Recover it: keep `{}` = true (the default) and the instance's name (`{}` = \"{name}\"); apply then undeletes it, resumes protection and adopts it with this configuration.\n  - Or protect the datasource in another vault (`{}`), or wait until the purge time.",
            deleted_id(d, inputs),
            d.properties.instance.data_source_info.resource_id,
            attr::RECOVER_SOFT_DELETED,
            attr::NAME,
            attr::VAULT_ID,
        ),
        attribute: Some(AttributePath::root(attr::DATASOURCE_ID)),
    }
}

/// The plan's create will recover the soft-deleted instance rather than make a new one.
pub fn will_recover(d: &DeletedBackupInstanceResource, inputs: &Inputs) -> Diagnostic {
    let purge = d
        .properties
        .deletion_info
        .scheduled_purge_time
        .as_deref()
        .unwrap_or("an unknown time");
    let same_name = d
        .name
        .as_deref()
        .is_some_and(|n| n.eq_ignore_ascii_case(&inputs.name));
    let (summary, what) = if same_name {
        (
            "Apply Will Recover A Soft-Deleted Backup Instance",
            format!(
                "\"Will be created\" above means apply undeletes it (with its recovery points), applies this configuration and brings it to `{}` = \"{}\"; no new instance is made.",
                attr::PROTECTION_MODE,
                inputs.protection_mode
            ),
        )
    } else {
        (
            "Soft-Deleted Backup Instance Blocks Create",
            format!(
                "It has another name than this configuration's (`{}` = \"{}\"), so apply cannot recover it as this resource and will fail. Use its name, protect the datasource in another vault (`{}`), or wait until the purge time.",
                attr::NAME,
                inputs.name,
                attr::VAULT_ID
            ),
        )
    };
    Diagnostic {
        severity: Severity::Warning,
        summary: summary.into(),
        detail: format!(
            "The backup instance {} (datasource {}) is soft-deleted in this vault; Azure purges it for good at {purge}. {what}",
            deleted_id(d, inputs),
            d.properties.instance.data_source_info.resource_id,
        ),
        attribute: Some(AttributePath::root(attr::DATASOURCE_ID)),
    }
}

/// How a recovery ended when it did not adopt the instance: the error, and the instance if it
/// now exists (it must go into state, or it would be orphaned).
pub struct RecoverFailure {
    pub diag: Diagnostic,
    pub existing: Option<BackupInstanceResource>,
}

/// Undeletes the soft-deleted instance (it comes back in `ProtectionStopped`), applies this
/// configuration's body (policy, identity, tags) and brings it to the configured mode.
pub async fn recover(
    client: &DataProtectionClient,
    inputs: &Inputs,
    d: &DeletedBackupInstanceResource,
    op: &OpOptions,
) -> Result<BackupInstanceResource, RecoverFailure> {
    let id = inputs.id();
    let name = d.name.clone().unwrap_or_default();
    if !name.eq_ignore_ascii_case(&inputs.name) {
        return Err(RecoverFailure {
            diag: blocked(
                d,
                inputs,
                &format!(
                    " It has another name than this configuration's (`{}` = \"{}\"), so it cannot be adopted as this resource.",
                    attr::NAME,
                    inputs.name
                ),
            ),
            existing: None,
        });
    }
    tracing::info!(instance = %id, "recovering the soft-deleted backup instance");
    let fail = |e: &AzureError, existing| RecoverFailure {
        diag: {
            let inner = azure_error(
                "Unable to Recover Soft-Deleted Backup Instance",
                "recovery of the soft-deleted backup instance",
                Some(&id.to_string()),
                e,
            );
            let mut b = blocked(d, inputs, &format!("\n\n{}", inner.detail));
            b.summary = inner.summary;
            b
        },
        existing,
    };
    if let Err(e) = client
        .undelete_backup_instance(&inputs.vault, &name, op)
        .await
    {
        return Err(fail(&e, None));
    }
    // From here on the instance exists again, with its backups: whatever goes wrong is a
    // warning on an untainted instance in state, never an error that would get it replaced.
    let kept = |e: ProtectionWaitError, fallback: Option<BackupInstanceResource>| {
        let last = e.last.map(|b| *b).or(fallback);
        RecoverFailure {
            diag: super::diags::wait_error(
                e.kind,
                last.as_ref(),
                &id,
                super::diags::Done::Recovered,
                &inputs.protection_mode,
                inputs.timeouts.create,
            ),
            existing: last,
        }
    };
    let stopped = match client.wait_for_state(&id, "ProtectionStopped", op).await {
        Ok(r) => r,
        Err(e) if e.last.is_none() => {
            let err = match e.kind {
                ProtectionWaitFailure::Azure(a) => a,
                other => AzureError::timeout("undeleteBackupInstance", format!("{other:?}")),
            };
            return Err(fail(&err, None));
        }
        Err(e) => return Err(kept(e, None)),
    };
    let body = body_of(inputs);
    let updated = match client
        .when_idle(&id, op, || client.put_backup_instance(&id, &body, op))
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let mut diag = azure_error(
                "Unable to Update Recovered Backup Instance",
                "update of the recovered backup instance with this configuration",
                Some(&id.to_string()),
                &e,
            );
            diag.severity = Severity::Warning;
            diag.detail = format!(
                "The backup instance {id} was recovered from soft delete and is in state (untainted, in ProtectionStopped), but applying this configuration to it failed. Run apply again to continue.\n\n{}",
                diag.detail
            );
            return Err(RecoverFailure {
                diag,
                existing: Some(stopped),
            });
        }
    };
    converge_mode(client, &id, updated.clone(), &inputs.protection_mode, op)
        .await
        .map_err(|e| kept(e, Some(updated)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProtectionAction::*;
    use attr::mode::*;

    /// Every pair of modes has its path; stopped to suspended goes through resume.
    #[test]
    fn actions_between_modes() {
        for m in ALL {
            assert!(actions(m, m).is_empty());
        }
        assert_eq!(actions(PROTECTED, BACKUPS_SUSPENDED), vec![SuspendBackups]);
        assert_eq!(actions(PROTECTED, PROTECTION_STOPPED), vec![StopProtection]);
        assert_eq!(
            actions(BACKUPS_SUSPENDED, PROTECTION_STOPPED),
            vec![StopProtection]
        );
        assert_eq!(actions(BACKUPS_SUSPENDED, PROTECTED), vec![ResumeBackups]);
        assert_eq!(
            actions(PROTECTION_STOPPED, PROTECTED),
            vec![ResumeProtection]
        );
        assert_eq!(
            actions(PROTECTION_STOPPED, BACKUPS_SUSPENDED),
            vec![ResumeProtection, SuspendBackups]
        );
    }

    #[test]
    fn modes_of_states() {
        use crate::provider::instance::model::{is_soft_deleted, mode_of_state};
        assert_eq!(mode_of_state(Some("ProtectionStopped")), PROTECTION_STOPPED);
        assert_eq!(mode_of_state(Some("BackupsSuspended")), BACKUPS_SUSPENDED);
        for s in [
            None,
            Some("ConfiguringProtection"),
            Some("ProtectionConfigured"),
        ] {
            assert_eq!(mode_of_state(s), PROTECTED);
        }
        let mut res = BackupInstanceResource::default();
        assert!(!is_soft_deleted(&res));
        res.properties.current_protection_state = Some("SoftDeleting".into());
        assert!(is_soft_deleted(&res));
    }
}
