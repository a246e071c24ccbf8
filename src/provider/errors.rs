//! Turns Azure errors into Terraform diagnostics: a short summary, then a detail that says what
//! happened, what to do, the service's own words, and the ids support will ask for.

use crate::azure::catalogue::Entry;
use crate::azure::error::AzureError;
use crate::tfplugin::{Diagnostic, Severity};

/// The roles to grant, for a permission error: those of the instance's kind when it is known,
/// else every kind's.
pub fn roles_to_grant(kind: Option<&Entry>) -> String {
    match kind {
        Some(k) => format!("for {}: {}", k.plural, k.roles_text()),
        None => crate::azure::catalogue::all_roles_text(),
    }
}

/// What the user should do, chosen by the error's meaning (never by matching its text).
fn advice(e: &AzureError, action: &str, kind: Option<&Entry>) -> String {
    if e.is_cancelled() {
        format!(
            "The {action} was interrupted (Ctrl-C). Run the command again to finish; the instance's name is deterministic, so nothing is created twice."
        )
    } else if e.is_untrusted_certificate() {
        "If the host is the right one (a TLS-inspecting proxy, a private cloud, the emulator), trust its CA: save the CA certificate as a PEM file and set the environment variable `SSL_CERT_FILE` to that file's path (or add the CA to the system's trust store), then run the command again.".to_owned()
    } else if e.is_timeout() {
        format!(
            "The {action} did not finish in time. Azure may still be working on it: raise the matching value in the resource's `timeouts` block and run the command again."
        )
    } else if e.is_already_protected() {
        "The datasource is already protected by another backup instance. Bring that instance under Terraform with `terraform import`, or stop its protection, before creating a new one.".to_owned()
    } else if e.is_permission() {
        format!(
            "The Backup vault's managed identity lacks a role it needs. Grant it the roles {}; then wait a few minutes for the assignments to propagate and run the command again.",
            roles_to_grant(kind)
        )
    } else if e.is_unproven_not_found() {
        "Azure answered HTTP 404, but not with an error that says the resource does not exist (an HTML page, an empty body, `SubscriptionNotFound`, or a path nobody serves), so nothing was taken as gone and state was kept as it was. Check the provider's `subscription_id` and its Resource Manager endpoint (`ARM_RESOURCE_MANAGER_ENDPOINT` / `metadata_host`: no extra path, no proxy rewriting paths), then run the command again.".to_owned()
    } else if e.is_not_found() {
        "A resource named in the configuration does not exist: check `vault_id`, `policy_id` and `datasource_id`.".to_owned()
    } else if e.is_auth() || e.is_config() {
        "Check the provider's credentials and endpoint settings (see the provider documentation's authentication section).".to_owned()
    } else if e.is_retryable() {
        "The service reported a temporary failure. Run the command again; if it persists, contact Azure support with the correlation ID below.".to_string()
    } else if !e.recommended_actions().is_empty() {
        "Do what Azure recommends below, then run the command again.".to_owned()
    } else {
        "Correct the problem the service's message above describes, then run the command again."
            .to_owned()
    }
}

/// An error diagnostic for a failed Azure call, `action` naming what we were doing
/// ("creation of backup instance").
pub fn azure_error(
    summary: &str,
    action: &str,
    instance: Option<&str>,
    e: &AzureError,
) -> Diagnostic {
    to_diag(Severity::Error, summary, action, instance, e, None)
}

/// [`azure_error`] for an instance of a known kind: a permission error names its roles only.
pub fn azure_error_for(
    summary: &str,
    action: &str,
    instance: Option<&str>,
    e: &AzureError,
    kind: &Entry,
) -> Diagnostic {
    to_diag(Severity::Error, summary, action, instance, e, Some(kind))
}

pub fn azure_warning(
    summary: &str,
    action: &str,
    instance: Option<&str>,
    e: &AzureError,
    note: &str,
) -> Diagnostic {
    azure_warning_for(summary, action, instance, e, note, None)
}

