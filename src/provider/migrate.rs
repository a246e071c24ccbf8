//! `moved` blocks from azurerm's `azurerm_data_protection_backup_instance_*` resources to
//! `azurebackup_instance` (Terraform 1.8+, MoveResourceState): maps the stored azurerm state onto
//! ours, so the move plans without replacement. Terraform refreshes the moved object before
//! planning, so every attribute is then read back from Azure; the mapping matters for the IDs
//! the read needs and for `-refresh=false` plans.

use serde_json::Value as Json;

use crate::azure::arm_id::{
    BackupInstanceId, BackupPolicyId, BackupVaultId, DatasourceId, ResourceGroupId,
};
use crate::provider::instance::schema::{self as attr, timeouts as t};
use crate::tfplugin::{Diagnostic, Diagnostics, MoveRequest, Value};

/// The only source provider we accept moves from (any registry host: mirrors keep the path).
pub const AZURERM: &str = "hashicorp/azurerm";

/// azurerm's backup instance types, the attribute holding the datasource ID, and the schema
/// version we know (read from azurerm's source: none of them declares a `SchemaVersion`).
/// `None`: a kind our catalogue does not support yet.
pub const SOURCES: &[(&str, Option<&str>, i64)] = &[
    (
        "azurerm_data_protection_backup_instance_disk",
        Some("disk_id"),
        0,
    ),
    (
        "azurerm_data_protection_backup_instance_postgresql",
        Some("database_id"),
        0,
    ),
    (
        "azurerm_data_protection_backup_instance_postgresql_flexible_server",
        Some("server_id"),
        0,
    ),
    (
        "azurerm_data_protection_backup_instance_blob_storage",
        Some("storage_account_id"),
        0,
    ),
    (
        "azurerm_data_protection_backup_instance_data_lake_storage",
        None,
        0,
    ),
    (
        "azurerm_data_protection_backup_instance_kubernetes_cluster",
        Some("kubernetes_cluster_id"),
        0,
    ),
    (
        "azurerm_data_protection_backup_instance_mysql_flexible_server",
        Some("server_id"),
        0,
    ),
];

fn error(summary: &str, detail: String) -> Diagnostics {
    Diagnostic::error(summary, detail).into()
}

fn is_azurerm(address: &str) -> bool {
    address == AZURERM || address.ends_with(&format!("/{AZURERM}"))
}

fn text<'a>(state: &'a Json, name: &str) -> Option<&'a str> {
    state
        .get(name)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
}

