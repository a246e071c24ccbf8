//! The resource's own diagnostic texts: configuration problems, API-version limits and how a
//! wait for protection ended. (Azure errors in general are worded by `provider::errors`.)

use std::time::Duration;

use super::schema as attr;
use crate::azure::arm_id::{BackupInstanceId, BackupPolicyId, BackupVaultId, DatasourceId};
use crate::azure::catalogue::{CATALOGUE, Entry, Input, either};
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

/// Appended to "already protected": a replacement with `create_before_destroy` cannot work,
/// because Azure lets one instance at a time protect a datasource.
pub fn one_protection_at_a_time() -> String {
    "\n\nIf this create replaces the instance that protects the datasource and its resource has `lifecycle { create_before_destroy = true }`, Azure cannot do that: a datasource is protected by one backup instance at a time, so the new one cannot exist before the old one is gone. Nothing was changed in Azure. Remove `create_before_destroy` (Terraform then destroys the old instance first), or destroy the old instance before applying.".to_string()
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
        Some(e) => format!("Protection state: {state}\n\n{}", e.summary()),
        None => format!("Protection state: {state} (Azure gave no error details)."),
    }
}

/// How waiting for protection ended, for the user. `res` is the instance as last seen.
pub fn wait_error(
    err: ProtectionWaitFailure,
    res: Option<&BackupInstanceResource>,
    id: &BackupInstanceId,
    action: &str,
    timeout: Duration,
) -> Diagnostic {
    let (summary, detail) = match err {
        ProtectionWaitFailure::ProtectionFailed => (
            "Backup Protection Failed",
            format!(
                "The backup instance {id} was {action}, but Azure could not configure protection.\n\n{}\n\nThe instance is kept in state and marked tainted, so it is not orphaned: fix the cause (often a missing role assignment of the vault's identity), then run apply again to replace it, or destroy it.",
                res.map(protection_error_detail).unwrap_or_default()
            ),
        ),
        ProtectionWaitFailure::Vanished => (
            "Backup Instance Disappeared",
            format!(
                "The backup instance {id} was {action} but then could not be found. Something else may have deleted it; run apply again."
            ),
        ),
        ProtectionWaitFailure::Timeout => (
            "Timed Out Waiting For Protection",
            format!(
                "The backup instance {id} was {action}, but protection was not configured within {} (last state: {}). The instance is kept in state as tainted. Raise the `{}` value and run apply again.",
                humantime::format_duration(timeout),
                res.and_then(|r| r.properties.current_protection_state.clone())
                    .unwrap_or_else(|| "unknown".into()),
                attr::TIMEOUTS
            ),
        ),
        ProtectionWaitFailure::Cancelled => (
            "Interrupted",
            format!(
                "Waiting for the backup instance {id} was interrupted. The instance exists and is kept in state; run apply again to finish."
            ),
        ),
        ProtectionWaitFailure::Azure(e) => {
            return azure_error(
                "Unable to Read Backup Instance",
                "reading of the backup instance while waiting for protection",
                Some(&id.to_string()),
                &e,
            );
        }
    };
    Diagnostic {
        severity: Severity::Error,
        summary: summary.into(),
        detail,
        attribute: None,
    }
}

/// Splits a wait error into the instance as last seen and the failure.
pub fn split(e: ProtectionWaitError) -> (Option<BackupInstanceResource>, ProtectionWaitFailure) {
    (e.last.map(|b| *b), e.kind)
}
