//! The resource's own diagnostic texts: configuration problems, API-version limits and how a
//! wait for protection ended. (Azure errors in general are worded by `provider::errors`.)

use std::time::Duration;

use super::schema as attr;
use crate::azure::arm_id::{BackupInstanceId, BackupPolicyId, BackupVaultId, DatasourceId};
use crate::azure::catalogue::{CATALOGUE, Entry, Input, either};
use crate::azure::client::ProtectionAction;
use crate::azure::error::AzureError;
use crate::azure::models::BackupInstanceResource;
use crate::azure::wait::{ProtectionWaitError, ProtectionWaitFailure};
use crate::provider::errors::azure_error;
use crate::tfplugin::{AttributePath, Diagnostic, Diagnostics, Severity};

pub fn computed_attribute_set(diags: &mut Diagnostics, name: &str) {
    diags.error_at(
        AttributePath::root(name),
        "Computed Attribute Set",
        format!("`{name}` is set by the provider and cannot be configured; remove it."),
    );
}

pub fn policy_not_in_vault(
    diags: &mut Diagnostics,
    policy: &BackupPolicyId,
    vault: &BackupVaultId,
) {
    diags.error_at(
        AttributePath::root(attr::POLICY_ID),
        "Policy Not In Vault",
        format!(
            "`{}` belongs to vault {}, but `{}` is {}. A backup policy can only be used by instances in its own vault.",
            attr::POLICY_ID,
            policy.vault,
            attr::VAULT_ID,
            vault
        ),
    );
}

/// `location` is not an Azure region name (`westeurope`: lowercase letters and digits).
pub fn invalid_location(diags: &mut Diagnostics, location: &str) {
    let shown: String = location.chars().take(80).collect();
    diags.error_at(
        AttributePath::root(attr::LOCATION),
        "Invalid Location",
        format!(
            "`{}` {shown:?} is not an Azure region name: use the datasource's region as Azure names it, lowercase letters and digits without spaces, e.g. \"westeurope\" (not \"West Europe\").",
            attr::LOCATION
        ),
    );
}