/// The azurebackup_instance state for an azurerm backup instance's stored state.
pub fn from_azurerm(req: &MoveRequest) -> Result<Value, Diagnostics> {
    let from = &req.source_type_name;
    if !is_azurerm(&req.source_provider_address) {
        return Err(error(
            "Unsupported Move Source",
            format!(
                "{} can only be moved from hashicorp/azurerm's backup instance resources, not from {} ({from}). Remove the `moved` block and import the instance instead (`import {{ to = ..., id = \"<backup instance ARM ID>\" }}`).",
                crate::provider::instance::TYPE_NAME,
                req.source_provider_address
            ),
        ));
    }
    let Some((_, ds_attr, version)) = SOURCES.iter().find(|(n, _, _)| n == from) else {
        let known: Vec<&str> = SOURCES.iter().map(|(n, _, _)| *n).collect();
        return Err(error(
            "Unsupported Move Source",
            format!(
                "{from} cannot be moved to {}. Moves are supported from: {}. Remove the `moved` block and import the instance instead.",
                crate::provider::instance::TYPE_NAME,
                known.join(", ")
            ),
        ));
    };
    let Some(ds_attr) = ds_attr else {
        return Err(error(
            "Datasource Kind Not Supported Yet",
            format!(
                "{from} protects a kind of datasource this provider version cannot manage yet, so the instance cannot be moved. Keep it in azurerm for now, or remove the `moved` block."
            ),
        ));
    };
    if req.source_schema_version != *version {
        return Err(error(
            "Unsupported Source Schema Version",
            format!(
                "The state of {from} has schema version {}, but only version {version} is understood. Run `terraform apply -refresh-only` with the azurerm version that wrote the state, or import the instance instead of moving it.",
                req.source_schema_version
            ),
        ));
    }
    let s = &req.source_state;
    let required = |name: &str| {
        text(s, name).ok_or_else(|| {
            error(
                "Incomplete Source State",
                format!("The state of {from} has no `{name}`, so the instance cannot be moved. Refresh it with azurerm first, or import it instead."),
            )
        })
    };
    let invalid = |name: &str, e: String| {
        error(
            "Invalid Source State",
            format!(
                "`{name}` in the state of {from} is not valid: {e}. Refresh it with azurerm first, or import it instead."
            ),
        )
    };
    // Newer azurerm blob instances may protect by container prefix (auto-protection), which
    // this provider does not manage: such an instance cannot be moved faithfully.
    if s.get("excluded_container_name_prefixes")
        .and_then(Json::as_array)
        .is_some_and(|l| !l.is_empty())
    {
        return Err(error(
            "Unsupported Source State",
            format!(
                "The state of {from} uses `excluded_container_name_prefixes` (auto-protection), which this provider does not manage. Keep the instance in azurerm, or remove the `moved` block."
            ),
        ));
    }
    let id_text = required("id")?;
    let id: BackupInstanceId = id_text.parse().map_err(|e| invalid("id", format!("{e}")))?;
    let vault_text = text(s, "vault_id").map_or_else(|| id.vault.to_string(), str::to_owned);
    let vault: BackupVaultId = vault_text
        .parse()
        .map_err(|e| invalid("vault_id", format!("{e}")))?;
    // The instance lives where its ID says: a `vault_id` naming another vault would plan the
    // real instance's replacement with `-refresh=false`.
    if !crate::provider::instance::ids_equal(&vault.to_string(), &id.vault.to_string()) {
        return Err(invalid(
            "vault_id",
            format!(
                "it names {vault}, but the instance's `id` is in {}",
                id.vault
            ),
        ));
    }
    let ds_text = required(ds_attr)?;
    let ds: DatasourceId = ds_text
        .parse()
        .map_err(|e| invalid(ds_attr, format!("{e}")))?;
    let policy_text = required("backup_policy_id")?;
    policy_text
        .parse::<BackupPolicyId>()
        .map_err(|e| invalid("backup_policy_id", format!("{e}")))?;
    // azurerm keeps the snapshot resource group as a name and an optional subscription (the
    // vault's when empty); we keep its ARM ID.
    let snapshot = text(s, "snapshot_resource_group_name").map(|rg| {
        ResourceGroupId {
            subscription: text(s, "snapshot_subscription_id")
                .map_or_else(|| vault.subscription.clone(), str::to_owned),
            resource_group: rg.to_owned(),
        }
        .to_string()
    });
    let string = |o: Option<&str>| o.map(Value::string).unwrap_or(Value::Null);
    let timeouts = match s.get("timeouts") {
        Some(Json::Object(m)) => Value::object(
            [t::CREATE, t::READ, t::UPDATE, t::DELETE]
                .map(|n| (n, string(m.get(n).and_then(Json::as_str)))),
        ),
        _ => Value::Null,
    };
    let location = text(s, "location").map(normalized_location);
    let state = Value::object([
        (attr::ID, Value::string(id_text)),
        (attr::VAULT_ID, Value::string(vault_text.clone())),
        (attr::DATASOURCE_ID, Value::string(ds_text)),
        (attr::LOCATION, string(location.as_deref())),
        (attr::POLICY_ID, Value::string(policy_text)),
        (
            attr::SNAPSHOT_RESOURCE_GROUP_ID,
            snapshot.map(Value::string).unwrap_or(Value::Null),
        ),
        (
            attr::KEY_VAULT_SECRET_URI,
            string(text(s, "database_credential_key_vault_secret_id")),
        ),
        (attr::NAME, Value::string(&id.name)),
        // azurerm always sets the friendly name to the instance name.
        (attr::FRIENDLY_NAME, Value::string(&id.name)),
        (attr::TAGS, Value::Null),
        (attr::DATASOURCE_TYPE, Value::string(ds.datasource_type())),
        (attr::PROTECTION_STATE, string(text(s, "protection_state"))),
        (attr::PROTECTION_STATUS, Value::Null),
        (attr::PROVISIONING_STATE, Value::Null),
        (attr::PROTECTION_ERROR_CODE, Value::Null),
        (attr::PROTECTION_ERROR_MESSAGE, Value::Null),
        (attr::TIMEOUTS, timeouts),
        // azurerm has no lifecycle settings: the mode follows the protection state, the rest
        // are our defaults (what a configuration that does not set them plans).
        (
            attr::PROTECTION_MODE,
            Value::string(crate::provider::instance::mode_of_state(text(
                s,
                "protection_state",
            ))),
        ),
        (attr::DESTROY_BEHAVIOR, Value::string(attr::destroy::DELETE)),
        (attr::RECOVER_SOFT_DELETED, Value::bool(true)),
        (attr::USER_ASSIGNED_IDENTITY_ID, Value::Null),
        (attr::CONTAINERS, containers(s)),
        // No azurerm resource protects Elastic SAN volume groups.
        (attr::VOLUME_NAME, Value::Null),
        (attr::KUBERNETES, kubernetes(s)),
    ]);
    checked(state, from)
}

