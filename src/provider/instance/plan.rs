//! Planning: the API-version rules, the planned values for a create (everything derivable is
//! known at plan), for an update or a replacement, and the plan-time `validateForBackup`.

use super::diags;
use super::model::{Inputs, body_of, default_name, ids_equal, locations_equal, str_attr};
use super::plan_marks;
use super::schema as attr;
use crate::azure::arm_id::{BackupInstanceId, BackupVaultId, DatasourceId};
use crate::azure::client::DataProtectionClient;
use crate::provider::Configured;
use crate::provider::errors::{azure_error, azure_warning};
use crate::tfplugin::{AttributePath, Context, Diagnostics, Value};

/// The plan's own `validateForBackup` passed (planned private data). Validation takes Azure
/// 12-72 s, so apply then goes straight to the PUT, which the service validates again anyway.
pub const VALIDATED_AT_PLAN: &[u8] = b"validated-at-plan";

/// API-version rules: these need the configured provider, so they are checked at plan.
pub fn check_against_client(client: &DataProtectionClient, v: &Value, diags: &mut Diagnostics) {
    let api = client.api_version();
    if let Some(ds) = str_attr(v, attr::DATASOURCE_ID).and_then(|s| s.parse::<DatasourceId>().ok())
    {
        let entry = ds.kind().entry();
        if !entry.available_in(api) {
            diags::not_supported_by_api(
                diags,
                attr::DATASOURCE_ID,
                format!(
                    "API version {api} does not know {} (they need {} or newer). Use a newer `api_version` on the provider.",
                    entry.plural, entry.min_api_version
                ),
            );
        }
    }
    if !client.supports_auth_credentials() && !v.get(attr::KEY_VAULT_SECRET_URI).is_null() {
        diags::not_supported_by_api(
            diags,
            attr::KEY_VAULT_SECRET_URI,
            format!(
                "API version {api} has no Key Vault credentials for PostgreSQL. Use a newer `api_version` on the provider (for example 2025-07-01) or remove `{}`.",
                attr::KEY_VAULT_SECRET_URI
            ),
        );
    }
    if !client.supports_tags() && !v.get(attr::TAGS).is_null() {
        diags::not_supported_by_api(
            diags,
            attr::TAGS,
            format!(
                "API version {api} has no tags on backup instances. Use a newer `api_version` on the provider or remove `{}`.",
                attr::TAGS
            ),
        );
    }
}

fn set_all(planned: &mut Value, names: &[&str], value: impl Fn(&str) -> Value) {
    for name in names {
        planned.set(*name, value(name));
    }
}

/// A create: the real ID and name are known now, instead of "(known after apply)".
pub fn plan_create(config: &Value, planned: &mut Value) {
    let vault: Option<BackupVaultId> =
        str_attr(config, attr::VAULT_ID).and_then(|s| s.parse().ok());
    let ds: Option<DatasourceId> =
        str_attr(config, attr::DATASOURCE_ID).and_then(|s| s.parse().ok());
    let name = match (config.get(attr::NAME), &vault, &ds) {
        (Value::String(n), _, _) => Some(n.clone()),
        (Value::Null, Some(v), Some(d)) => Some(default_name(v, d)),
        _ => None,
    };
    planned.set(
        attr::NAME,
        name.clone().map(Value::string).unwrap_or(Value::Unknown),
    );
    let id = match (&vault, &name) {
        (Some(v), Some(n)) => Value::string(v.instance(n.clone()).to_string()),
        _ => Value::Unknown,
    };
    planned.set(attr::ID, id);
    planned.set(
        attr::DATASOURCE_TYPE,
        ds.as_ref()
            .map(|d| Value::string(d.datasource_type()))
            .unwrap_or(Value::Unknown),
    );
    if config.get(attr::FRIENDLY_NAME).is_null() {
        planned.set(attr::FRIENDLY_NAME, Value::Unknown);
    }
    set_all(planned, attr::OBSERVED, |_| Value::Unknown);
}

