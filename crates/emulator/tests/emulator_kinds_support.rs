//! Request bodies of the newer datasource kinds against the default world, one valid body per
//! kind (tests change one field to get each refusal).
#![allow(dead_code)]

#[path = "emulator_support.rs"]
mod support;

use serde_json::{Value, json};
pub use support::*;

pub const ESAN_API: &str = "2026-06-01";
pub const CLUSTER_PRINCIPAL: &str = "55555555-5555-5555-5555-555555555555";
pub const SECURE_PRINCIPAL: &str = "66666666-6666-6666-6666-666666666666";

pub fn secure_vault() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-secure"
    )
}

pub fn snapshots_rg() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-snapshots")
}

pub fn account(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Storage/storageAccounts/{name}",
        data_rg()
    )
}

pub fn cluster() -> String {
    format!(
        "{}/providers/Microsoft.ContainerService/managedClusters/aks-demo",
        data_rg()
    )
}

pub fn mysql() -> String {
    format!(
        "{}/providers/Microsoft.DBforMySQL/flexibleServers/mysql-demo",
        data_rg()
    )
}

pub fn cosmos() -> String {
    format!(
        "{}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-demo",
        data_rg()
    )
}

pub fn esan() -> String {
    format!(
        "{}/providers/Microsoft.ElasticSan/elasticSans/esan-demo",
        data_rg()
    )
}

pub fn volume_group() -> String {
    format!("{}/volumeGroups/vg-demo", esan())
}

pub fn datasource(object_type: &str, id: &str, resource_type: &str, dtype: &str) -> Value {
    json!({
        "objectType": object_type, "resourceID": id, "resourceName": id.rsplit('/').next().unwrap(),
        "resourceType": resource_type, "resourceUri": id, "resourceLocation": "westeurope",
        "datasourceType": dtype
    })
}

pub fn body(info: Value, set: Option<Value>, policy_id: String, params: Option<Value>) -> Value {
    let mut b = json!({
        "objectType": "BackupInstance",
        "friendlyName": info["resourceName"],
        "dataSourceInfo": info,
        "policyInfo": {"policyId": policy_id}
    });
    if let Some(s) = set {
        b["dataSourceSetInfo"] = s;
    }
    if let Some(p) = params {
        b["policyInfo"]["policyParameters"] = p;
    }
    b
}

pub const BLOB: &str = "Microsoft.Storage/storageAccounts/blobServices";
pub const ADLS: &str = "Microsoft.Storage/storageAccounts/adlsBlobServices";
pub const AKS: &str = "Microsoft.ContainerService/managedClusters";
pub const ESAN_VG: &str = "Microsoft.ElasticSan/elasticSans/volumeGroups";

pub fn store_params() -> Value {
    json!({"objectType": "AzureOperationalStoreParameters", "dataStoreType": "OperationalStore", "resourceGroupId": snapshots_rg()})
}

pub fn blob_operational() -> Value {
    let id = account("stbackupdemo");
    body(
        datasource("Datasource", &id, "Microsoft.Storage/storageAccounts", BLOB),
        Some(datasource(
            "DatasourceSet",
            &id,
            "Microsoft.Storage/storageAccounts",
            BLOB,
        )),
        policy("policy-blob"),
        None,
    )
}

pub fn blob_vaulted(containers: &[&str]) -> Value {
    let id = account("stbackupdemo");
    body(
        datasource("Datasource", &id, "Microsoft.Storage/storageAccounts", BLOB),
        Some(datasource(
            "DatasourceSet",
            &id,
            "Microsoft.Storage/storageAccounts",
            BLOB,
        )),
        policy("policy-blob-vaulted"),
        Some(json!({"backupDatasourceParametersList": [
            {"objectType": "BlobBackupDatasourceParameters", "containersList": containers}
        ]})),
    )
}

pub fn adls(containers: &[&str]) -> Value {
    let id = account("stlakedemo");
    body(
        datasource("Datasource", &id, "Microsoft.Storage/storageAccounts", ADLS),
        Some(datasource(
            "DatasourceSet",
            &id,
            "Microsoft.Storage/storageAccounts",
            ADLS,
        )),
        policy("policy-adls"),
        Some(json!({"backupDatasourceParametersList": [
            {"objectType": "AdlsBlobBackupDatasourceParameters", "containersList": containers}
        ]})),
    )
}

pub fn k8s_params(namespaces: &[&str]) -> Value {
    json!({
        "objectType": "KubernetesClusterBackupDatasourceParameters",
        "snapshotVolumes": true,
        "includeClusterScopeResources": true,
        "includedNamespaces": namespaces,
        "excludedNamespaces": ["kube-system"],
        "includedResourceTypes": [],
        "excludedResourceTypes": ["v1/Secret"],
        "labelSelectors": ["app=web"],
        "includedVolumeTypes": ["AzureDisk", "AzureFileShareSMB"],
        "backupHookReferences": [{"name": "hook-1", "namespace": "default"}]
    })
}

pub fn aks(namespaces: &[&str]) -> Value {
    let id = cluster();
    body(
        datasource("Datasource", &id, AKS, AKS),
        Some(datasource("DatasourceSet", &id, AKS, AKS)),
        policy("policy-aks"),
        Some(json!({
            "backupDatasourceParametersList": [k8s_params(namespaces)],
            "dataStoreParametersList": [store_params()]
        })),
    )
}

pub fn mysql_props() -> Value {
    let id = mysql();
    let t = "Microsoft.DBforMySQL/flexibleServers";
    body(
        datasource("Datasource", &id, t, t),
        None,
        policy("policy-mysql"),
        None,
    )
}

pub fn cosmos_props() -> Value {
    let id = cosmos();
    let t = "Microsoft.DocumentDB/databaseAccounts";
    body(
        datasource("Datasource", &id, t, t),
        None,
        policy("policy-cosmos"),
        None,
    )
}

pub fn esan_props(selectors: &[&str]) -> Value {
    body(
        datasource("Datasource", &volume_group(), ESAN_VG, ESAN_VG),
        Some(datasource(
            "DatasourceSet",
            &esan(),
            "Microsoft.ElasticSan/elasticSans",
            ESAN_VG,
        )),
        format!("{}/backupPolicies/policy-esan", secure_vault()),
        Some(json!({
            "backupDatasourceParametersList": [
                {"objectType": "GenericBackupDatasourceParameters", "resourceSelectors": selectors}
            ],
            "dataStoreParametersList": [store_params()]
        })),
    )
}
