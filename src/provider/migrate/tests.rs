//! Unit tests of the azurerm state mapping.

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

/// Finding 10 of issue 18: values the resource would refuse are refused by the move, each
/// naming the source state; a `vault_id` of another vault than the ID's is refused.
#[test]
fn values_the_resource_refuses_are_not_moved() {
    let disk = "azurerm_data_protection_backup_instance_disk";
    let detail = |s: Json| {
        let d = from_azurerm(&req(disk, 0, s)).unwrap_err();
        let first = d.iter().next().unwrap();
        assert_eq!(first.summary, "Invalid Source State");
        first.detail.clone()
    };
    let mut s = disk_state();
    s["vault_id"] = json!(vault().replace("vault-demo", "vault-other"));
    let e = detail(s);
    assert!(e.contains("`vault_id`") && e.contains("vault-other"), "{e}");

    let mut s = disk_state();
    s["location"] = json!(format!("westeurope\n{}", "x".repeat(10_000)));
    assert!(detail(s).contains("Invalid Location"));

    let pg = |uri: &str| {
        json!({
            "id": format!("{}/backupInstances/bi-pg", vault()),
            "location": "westeurope", "vault_id": vault(),
            "database_id": format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.DBforPostgreSQL/servers/pg-single/databases/appdb"),
            "backup_policy_id": format!("{}/backupPolicies/policy-postgres", vault()),
            "database_credential_key_vault_secret_id": uri,
        })
    };
    for bad in [
        "http://evil.example/secrets/../../x",
        "https://evil.example/secrets/x",
        "https://kv-demo.vault.azure.net/secrets/../../x",
        "http://kv-demo.vault.azure.net/secrets/pg-conn",
    ] {
        let d = from_azurerm(&req(
            "azurerm_data_protection_backup_instance_postgresql",
            0,
            pg(bad),
        ))
        .unwrap_err();
        assert!(
            d.iter().any(|x| x.detail.contains("Key Vault secret URI")),
            "{bad}: {d:?}"
        );
    }

    // azurerm's spelling of a region is normalised as azurerm does, not refused.
    let mut s = disk_state();
    s["location"] = json!("West Europe");
    let v = from_azurerm(&req(disk, 0, s)).unwrap();
    assert_eq!(v.get(attr::LOCATION).as_str(), Some("westeurope"));

    // A policy of another vault is refused as the resource refuses it.
    let mut s = disk_state();
    s["backup_policy_id"] = json!(format!(
        "{}/backupPolicies/policy-disk",
        vault().replace("vault-demo", "vault-other")
    ));
    assert!(from_azurerm(&req(disk, 0, s)).is_err());
}