/// azurerm's location normalisation (`West Europe` → `westeurope`).
fn normalized_location(l: &str) -> String {
    l.chars()
        .filter(|c| *c != ' ')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `state` if the resource accepts every value in it as it would in a configuration (IDs,
/// location, name, Key Vault secret URI, kind inputs, `kubernetes`, timeouts); else every
/// problem, each naming the azurerm state as its source.
fn checked(state: Value, from: &str) -> Result<Value, Diagnostics> {
    let mut found = Diagnostics::new();
    let _ = crate::provider::instance::parse_inputs(&state, &mut found, 0);
    if !found.has_errors() {
        return Ok(state);
    }
    Err(Diagnostics(
        found
            .iter()
            .filter(|d| d.severity == crate::tfplugin::Severity::Error)
            .map(|d| {
                Diagnostic::error(
                    "Invalid Source State",
                    format!(
                        "The state of {from} does not make a valid {}: {}: {} Nothing was moved; refresh the instance with azurerm first, or import it instead.",
                        crate::provider::instance::TYPE_NAME,
                        d.summary,
                        d.detail
                    ),
                )
            })
            .collect(),
    ))
}

fn strings(v: Option<&Json>) -> Option<Vec<Value>> {
    let list = v?.as_array()?;
    Some(
        list.iter()
            .filter_map(Json::as_str)
            .map(Value::string)
            .collect(),
    )
}

/// azurerm's blob `storage_account_container_names` (vaulted backup); empty or absent is
/// operational backup, which takes none.
fn containers(s: &Json) -> Value {
    match strings(s.get("storage_account_container_names")) {
        Some(l) if !l.is_empty() => Value::List(l),
        _ => Value::Null,
    }
}

/// azurerm's `backup_datasource_parameters` block (AKS) as our `kubernetes` block: the same
/// lists, `cluster_scoped_resources_enabled` and `volume_snapshot_enabled` under our names;
/// azurerm has no volume types or hooks. No block is our null block (the service's defaults).
fn kubernetes(s: &Json) -> Value {
    use attr::kubernetes as k;
    let Some(p) = s
        .get("backup_datasource_parameters")
        .and_then(Json::as_array)
        .and_then(|l| l.first())
    else {
        return Value::Null;
    };
    let list = |name: &str| match strings(p.get(name)) {
        Some(l) if !l.is_empty() => Value::List(l),
        _ => Value::Null,
    };
    let switch = |name: &str| Value::bool(p.get(name).and_then(Json::as_bool).unwrap_or(true));
    Value::object([
        (k::INCLUDED_NAMESPACES, list("included_namespaces")),
        (k::EXCLUDED_NAMESPACES, list("excluded_namespaces")),
        (k::INCLUDED_RESOURCE_TYPES, list("included_resource_types")),
        (k::EXCLUDED_RESOURCE_TYPES, list("excluded_resource_types")),
        (k::LABEL_SELECTORS, list("label_selectors")),
        (k::INCLUDED_VOLUME_TYPES, Value::Null),
        (
            k::INCLUDE_CLUSTER_SCOPE_RESOURCES,
            switch("cluster_scoped_resources_enabled"),
        ),
        (k::SNAPSHOT_VOLUMES, switch("volume_snapshot_enabled")),
        (k::BACKUP_HOOK_REFERENCES, Value::Null),
    ])
}

#[cfg(test)]
mod tests;