/// [`azure_warning`] with the instance's kind when it is known (see [`azure_error_for`]).
pub fn azure_warning_for(
    summary: &str,
    action: &str,
    instance: Option<&str>,
    e: &AzureError,
    note: &str,
    kind: Option<&Entry>,
) -> Diagnostic {
    let mut d = to_diag(Severity::Warning, summary, action, instance, e, kind);
    d.detail = format!("{note}\n\n{}", d.detail);
    d
}

fn to_diag(
    severity: Severity,
    summary: &str,
    action: &str,
    instance: Option<&str>,
    e: &AzureError,
    kind: Option<&Entry>,
) -> Diagnostic {
    compose(
        severity,
        summary,
        action,
        instance,
        e,
        &advice(e, action, kind),
    )
}

/// A diagnostic for a failed Azure call whose advice the caller knows better than the generic
/// one (a restore's missing role is a restore role, not a backup role).
pub fn azure_diag_advised(
    severity: Severity,
    summary: &str,
    action: &str,
    instance: Option<&str>,
    e: &AzureError,
    advice: &str,
) -> Diagnostic {
    compose(severity, summary, action, instance, e, advice)
}

fn compose(
    severity: Severity,
    summary: &str,
    action: &str,
    instance: Option<&str>,
    e: &AzureError,
    advice: &str,
) -> Diagnostic {
    let mut detail = format!("The {action} failed: {}\n\n{advice}", e.message());
    // API 2025-09-01 and later refuse vaults without Always-On soft delete: say what to change.
    let summary = if e.is_always_on_required() {
        detail.push_str("\n\nTo fix it, either turn the vault's soft delete to Always-On (`securitySettings.softDeleteSettings.state = \"AlwaysOn\"`; azurerm: `soft_delete = \"AlwaysOn\"`; this cannot be undone), or set the provider's `api_version = \"2025-07-01\"`, the last API version without this rule.");
        "Backup Vault Needs Always-On Soft Delete"
    } else {
        summary
    };
    let actions = e.recommended_actions();
    if !actions.is_empty() {
        detail.push_str("\n\nRecommended action (from Azure):");
        for a in &actions {
            detail.push_str("\n  - ");
            detail.push_str(a);
        }
    }
    // What the details add to the message and the recommended actions shown above: each of
    // the service's words once.
    let message = e.message();
    let shown: Vec<String> = std::iter::once(message.trim().to_owned())
        .chain(std::iter::once("Recommended action:".to_owned()))
        .chain(actions.iter().map(|a| format!("- {}", a.trim())))
        .collect();
    let more: Vec<String> = e
        .details()
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !shown.iter().any(|s| s == l.trim()))
        .map(str::to_owned)
        .collect();
    if !more.is_empty() {
        detail.push_str("\n\nDetails:\n");
        detail.push_str(&more.join("\n"));
    }
    detail.push_str("\n\n");
    detail.push_str(&identifiers(e, instance));
    Diagnostic {
        severity,
        summary: summary.to_owned(),
        detail,
        attribute: None,
    }
}

/// The lines support asks for: operation, instance, code, status, correlation and request ids.
pub fn identifiers(e: &AzureError, instance: Option<&str>) -> String {
    let mut out = format!("Operation: {}", e.operation());
    if let Some(i) = instance {
        out.push_str(&format!("\nBackup instance: {i}"));
    }
    if let Some(code) = e.code() {
        out.push_str(&format!("\nError code: {code}"));
    }
    if let Some(s) = e.status() {
        out.push_str(&format!("\nHTTP status: {s}"));
    }
    if let Some(c) = e.correlation_id() {
        out.push_str(&format!("\nCorrelation ID: {c}"));
    }
    if let Some(r) = e.request_id() {
        out.push_str(&format!("\nRequest ID: {r}"));
    }
    out
}
