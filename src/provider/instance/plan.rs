//! Planning: the API-version rules, the planned values for a create (everything derivable is
//! known at plan), for an update or a replacement, and the plan-time `validateForBackup`.

use super::diags;
use super::model::{Inputs, body_of, default_name, ids_equal, locations_equal, str_attr};
use super::plan_marks;
use super::schema as attr;
use crate::azure::arm_id::{BackupInstanceId, BackupVaultId, DatasourceId};
use crate::azure::client::DataProtectionClient;
use crate::azure::error::AzureError;
use crate::provider::Configured;
use crate::provider::errors::azure_warning;
use crate::tfplugin::{AttributePath, Context, Diagnostics, Value};

/// The plan's own `validateForBackup` passed (planned private data). Validation takes Azure
/// 12-72 s, so apply then goes straight to the PUT, which the service validates again anyway.
pub const VALIDATED_AT_PLAN: &[u8] = b"validated-at-plan";
/// The plan warned that the vault's identity lacks permissions (planned private data): apply's
/// error then refers to that warning instead of repeating it.
pub const PERMISSION_WARNED_AT_PLAN: &[u8] = b"permission-warned-at-plan";

/// How the plan-time validation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanValidation {
    Passed,
    /// Failed or not conclusive; apply validates again.
    NotPassed,
    /// Failed for missing permissions, and the plan warned so.
    PermissionWarned,
}