/// An update or a replacement: returns the attributes that force a new instance.
pub fn plan_update(config: &Value, prior: &Value, planned: &mut Value) -> Vec<AttributePath> {
    set_all(planned, &[attr::ID, attr::DATASOURCE_TYPE], |a| {
        prior.get(a).clone()
    });
    for a in [attr::NAME, attr::FRIENDLY_NAME] {
        if config.get(a).is_null() {
            planned.set(a, prior.get(a).clone());
        }
    }
    let mut requires_replace = Vec::new();
    for a in attr::REPLACE {
        let (old, new) = (prior.get(a), planned.get(a));
        let same = match (old.as_str(), new.as_str()) {
            // Azure sometimes reports no datasource location (seen for PostgreSQL): an
            // imported instance then has none, and that is no reason to replace it.
            (None | Some(""), Some(_)) if *a == attr::LOCATION => true,
            (Some(o), Some(n)) if *a == attr::LOCATION => locations_equal(o, n),
            (Some(o), Some(n)) if *a == attr::NAME => o == n,
            (Some(o), Some(n)) => ids_equal(o, n),
            _ => old == new,
        };
        if !same {
            requires_replace.push(AttributePath::root(*a));
        }
    }
    if !requires_replace.is_empty() {
        set_all(planned, &[attr::ID, attr::DATASOURCE_TYPE], |_| {
            Value::Unknown
        });
        set_all(planned, attr::OBSERVED, |_| Value::Unknown);
        for a in [attr::NAME, attr::FRIENDLY_NAME] {
            if config.get(a).is_null() {
                planned.set(a, Value::Unknown);
            }
        }
    } else if in_place_changed(prior, planned) {
        set_all(planned, attr::OBSERVED, |_| Value::Unknown);
    } else {
        set_all(planned, attr::OBSERVED, |a| prior.get(a).clone());
    }
    requires_replace
}

/// Whether an attribute Azure stores changes (not merely its spelling).
pub fn in_place_changed(prior: &Value, planned: &Value) -> bool {
    attr::IN_PLACE.iter().any(|a| {
        let (old, new) = (prior.get(a), planned.get(a));
        match (old.as_str(), new.as_str()) {
            (Some(o), Some(n)) if a.ends_with("_id") || a.ends_with("_uri") => !ids_equal(o, n),
            _ => old != new,
        }
    })
}

/// Plan-time validation, once per Terraform command: apply's re-plan of an instance whose plan
/// already validated this body takes that plan's word (see [`super::plan_marks`]).
pub async fn validate_once(
    c: &Configured,
    inputs: &Inputs,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> bool {
    let key = plan_marks::key(&inputs.id().to_string(), &body_of(inputs));
    let marks = plan_marks::Marks::for_this_command();
    if marks.as_ref().is_some_and(|m| m.take(&key)) {
        tracing::info!(instance = %inputs.id(), "validated by this command's plan; not validating again");
        return true;
    }
    let passed = plan_validate(c, inputs, ctx, diags).await;
    if let (true, Some(m)) = (passed, &marks) {
        m.mark(&key);
    }
    passed
}

/// Plan-time `validateForBackup`. Problems that cannot fix themselves are errors; permission
/// problems are warnings, because role assignments in the same apply do not exist yet. Returns
/// whether the validation passed outright.
pub async fn plan_validate(
    c: &Configured,
    inputs: &Inputs,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> bool {
    let client = &c.client;
    let body = body_of(inputs);
    let id: BackupInstanceId = inputs.id();
    let op = client.op_options(inputs.timeouts.read, &ctx.cancel);
    match client
        .validate_for_backup(&inputs.vault, &body.properties, &op)
        .await
    {
        Ok(()) => return true,
        Err(e) if e.is_already_protected() => {
            // Our own deterministic name already holds it: a create that crashed before its
            // state was saved. Apply adopts it instead of failing.
            if client
                .protects(&id, &inputs.datasource.to_string(), &op)
                .await
            {
                tracing::info!(instance = %id, "datasource already protected by this configuration's instance; apply will adopt it");
                return false;
            }
            let mut d = azure_error(
                "Datasource Already Protected",
                "backup validation",
                Some(&id.to_string()),
                &e,
            );
            // Terraform plans the create half of a replacement with no prior state, so a
            // replacement (new name or vault) of the very instance that protects this datasource
            // also lands here; the user needs a way through.
            d.detail.push_str(&format!("\n\nIf this plan replaces the instance that protects this datasource (a new `{}` or `{}`), apply with the provider's `validate_on_plan = false`: destroy runs before create, and apply validates again.", attr::NAME, attr::VAULT_ID));
            diags.push(diags::with_path(d, attr::DATASOURCE_ID));
        }
        Err(e) if e.is_permission() => {
            diags.push(azure_warning(
                "Backup Vault Lacks Permissions",
                "backup validation",
                Some(&id.to_string()),
                &e,
                &format!(
                    "Role assignments made in this same apply may not exist yet; apply will re-check and wait for them up to {} (the provider's `role_propagation_timeout`).",
                    humantime::format_duration(c.settings.role_propagation_timeout)
                ),
            ));
        }
        Err(e) if e.is_cancelled() => {
            diags.error("Plan Interrupted", "Validation was interrupted.")
        }
        Err(e) => diags.push(azure_error(
            "Backup Validation Failed",
            "backup validation",
            Some(&id.to_string()),
            &e,
        )),
    }
    false
}