pub fn not_one_of(diags: &mut Diagnostics, name: &str, value: &str, allowed: &[&str]) {
    diags.error_at(
        AttributePath::root(name),
        "Invalid Value",
        format!(
            "`{name}` {value:?} is not one of {}.",
            allowed
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
}

pub fn invalid_identity(diags: &mut Diagnostics, id: &str) {
    diags.error_at(
        AttributePath::root(attr::USER_ASSIGNED_IDENTITY_ID),
        "Invalid User-Assigned Identity ID",
        format!(
            "`{}` {id:?} is not a user-assigned identity's ARM ID (`/subscriptions/{{s}}/resourceGroups/{{rg}}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{{name}}`).",
            attr::USER_ASSIGNED_IDENTITY_ID
        ),
    );
}

/// Appended to "already protected": which instance holds the datasource and what to do,
/// from what was found (`holder`: the instance in this vault protecting it, if any). Only an
/// instance that is still protected can mean `create_before_destroy`.
pub fn one_protection_at_a_time(holder: Option<&BackupInstanceResource>) -> String {
    let Some(h) = holder else {
        return "\n\nAzure lets one backup instance at a time protect a datasource, and the one protecting this datasource is not in this vault (Azure's message above names it). Nothing was changed in Azure. If this create replaces that instance (a move between vaults) with `lifecycle { create_before_destroy = true }`, remove that setting: the new instance cannot exist before the old one is gone. Otherwise bring it under Terraform with `terraform import`, or stop its protection and delete it, before creating this one.".to_string();
    };
    let id = h.id.as_deref().unwrap_or("(no id)");
    let state = h
        .properties
        .current_protection_state
        .as_deref()
        .unwrap_or("unknown");
    let name = h.name.as_deref().unwrap_or_default();
    if super::model::mode_of_state(Some(state)) != attr::mode::PROTECTED {
        format!(
            "\n\nThe backup instance protecting it, {id}, is {state}: no backups run, but it keeps its recovery points and Azure counts the datasource as protected by it (a destroy with `{}` = \"{}\" leaves an instance so). Nothing was changed in Azure. To keep managing it, use its name (`{}` = \"{name}\"): apply then adopts it with its recovery points; or import it (`terraform import`). Delete it in Azure only if its recovery points may go.",
            attr::DESTROY_BEHAVIOR,
            attr::destroy::STOP_PROTECTION_RETAIN_DATA,
            attr::NAME,
        )
    } else {
        format!(
            "\n\nThe backup instance protecting it is {id} ({state}); Azure lets one backup instance at a time protect a datasource. Nothing was changed in Azure. If this create replaces that instance with `lifecycle {{ create_before_destroy = true }}`, remove that setting (the new instance cannot exist before the old one is gone); otherwise bring it under Terraform with `terraform import`, or stop its protection, before creating this one."
        )
    }
}

pub fn invalid_name(diags: &mut Diagnostics, problem: &str) {
    diags.error_at(
        AttributePath::root(attr::NAME),
        "Invalid Name",
        format!(
            "`{}` is not a valid backup instance name: {problem}. Use 1-260 ASCII letters, digits, `-`, `_` or `.` (not `.` or `..` alone).",
            attr::NAME
        ),
    );
}

/// A required kind-specific input is not set.
pub fn missing_input(diags: &mut Diagnostics, input: Input, entry: &Entry) {
    let name = attr::attribute_of(input);
    let (summary, detail) = match input {
        Input::SnapshotResourceGroup => (
            "Missing Snapshot Resource Group",
            format!(
                "{} are backed up as snapshots: set `{name}` to the ARM ID of the resource group that will hold them.",
                capitalised(entry.plural)
            ),
        ),
        Input::KeyVaultSecret => (
            "Missing Key Vault Secret",
            format!(
                "{} are backed up with a connection string from Key Vault: set `{name}` to the URI of the secret that holds it.",
                entry.plural
            ),
        ),
        Input::Containers => (
            "Missing Containers",
            format!(
                "{} are backed up container by container: set `{name}` to the names of the blob containers to protect.",
                entry.plural
            ),
        ),
        Input::Kubernetes => (
            "Missing Kubernetes Settings",
            format!("{} need a `{name}` block.", entry.plural),
        ),
        Input::VolumeName => (
            "Missing Volume Name",
            format!(
                "A backup instance of an {} protects one volume of the group: set `{name}` to its name.",
                entry.noun
            ),
        ),
    };
    diags.error_at(AttributePath::root(name), summary, detail);
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A kind-specific input is set for a kind that does not take it.
pub fn input_not_allowed(diags: &mut Diagnostics, input: Input, ds: &DatasourceId) {
    let name = attr::attribute_of(input);
    let takers: Vec<&str> = CATALOGUE
        .iter()
        .filter(|e| e.rule(input).is_some())
        .map(|e| e.plural)
        .collect();
    diags.error_at(
        AttributePath::root(name),
        "Argument Not Allowed",
        format!(
            "`{name}` is only for {}; `{}` is a {}. Remove it.",
            either(&takers),
            attr::DATASOURCE_ID,
            ds.datasource_type()
        ),
    );
}

pub fn not_supported_by_api(diags: &mut Diagnostics, name: &str, detail: String) {
    diags.error_at(
        AttributePath::root(name),
        "Not Supported By API Version",
        detail,
    );
}

pub fn with_path(mut d: Diagnostic, name: &str) -> Diagnostic {
    d.attribute = Some(AttributePath::root(name));
    d
}

fn protection_error_detail(res: &BackupInstanceResource) -> String {
    let p = &res.properties;
    let err = p.protection_error_details.as_ref().or_else(|| {
        p.protection_status
            .as_ref()
            .and_then(|s| s.error_details.as_ref())
    });
    let state = p
        .current_protection_state
        .clone()
        .or_else(|| p.protection_status.as_ref().and_then(|s| s.status.clone()))
        .unwrap_or_default();
    match err {
        Some(e) => {
            let mut out = format!("Protection state: {state}\n\n{}", e.summary());
            let actions: Vec<&str> = e
                .recommended_action
                .iter()
                .map(|a| a.trim())
                .filter(|a| !a.is_empty())
                .collect();
            if !actions.is_empty() {
                out.push_str("\n\nRecommended action (from Azure):");
                for a in actions {
                    out.push_str("\n  - ");
                    out.push_str(a);
                }
            }
            out
        }
        None => format!("Protection state: {state} (Azure gave no error details)."),
    }
}

/// The protection error Azure reports on an instance, for a plan-time warning; `None` when it
/// reports none.
pub fn protection_error_warning(res: &BackupInstanceResource, id: &str) -> Option<Diagnostic> {
    if !crate::azure::wait::is_protection_failure(res) {
        return None;
    }
    Some(Diagnostic {
        severity: Severity::Warning,
        summary: "Backup Instance In Protection Error".into(),
        detail: format!(
            "Azure reports that the backup instance {id} is not being backed up:\n\n{}\n\nFix the cause (often a missing role assignment of the vault's identity); protection resumes once Azure can configure it again. This plan does not change that by itself.",
            protection_error_detail(res)
        ),
        attribute: None,
    })
}

/// Apply waited out `role_propagation_timeout` and the vault's identity still lacks
/// permissions. When the plan warned about it, this refers to that warning instead of
/// repeating the service's answer; either way the roles are those of this kind only.
pub fn permission_after_wait(
    e: &AzureError,
    instance: &str,
    kind: &Entry,
    waited: Duration,
    window: Duration,
    warned_at_plan: bool,
) -> Diagnostic {
    // Whole seconds: the waits are seconds apart, and "4m 58s 312ms" says nothing more.
    let waited = humantime::format_duration(Duration::from_secs(waited.as_secs().max(1)));
    let window = humantime::format_duration(window);
    let head = format!(
        "Waited {waited} (the provider's `role_propagation_timeout` is {window}) for the role assignments of the Backup vault's managed identity to propagate; it still lacks permissions. Nothing was created."
    );
    if warned_at_plan {
        return Diagnostic {
            severity: Severity::Error,
            summary: "Backup Vault Lacks Permissions".into(),
            detail: format!(
                "{head} Azure's answer is the one the plan's warning \"Backup Vault Lacks Permissions\" above shows.\n\nGrant the roles {}; then run apply again.\n\n{}",
                crate::provider::errors::roles_to_grant(Some(kind)),
                crate::provider::errors::identifiers(e, Some(instance)),
            ),
            attribute: None,
        };
    }
    let mut d = crate::provider::errors::azure_error_for(
        "Backup Vault Lacks Permissions",
        "backup validation",
        Some(instance),
        e,
        kind,
    );
    d.detail = format!("{head}\n\n{}", d.detail);
    d
}

/// The plan's create finds the instance already there under this configuration's name (a
/// create that crashed before its state was saved, or an instance kept by an earlier destroy).
pub fn will_adopt(
    existing: &BackupInstanceResource,
    id: &BackupInstanceId,
    mode: &str,
) -> Diagnostic {
    let state = existing
        .properties
        .current_protection_state
        .as_deref()
        .unwrap_or("unknown");
    Diagnostic {
        severity: Severity::Warning,
        summary: "Apply Will Adopt An Existing Backup Instance".into(),
        detail: format!(
            "The backup instance {id} already exists in Azure (protection state: {state}) and protects this datasource. \"Will be created\" above means apply takes it over with this configuration, keeping its recovery points, and brings it to `{}` = \"{mode}\"; no new instance is made.",
            attr::PROTECTION_MODE
        ),
        attribute: None,
    }
}

/// What the apply had done with the instance when its wait for the protection state ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// A new instance: an error, and Terraform taints it (it holds no backups yet).
    Created,
    /// The create found the instance already there under this name and took it over: a
    /// warning, never a taint (a tainted instance is replaced, and its backups deleted).
    Adopted,
    /// The create undeleted the soft-deleted instance: as for `Adopted`.
    Recovered,
    Updated,
    /// A destroy with `StopProtectionRetainData`.
    Stopping,
}

impl Done {
    fn was(self) -> &'static str {
        match self {
            Done::Created => "was created",
            Done::Adopted => "already existed under this configuration's name and was adopted",
            Done::Recovered => "was recovered from soft delete",
            Done::Updated => "was updated",
            Done::Stopping => {
                "is being destroyed with `destroy_behavior = \"StopProtectionRetainData\"`"
            }
        }
    }

    /// Adopted and recovered instances hold backups: never an error that taints them.
    pub fn keeps_untainted(self) -> bool {
        matches!(self, Done::Adopted | Done::Recovered)
    }

    fn then(self) -> String {
        match self {
            Done::Created => {
                "The instance is kept in state and marked tainted, so it is not orphaned.".into()
            }
            Done::Adopted | Done::Recovered => format!(
                "The instance is kept in state as Azure reports it and is NOT tainted, so nothing replaces or deletes it. Run apply again to continue from its current state (raise `{}.create` if it needs longer).",
                attr::TIMEOUTS
            ),
            Done::Updated => {
                "The instance is kept in state as Azure reports it; run apply again to continue."
                    .into()
            }
            Done::Stopping => "The instance stays in state; run destroy again to finish.".into(),
        }
    }
}

fn action_title(a: ProtectionAction) -> &'static str {
    match a {
        ProtectionAction::StopProtection => "Unable to Stop Protection",
        ProtectionAction::SuspendBackups => "Unable to Suspend Backups",
        ProtectionAction::ResumeProtection => "Unable to Resume Protection",
        ProtectionAction::ResumeBackups => "Unable to Resume Backups",
    }
}