/// API-version rules: these need the configured provider, so they are checked at plan. The
/// kind and each of its arguments must be known to the configured version, from the catalogue.
pub fn check_against_client(client: &DataProtectionClient, v: &Value, diags: &mut Diagnostics) {
    let api = client.api_version();
    let ds_type = str_attr(v, attr::DATASOURCE_TYPE);
    if let Some(ds) =
        str_attr(v, attr::DATASOURCE_ID).and_then(|s| DatasourceId::with_type(s, ds_type).ok())
    {
        let entry = ds.kind().entry();
        if !entry.available_in(api) {
            // On the attribute that chose the kind.
            let at = if entry.by_type_only {
                attr::DATASOURCE_TYPE
            } else {
                attr::DATASOURCE_ID
            };
            diags::not_supported_by_api(
                diags,
                at,
                format!(
                    "API version {api} does not know {} (API versions: {}). Set a version that does as the provider's `api_version`.",
                    entry.plural,
                    entry.api_versions.text()
                ),
            );
        } else {
            for rule in entry.inputs {
                let name = attr::attribute_of(rule.input);
                if !rule.api_versions.contains(api) && !v.get(name).is_null() {
                    diags::not_supported_by_api(
                        diags,
                        name,
                        format!(
                            "API version {api} does not take `{name}` for {} (API versions: {}). Use a newer `api_version` on the provider (for example 2025-07-01) or remove `{name}`.",
                            entry.plural,
                            rule.api_versions.text()
                        ),
                    );
                }
            }
        }
    }
    if !client.supports_auth_credentials() && !v.get(attr::USER_ASSIGNED_IDENTITY_ID).is_null() {
        diags::not_supported_by_api(
            diags,
            attr::USER_ASSIGNED_IDENTITY_ID,
            format!(
                "API version {api} has no `identityDetails`, so the vault's system-assigned identity is always used. Use a newer `api_version` on the provider (for example 2025-07-01) or remove `{}`.",
                attr::USER_ASSIGNED_IDENTITY_ID
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

/// Settings with a default: a null configuration value plans the default.
fn plan_defaults(config: &Value, planned: &mut Value) {
    for (name, default) in [
        (attr::PROTECTION_MODE, Value::string(attr::mode::PROTECTED)),
        (attr::DESTROY_BEHAVIOR, Value::string(attr::destroy::DELETE)),
        (attr::RECOVER_SOFT_DELETED, Value::bool(true)),
    ] {
        if config.get(name).is_null() {
            planned.set(name, default);
        }
    }
    super::params::plan_defaults(planned);
}

/// A create: the real ID and name are known now, instead of "(known after apply)".
pub fn plan_create(config: &Value, planned: &mut Value) {
    plan_defaults(config, planned);
    let vault: Option<BackupVaultId> =
        str_attr(config, attr::VAULT_ID).and_then(|s| s.parse().ok());
    let ds: Option<DatasourceId> = match config.get(attr::DATASOURCE_TYPE) {
        Value::Unknown => None,
        t => str_attr(config, attr::DATASOURCE_ID)
            .and_then(|s| DatasourceId::with_type(s, t.as_str()).ok()),
    };
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
    if config.get(attr::DATASOURCE_TYPE).is_null() {
        planned.set(
            attr::DATASOURCE_TYPE,
            ds.as_ref()
                .map(|d| Value::string(d.datasource_type()))
                .unwrap_or(Value::Unknown),
        );
    }
    if config.get(attr::FRIENDLY_NAME).is_null() {
        planned.set(attr::FRIENDLY_NAME, Value::Unknown);
    }
    set_all(planned, attr::OBSERVED, |_| Value::Unknown);
}

/// An update or a replacement: returns the attributes that force a new instance.
pub fn plan_update(config: &Value, prior: &Value, planned: &mut Value) -> Vec<AttributePath> {
    plan_defaults(config, planned);
    planned.set(attr::ID, prior.get(attr::ID).clone());
    for a in [attr::NAME, attr::FRIENDLY_NAME] {
        if config.get(a).is_null() {
            planned.set(a, prior.get(a).clone());
        }
    }
    // An unset type is derived from the ID (a storage account: blob), as at create, so a
    // configuration that drops `datasource_type` from a Data Lake instance replaces it.
    if config.get(attr::DATASOURCE_TYPE).is_null() {
        let derived = str_attr(config, attr::DATASOURCE_ID)
            .and_then(|s| s.parse::<DatasourceId>().ok())
            .map(|d| d.datasource_type());
        let keep_prior = match (derived, prior.get(attr::DATASOURCE_TYPE).as_str()) {
            (Some(d), Some(p)) => ids_equal(d, p),
            _ => derived.is_none(),
        };
        let v = if keep_prior {
            prior.get(attr::DATASOURCE_TYPE).clone()
        } else {
            derived.map(Value::string).unwrap_or(Value::Unknown)
        };
        planned.set(attr::DATASOURCE_TYPE, v);
    }
    let mut requires_replace = Vec::new();
    for a in attr::REPLACE {
        let (old, new) = (prior.get(a), planned.get(a));
        let same = match (old.as_str(), new.as_str()) {
            // Azure sometimes reports no datasource location (seen for PostgreSQL): an
            // imported instance then has none, and that is no reason to replace it.
            (None | Some(""), Some(_)) if *a == attr::LOCATION => true,
            // A state without a type (written before the type was recorded) is the derived one.
            (None, Some(_)) if *a == attr::DATASOURCE_TYPE => true,
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
        planned.set(attr::ID, Value::Unknown);
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
    attr::IN_PLACE
        .iter()
        .chain([&attr::PROTECTION_MODE])
        .any(|a| {
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
    reads: &super::plan_warnings::PlanReads,
    inputs: &Inputs,
    replaced: &[BackupInstanceId],
    ctx: &Context,
    diags: &mut Diagnostics,
) -> PlanValidation {
    let key = plan_marks::key(&inputs.id().to_string(), &body_of(inputs));
    let marks = plan_marks::Marks::for_this_command();
    // The permission warning is shown once per command: apply's re-plan takes the plan's word
    // for it too, and apply itself checks (and waits) again.
    let warned_key = format!("{key}-permission-warned");
    if marks.as_ref().is_some_and(|m| m.take(&key)) {
        tracing::info!(instance = %inputs.id(), "validated by this command's plan; not validating again");
        return PlanValidation::Passed;
    }
    if marks.as_ref().is_some_and(|m| m.take(&warned_key)) {
        tracing::info!(instance = %inputs.id(), "this command's plan warned of missing permissions; apply checks again");
        return PlanValidation::PermissionWarned;
    }
    // A wrong policy is already the error: validating would only say it again.
    if !super::plan_warnings::check_policy_kind(reads, c, inputs, ctx, diags).await {
        return PlanValidation::NotPassed;
    }
    let outcome = plan_validate(c, inputs, replaced, ctx, diags).await;
    match (outcome, &marks) {
        (PlanValidation::Passed, Some(m)) => m.mark(&key),
        (PlanValidation::PermissionWarned, Some(m)) => m.mark(&warned_key),
        _ => {}
    }
    outcome
}

/// What every plan-time validation failure tells the user about apply.
const APPLY_VALIDATES_AGAIN: &str = "Apply validates again before creating anything and stops with this error if it still holds. (It is a warning here, not an error, because Terraform also plans configured instances during `terraform destroy`, and a destroy must never depend on whether a create would validate.)";

/// Plan-time `validateForBackup` for an instance with no prior state. Every failure is a
/// warning, never an error: the provider cannot tell a `terraform plan` from the refresh plan
/// Terraform (1.0 to 1.11 at least) runs before `terraform destroy`, which also plans configured,
/// absent instances. The warning keeps the service's full answer, on the attribute at fault;
/// apply, not told "validated at plan", validates again and fails before any PUT. `replaced`
/// are the instances this plan replaces: the one protecting the datasource is no conflict.
/// Returns whether the validation passed outright (only then may apply skip its own).
pub async fn plan_validate(
    c: &Configured,
    inputs: &Inputs,
    replaced: &[BackupInstanceId],
    ctx: &Context,
    diags: &mut Diagnostics,
) -> PlanValidation {
    let client = &c.client;
    let kind = inputs.datasource.kind().entry();
    let body = body_of(inputs);
    let id: BackupInstanceId = inputs.id();
    let id_text = id.to_string();
    let op = client.op_options(inputs.timeouts.read, &ctx.cancel);
    let warn = |summary: &str, e: &AzureError, note: &str| {
        azure_warning(summary, "backup validation", Some(&id_text), e, note)
    };
    match client
        .validate_for_backup(&inputs.vault, &body.properties, &op)
        .await
    {
        Ok(()) => return PlanValidation::Passed,
        Err(e) if e.is_already_protected() => {
            // Our own deterministic name already holds it: a create that crashed before its
            // state was saved. Apply adopts it instead of failing.
            if let Ok(Some(existing)) = client.get_backup_instance(&id, &op).await
                && crate::azure::wait::same_arm_id(
                    &existing.properties.data_source_info.resource_id,
                    &inputs.datasource.to_string(),
                )
            {
                tracing::info!(instance = %id, "datasource already protected by this configuration's instance; apply will adopt it");
                diags.push(diags::will_adopt(&existing, &id, &inputs.protection_mode));
                return PlanValidation::NotPassed;
            }
            // The create half of a replacement: the instance being replaced protects the
            // datasource until destroy runs first; apply validates again then.
            for old in replaced {
                if client
                    .protects(old, &inputs.datasource.to_string(), &op)
                    .await
                {
                    tracing::info!(instance = %id, replaced = %old, "datasource protected by the instance this plan replaces; apply validates after the destroy");
                    return PlanValidation::NotPassed;
                }
            }
            let holder = super::lifecycle::holder(client, inputs, &op).await;
            let d = warn(
                "Datasource Already Protected",
                &e,
                &format!(
                    "{APPLY_VALIDATES_AGAIN}{}",
                    diags::one_protection_at_a_time(holder.as_ref())
                ),
            );
            diags.push(diags::with_path(d, attr::DATASOURCE_ID));
        }
        Err(e) if e.is_soft_deleted_conflict() => {
            if inputs.recover_soft_deleted {
                tracing::info!(instance = %id, "a soft-deleted instance blocks the create; apply will recover it");
                match super::lifecycle::find_blocking(client, inputs, &op).await {
                    Ok(Some(d)) => diags.push(super::lifecycle::will_recover(&d, inputs)),
                    _ => tracing::info!(instance = %id, "the soft-deleted instance could not be listed at plan"),
                }
                return PlanValidation::NotPassed;
            }
            match super::lifecycle::find_blocking(client, inputs, &op).await {
                Ok(Some(d)) => {
                    let mut blocked = super::lifecycle::blocked(
                        &d,
                        inputs,
                        &format!(" `{}` is false.", attr::RECOVER_SOFT_DELETED),
                    );
                    blocked.severity = crate::tfplugin::Severity::Warning;
                    blocked.detail.push_str("\n\n");
                    blocked.detail.push_str(APPLY_VALIDATES_AGAIN);
                    diags.push(blocked);
                }
                _ => diags.push(diags::with_path(
                    warn("Backup Validation Failed", &e, APPLY_VALIDATES_AGAIN),
                    attr::DATASOURCE_ID,
                )),
            }
        }
        Err(e) if e.is_identity_not_attached() => diags.push(diags::with_path(
            warn("User-Assigned Identity Not Attached", &e, APPLY_VALIDATES_AGAIN),
            attr::USER_ASSIGNED_IDENTITY_ID,
        )),
        Err(e) if e.is_always_on_required() => diags.push(diags::with_path(
            warn("Backup Validation Failed", &e, APPLY_VALIDATES_AGAIN),
            attr::VAULT_ID,
        )),
        Err(e) if e.is_permission() => {
            diags.push(crate::provider::errors::azure_warning_for(
                "Backup Vault Lacks Permissions",
                "backup validation",
                Some(&id_text),
                &e,
                &format!(
                    "Role assignments made in this same apply may not exist yet; apply will re-check and wait for them up to {} (the provider's `role_propagation_timeout`).",
                    humantime::format_duration(c.settings.role_propagation_timeout)
                ),
                Some(kind),
            ));
            return PlanValidation::PermissionWarned;
        }
        Err(e) if e.is_cancelled() => {
            diags.error("Plan Interrupted", "Validation was interrupted.")
        }
        // A failure of the service, not an answer about the configuration.
        Err(e) if e.is_transient() || e.is_timeout() => diags.push(warn(
            "Backup Validation Incomplete",
            &e,
            "The service could not complete the check during plan (a temporary failure, retried until the `read` timeout). This plan does not depend on it: apply validates again before creating the instance.",
        )),
        Err(e) => diags.push(warn("Backup Validation Failed", &e, APPLY_VALIDATES_AGAIN)),
    }
    PlanValidation::NotPassed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::instance::model::check_inputs;
    use crate::provider::instance::model::tests::disk_config;

    const ACCOUNT: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stlakedemo";
    const ADLS: &str = "Microsoft.Storage/storageAccounts/adlsBlobServices";

    fn lake_config() -> Value {
        let mut c = disk_config();
        c.set(attr::DATASOURCE_ID, Value::string(ACCOUNT));
        c.set(attr::SNAPSHOT_RESOURCE_GROUP_ID, Value::Null);
        c.set(attr::DATASOURCE_TYPE, Value::string(ADLS));
        c.set(attr::CONTAINERS, Value::List(vec![Value::string("raw")]));
        c
    }

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter()
            .filter_map(|d| d.attribute.as_ref().map(|p| p.to_string()))
            .collect()
    }

    /// The kind comes from the ID and the type; each kind's required and foreign arguments are
    /// errors on their attribute.
    #[test]
    fn kind_checks_name_the_attribute() {
        let mut d = Diagnostics::new();
        let inputs = check_inputs(&lake_config(), &mut d).expect("a valid Data Lake config");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            inputs.datasource.kind(),
            crate::azure::catalogue::DatasourceKind::DataLake
        );

        let mut c = lake_config();
        c.set(attr::CONTAINERS, Value::Null);
        c.set(attr::VOLUME_NAME, Value::string("vol-1"));
        let mut d = Diagnostics::new();
        assert!(check_inputs(&c, &mut d).is_none());
        assert_eq!(paths(&d), ["containers", "volume_name"]);

        let mut c = disk_config();
        c.set(attr::DATASOURCE_TYPE, Value::string(ADLS));
        let mut d = Diagnostics::new();
        assert!(check_inputs(&c, &mut d).is_none());
        assert_eq!(paths(&d), ["datasource_type"]);
        assert!(
            d.iter()
                .next()
                .unwrap()
                .detail
                .contains("\"Microsoft.Compute/disks\"")
        );

        // Unknown type: nothing to say yet.
        let mut c = lake_config();
        c.set(attr::DATASOURCE_TYPE, Value::Unknown);
        let mut d = Diagnostics::new();
        assert!(check_inputs(&c, &mut d).is_none() && d.is_empty());
    }

    /// Containers change in place; the datasource type, derived or set, forces a new instance
    /// when it changes.
    #[test]
    fn containers_update_in_place_but_a_type_change_replaces() {
        let mut prior = lake_config();
        prior.set(attr::ID, Value::string("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi"));
        prior.set(attr::NAME, Value::string("bi"));
        let mut config = lake_config();
        config.set(attr::NAME, Value::string("bi"));
        config.set(
            attr::CONTAINERS,
            Value::List(vec![Value::string("raw"), Value::string("curated")]),
        );
        let mut planned = config.clone();
        assert!(plan_update(&config, &prior, &mut planned).is_empty());
        assert!(in_place_changed(&prior, &planned));

        // Dropping the type derives blob from the storage account ID: a new instance.
        config.set(attr::DATASOURCE_TYPE, Value::Null);
        let mut planned = config.clone();
        assert_eq!(
            plan_update(&config, &prior, &mut planned),
            vec![AttributePath::root(attr::DATASOURCE_TYPE)]
        );
        assert_eq!(
            planned.get(attr::DATASOURCE_TYPE).as_str(),
            Some("Microsoft.Storage/storageAccounts/blobServices")
        );
    }

    /// A configured `kubernetes` block plans the service's defaults for its unset switches.
    #[test]
    fn kubernetes_switches_default_to_true() {
        let mut config = disk_config();
        config.set(
            attr::KUBERNETES,
            Value::object([
                (attr::kubernetes::SNAPSHOT_VOLUMES, Value::bool(false)),
                (
                    attr::kubernetes::INCLUDE_CLUSTER_SCOPE_RESOURCES,
                    Value::Null,
                ),
            ]),
        );
        let mut planned = config.clone();
        plan_create(&config, &mut planned);
        let k = planned.get(attr::KUBERNETES);
        assert_eq!(
            k.get(attr::kubernetes::SNAPSHOT_VOLUMES).as_bool(),
            Some(false)
        );
        assert_eq!(
            k.get(attr::kubernetes::INCLUDE_CLUSTER_SCOPE_RESOURCES)
                .as_bool(),
            Some(true)
        );
    }
}
