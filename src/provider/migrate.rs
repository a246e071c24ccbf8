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
    Ok(Value::object([
        (attr::ID, Value::string(id_text)),
        (attr::VAULT_ID, Value::string(vault_text.clone())),
        (attr::DATASOURCE_ID, Value::string(ds_text)),
        (attr::LOCATION, string(text(s, "location"))),
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
    ]))
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
mod tests {
    use super::*;
    use serde_json::json;

    const SUB: &str = "11111111-1111-1111-1111-111111111111";

    fn vault() -> String {
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
        )
    }

    fn req(ty: &str, version: i64, state: Json) -> MoveRequest {
        MoveRequest {
            source_provider_address: "registry.terraform.io/hashicorp/azurerm".into(),
            source_type_name: ty.into(),
            source_schema_version: version,
            source_state: state,
        }
    }

    fn disk_state() -> Json {
        json!({
            "id": format!("{}/backupInstances/bi-disk", vault()),
            "name": "bi-disk",
            "location": "westeurope",
            "vault_id": vault(),
            "disk_id": format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"),
            "backup_policy_id": format!("{}/backupPolicies/policy-disk", vault()),
            "snapshot_resource_group_name": "rg-snapshots",
            "snapshot_subscription_id": "",
            "protection_state": "ProtectionConfigured",
            "timeouts": null
        })
    }

    #[test]
    fn disk_maps_every_attribute() {
        let v = from_azurerm(&req(
            "azurerm_data_protection_backup_instance_disk",
            0,
            disk_state(),
        ))
        .unwrap();
        assert_eq!(v.get(attr::NAME).as_str(), Some("bi-disk"));
        assert_eq!(
            v.get(attr::POLICY_ID).as_str().unwrap(),
            format!("{}/backupPolicies/policy-disk", vault())
        );
        assert_eq!(
            v.get(attr::SNAPSHOT_RESOURCE_GROUP_ID).as_str().unwrap(),
            format!("/subscriptions/{SUB}/resourceGroups/rg-snapshots")
        );
        assert_eq!(
            v.get(attr::DATASOURCE_TYPE).as_str(),
            Some("Microsoft.Compute/disks")
        );
        assert_eq!(v.get(attr::LOCATION).as_str(), Some("westeurope"));
        assert!(v.get(attr::KEY_VAULT_SECRET_URI).is_null());
        // Every schema attribute is present.
        for a in crate::provider::instance::schema().block.attributes {
            assert!(
                matches!(&v, Value::Object(m) if m.contains_key(&a.name)),
                "{}",
                a.name
            );
        }
    }

    #[test]
    fn snapshot_subscription_and_secret_and_timeouts_are_kept() {
        let mut s = disk_state();
        s["snapshot_subscription_id"] = json!("22222222-2222-2222-2222-222222222222");
        s["timeouts"] = json!({"create": "45m", "read": null, "update": null, "delete": null});
        let v = from_azurerm(&req("azurerm_data_protection_backup_instance_disk", 0, s)).unwrap();
        assert!(
            v.get(attr::SNAPSHOT_RESOURCE_GROUP_ID)
                .as_str()
                .unwrap()
                .starts_with("/subscriptions/22222222-")
        );
        assert_eq!(v.get(attr::TIMEOUTS).get(t::CREATE).as_str(), Some("45m"));

        let pg = json!({
            "id": format!("{}/backupInstances/bi-pg", vault()),
            "name": "bi-pg", "location": "westeurope", "vault_id": vault(),
            "database_id": format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.DBforPostgreSQL/servers/pg-single/databases/appdb"),
            "backup_policy_id": format!("{}/backupPolicies/policy-postgres", vault()),
            "database_credential_key_vault_secret_id": "https://kv-demo.vault.azure.net/secrets/pg-conn",
            "protection_state": "ProtectionConfigured"
        });
        let v = from_azurerm(&req(
            "azurerm_data_protection_backup_instance_postgresql",
            0,
            pg,
        ))
        .unwrap();
        assert_eq!(
            v.get(attr::KEY_VAULT_SECRET_URI).as_str(),
            Some("https://kv-demo.vault.azure.net/secrets/pg-conn")
        );
        assert!(v.get(attr::SNAPSHOT_RESOURCE_GROUP_ID).is_null());
    }

    #[test]
    fn unknown_sources_versions_and_kinds_are_clear_errors() {
        let summary =
            |r: Result<Value, Diagnostics>| r.unwrap_err().iter().next().unwrap().summary.clone();
        let detail =
            |r: Result<Value, Diagnostics>| r.unwrap_err().iter().next().unwrap().detail.clone();
        assert_eq!(
            summary(from_azurerm(&req(
                "azurerm_data_protection_backup_instance_disk",
                1,
                disk_state()
            ))),
            "Unsupported Source Schema Version"
        );
        assert_eq!(
            summary(from_azurerm(&req("azurerm_managed_disk", 0, disk_state()))),
            "Unsupported Move Source"
        );
        // Data Lake is not mapped yet (see SOURCES).
        let d = detail(from_azurerm(&req(
            "azurerm_data_protection_backup_instance_data_lake_storage",
            0,
            json!({}),
        )));
        assert!(
            d.contains("azurerm_data_protection_backup_instance_data_lake_storage"),
            "{d}"
        );
        let mut other = req(
            "azurerm_data_protection_backup_instance_disk",
            0,
            disk_state(),
        );
        other.source_provider_address = "registry.terraform.io/azure/azapi".into();
        assert_eq!(summary(from_azurerm(&other)), "Unsupported Move Source");
        let mut s = disk_state();
        s["disk_id"] = json!("/subscriptions/x/nope");
        assert_eq!(
            summary(from_azurerm(&req(
                "azurerm_data_protection_backup_instance_disk",
                0,
                s
            ))),
            "Invalid Source State"
        );
    }

    fn base(ds_attr: &str, ds: &str, policy: &str) -> Json {
        json!({
            "id": format!("{}/backupInstances/bi", vault()),
            "name": "bi", "location": "westeurope", "vault_id": vault(),
            ds_attr: format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/{ds}"),
            "backup_policy_id": format!("{}/backupPolicies/{policy}", vault()),
        })
    }

    /// azurerm's blob, AKS and MySQL instances map onto the kinds, their parameters included.
    #[test]
    fn blob_kubernetes_and_mysql_map_their_parameters() {
        let mut blob = base(
            "storage_account_id",
            "Microsoft.Storage/storageAccounts/stbackupdemo",
            "policy-blob-vaulted",
        );
        blob["storage_account_container_names"] = json!(["data", "logs"]);
        let v = from_azurerm(&req(
            "azurerm_data_protection_backup_instance_blob_storage",
            0,
            blob.clone(),
        ))
        .unwrap();
        assert_eq!(
            v.get(attr::DATASOURCE_TYPE).as_str(),
            Some("Microsoft.Storage/storageAccounts/blobServices")
        );
        assert_eq!(
            v.get(attr::CONTAINERS).as_list().map(<[Value]>::len),
            Some(2)
        );
        blob["storage_account_container_names"] = json!([]);
        blob["excluded_container_name_prefixes"] = json!(["tmp"]);
        assert!(
            from_azurerm(&req(
                "azurerm_data_protection_backup_instance_blob_storage",
                0,
                blob
            ))
            .is_err()
        );

        let mut aks = base(
            "kubernetes_cluster_id",
            "Microsoft.ContainerService/managedClusters/aks-demo",
            "policy-aks",
        );
        aks["snapshot_resource_group_name"] = json!("rg-snapshots");
        aks["backup_datasource_parameters"] = json!([{
            "included_namespaces": ["app"], "excluded_namespaces": [],
            "cluster_scoped_resources_enabled": false, "volume_snapshot_enabled": true
        }]);
        let v = from_azurerm(&req(
            "azurerm_data_protection_backup_instance_kubernetes_cluster",
            0,
            aks,
        ))
        .unwrap();
        let k = v.get(attr::KUBERNETES);
        assert_eq!(
            k.get("included_namespaces").as_list().map(<[Value]>::len),
            Some(1)
        );
        assert!(k.get("excluded_namespaces").is_null());
        assert_eq!(
            k.get("include_cluster_scope_resources").as_bool(),
            Some(false)
        );
        assert_eq!(k.get("snapshot_volumes").as_bool(), Some(true));
        assert!(
            v.get(attr::SNAPSHOT_RESOURCE_GROUP_ID)
                .as_str()
                .unwrap()
                .ends_with("/rg-snapshots")
        );

        let mysql = base(
            "server_id",
            "Microsoft.DBforMySQL/flexibleServers/mysql-demo",
            "policy-mysql",
        );
        let v = from_azurerm(&req(
            "azurerm_data_protection_backup_instance_mysql_flexible_server",
            0,
            mysql,
        ))
        .unwrap();
        assert_eq!(
            v.get(attr::DATASOURCE_TYPE).as_str(),
            Some("Microsoft.DBforMySQL/flexibleServers")
        );
        assert!(v.get(attr::KUBERNETES).is_null() && v.get(attr::CONTAINERS).is_null());
    }
}