/// How waiting for the protection state ended, for the user. `res` is the instance as last
/// read; `mode` the `protection_mode` it was being brought to.
pub fn wait_error(
    err: ProtectionWaitFailure,
    res: Option<&BackupInstanceResource>,
    id: &BackupInstanceId,
    done: Done,
    mode: &str,
    timeout: Duration,
) -> Diagnostic {
    let severity = if done.keeps_untainted() && !matches!(err, ProtectionWaitFailure::Vanished) {
        Severity::Warning
    } else {
        Severity::Error
    };
    let was = done.was();
    let last_state = || {
        res.and_then(|r| r.properties.current_protection_state.clone())
            .unwrap_or_else(|| "unknown".into())
    };
    let (summary, detail) = match err {
        ProtectionWaitFailure::ProtectionFailed => (
            "Backup Protection Failed".to_string(),
            format!(
                "The backup instance {id} {was}, but Azure could not configure protection.\n\n{}\n\n{} Fix the cause (often a missing role assignment of the vault's identity), then run apply again{}.",
                res.map(protection_error_detail).unwrap_or_default(),
                done.then(),
                if done == Done::Created {
                    " to replace it, or destroy it"
                } else {
                    ""
                }
            ),
        ),
        ProtectionWaitFailure::Vanished => (
            "Backup Instance Disappeared".to_string(),
            format!(
                "The backup instance {id} {was} but then could not be found. Something else may have deleted it; run apply again."
            ),
        ),
        ProtectionWaitFailure::Timeout => (
            if mode == attr::mode::PROTECTED {
                "Timed Out Waiting For Protection".to_string()
            } else {
                "Timed Out Changing Protection Mode".to_string()
            },
            format!(
                "The backup instance {id} {was}, but it did not reach `{}` = \"{mode}\" within {} (last state: {}). {}{}",
                attr::PROTECTION_MODE,
                humantime::format_duration(timeout),
                last_state(),
                done.then(),
                if done == Done::Created {
                    format!(" Raise the `{}` value and run apply again.", attr::TIMEOUTS)
                } else {
                    String::new()
                }
            ),
        ),
        ProtectionWaitFailure::Cancelled => (
            "Interrupted".to_string(),
            format!(
                "Waiting for the backup instance {id} was interrupted. The instance exists and is kept in state; run apply again to finish."
            ),
        ),
        ProtectionWaitFailure::Action(action, e) => {
            let mut d = azure_error(
                action_title(action),
                &format!("`{}` action on the backup instance", action.verb()),
                Some(&id.to_string()),
                &e,
            );
            d.detail = format!(
                "The backup instance {id} {was}; bringing it to `{}` = \"{mode}\" needed `{}`, which failed (state then: {}). {}\n\n{}",
                attr::PROTECTION_MODE,
                action.verb(),
                last_state(),
                done.then(),
                d.detail
            );
            d.severity = severity;
            return d;
        }
        ProtectionWaitFailure::Azure(e) => {
            let mut d = azure_error(
                "Unable to Read Backup Instance",
                "reading of the backup instance while waiting for its protection state",
                Some(&id.to_string()),
                &e,
            );
            d.detail = format!(
                "The backup instance {id} {was}. {}\n\n{}",
                done.then(),
                d.detail
            );
            d.severity = severity;
            return d;
        }
    };
    Diagnostic {
        severity,
        summary,
        detail,
        attribute: None,
    }
}

/// Splits a wait error into the instance as last seen and the failure.
pub fn split(e: ProtectionWaitError) -> (Option<BackupInstanceResource>, ProtectionWaitFailure) {
    (e.last.map(|b| *b), e.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> BackupInstanceId {
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi"
            .parse()
            .unwrap()
    }

    fn in_state(state: &str) -> BackupInstanceResource {
        let mut r = BackupInstanceResource::default();
        r.properties.current_protection_state = Some(state.into());
        r
    }

    fn service_error(actions: &[&str]) -> AzureError {
        let body = serde_json::json!({"error": {
            "code": "UserErrorInvalidProtectionStateForOperation",
            "message": "The operation is not allowed in this protection state.",
            "additionalInfo": [{"type": "UserFacingError", "info": {
                "code": "UserErrorInvalidProtectionStateForOperation",
                "message": "The operation is not allowed in this protection state.",
                "recommendedAction": actions,
            }}]
        }});
        AzureError::from_response("suspendBackups", 400, None, body.to_string().as_bytes())
    }

    /// An adopted instance that times out is a warning that says "adopted", never "created",
    /// and names the mode it was being brought to.
    #[test]
    fn adopted_timeout_is_a_warning_that_says_adopted() {
        let res = in_state("ProtectionStopped");
        let d = wait_error(
            ProtectionWaitFailure::Timeout,
            Some(&res),
            &id(),
            Done::Adopted,
            attr::mode::PROTECTED,
            Duration::from_secs(30),
        );
        assert_eq!(d.severity, Severity::Warning);
        assert!(d.detail.contains("was adopted"), "{}", d.detail);
        assert!(!d.detail.contains("was created"), "{}", d.detail);
        assert!(d.detail.contains("last state: ProtectionStopped"));
        assert!(d.detail.contains("NOT tainted"));
        let d = wait_error(
            ProtectionWaitFailure::Timeout,
            Some(&res),
            &id(),
            Done::Created,
            attr::mode::BACKUPS_SUSPENDED,
            Duration::from_secs(30),
        );
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.summary, "Timed Out Changing Protection Mode");
    }

    /// A failed protection action is titled by the action, not "Unable to Read", and Azure's
    /// recommended action shows.
    #[test]
    fn a_failed_action_is_titled_by_the_action() {
        let e = service_error(&["Check the backup instance's protection state, then retry."]);
        let d = wait_error(
            ProtectionWaitFailure::Action(ProtectionAction::SuspendBackups, e),
            Some(&in_state("BackupsSuspended")),
            &id(),
            Done::Updated,
            attr::mode::BACKUPS_SUSPENDED,
            Duration::from_secs(30),
        );
        assert_eq!(d.summary, "Unable to Suspend Backups");
        assert!(d.detail.contains("`suspendBackups`"), "{}", d.detail);
        assert!(
            d.detail.contains("Recommended action (from Azure):\n  - Check the backup instance's protection state, then retry."),
            "{}",
            d.detail
        );
        assert!(d.detail.contains("Do what Azure recommends below"));
        assert_eq!(
            d.detail
                .matches("The operation is not allowed in this protection state.")
                .count(),
            1,
            "the service's message once: {}",
            d.detail
        );
    }

    /// Without a recommended action nothing points "below" at nothing.
    #[test]
    fn no_recommended_action_means_no_pointer_below() {
        let d = crate::provider::errors::azure_error(
            "Unable to Update Backup Instance",
            "update of the backup instance",
            None,
            &service_error(&[]),
        );
        assert!(!d.detail.contains("below"), "{}", d.detail);
        assert!(
            d.detail.contains("the service's message above"),
            "{}",
            d.detail
        );
    }

    /// A protection error at plan shows Azure's recommended action.
    #[test]
    fn protection_error_warning_shows_the_recommended_action() {
        let mut res = in_state("ProtectionError");
        res.properties.protection_error_details = Some(crate::azure::models::UserFacingError {
            code: Some("UserErrorX".into()),
            message: Some("It broke.".into()),
            recommended_action: vec!["Fix it.".into()],
            ..Default::default()
        });
        let d = protection_error_warning(&res, "bi").expect("a warning");
        assert!(d.detail.contains("UserErrorX: It broke."), "{}", d.detail);
        assert!(d.detail.contains("  - Fix it."), "{}", d.detail);
        assert!(protection_error_warning(&in_state("ProtectionConfigured"), "bi").is_none());
    }
}
