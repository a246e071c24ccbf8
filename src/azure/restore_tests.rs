//! The restore builders against the published example bodies (tests/fixtures/azure/examples)
//! and the recorded disk restore (tests/fixtures/restore), and their refusals of bad inputs.

use serde_json::{Value, json};

use super::*;

fn fixture(rel: &str) -> Value {
    let p = format!("{}/tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect(&p)).expect(&p)
}

fn example(name: &str) -> Value {
    fixture(&format!("azure/examples/2025-09-01/{name}"))["parameters"]["parameters"].clone()
}

/// Every key of `want` is in `got` (keys compared case-insensitively: the recording spells
/// `resourceId`, the spec `resourceID`) with an equal value, except at the `skip` paths, where
/// the example's value is illustrative. Returns the differences.
fn differences(want: &Value, got: &Value, path: &str, skip: &[&str], out: &mut Vec<String>) {
    if skip.contains(&path) {
        return;
    }
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let here = format!("{path}.{k}");
                match g.iter().find(|(gk, _)| gk.eq_ignore_ascii_case(k)) {
                    Some((_, gv)) => differences(wv, gv, &here, skip, out),
                    None if skip.contains(&here.as_str()) => {}
                    None => out.push(format!("{here} missing")),
                }
            }
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                differences(wv, gv, &format!("{path}[{i}]"), skip, out);
            }
        }
        _ if want == got => {}
        _ => out.push(format!("{path}: want {want}, got {got}")),
    }
}

fn assert_matches(want: &Value, got: &RestoreRequest, skip: &[&str]) {
    let got = serde_json::to_value(got).unwrap();
    let mut out = Vec::new();
    differences(want, &got, "", skip, &mut out);
    assert!(out.is_empty(), "{out:#?}\nbuilt: {got:#}");
}

const SUB_EX: &str = "f75d8d8b-6735-4697-82e1-1a7a3ff0d5d4";

/// The recorded CLI disk restore, built from its recovery point, the new disk's resource
/// group and name, and the region.
#[test]
fn disk_matches_the_recorded_restore() {
    let rec = fixture("restore/recorded_disk_restore.json");
    let want = &rec["restore_request"];
    let rg: ResourceGroupId =
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/clitest-dpp-rg"
            .parse()
            .unwrap();
    let target = new_disk_id(&rg, "clitest-disk-restored").unwrap();
    let got = disk("5acdfb1a71e442b6b407317de1b1474c", &target, "centraluseuap").unwrap();
    // The CLI leaves resourceUri empty; the builder names the disk there too.
    assert_matches(
        want,
        &got,
        &[".restoreTargetInfo.datasourceInfo.resourceUri"],
    );
    // validateRestore wraps the same request.
    let v = serde_json::to_value(got.validate_body()).unwrap();
    let mut out = Vec::new();
    differences(
        &rec["validate_restore_request"],
        &v,
        "",
        &[".restoreRequestObject.restoreTargetInfo.datasourceInfo.resourceUri"],
        &mut out,
    );
    assert!(out.is_empty(), "{out:?}");
}

#[test]
fn disk_name_and_region_are_checked() {
    let rg: ResourceGroupId = format!("/subscriptions/{SUB_EX}/resourceGroups/rg")
        .parse()
        .unwrap();
    for bad in ["", "a/b", ".."] {
        let e = new_disk_id(&rg, bad).unwrap_err();
        assert_eq!(e.field, "target_disk_name", "{bad:?}");
    }
    let id = new_disk_id(&rg, "d1").unwrap();
    assert_eq!(
        disk("rp1", &id, "west europe").unwrap_err().field,
        "location"
    );
    assert_eq!(
        disk("rp/../x", &id, "westeurope").unwrap_err().field,
        "recovery_point_id"
    );
    assert_eq!(
        disk("", &id, "westeurope").unwrap_err().field,
        "recovery_point_id"
    );
}

/// TriggerRestoreAsFiles: a PostgreSQL restore as files into a blob container.
#[test]
fn as_files_matches_the_published_example() {
    let want = example("TriggerRestoreAsFiles.json");
    let container: BlobContainerId = format!(
        "/subscriptions/{SUB_EX}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/teststorage/blobServices/default/containers/restoretest"
    )
    .parse()
    .unwrap();
    let got = as_files(
        "hardcodedRP",
        &container,
        "restoredblob",
        "core.windows.net",
        "southeastasia",
    )
    .unwrap()
    .with_source(want["sourceResourceId"].as_str().unwrap());
    assert_matches(&want, &got, &[]);
    let v = serde_json::to_value(&got).unwrap();
    assert_eq!(
        v["restoreTargetInfo"]["targetDetails"]["targetResourceArmId"],
        container.to_string().as_str()
    );
    for bad in ["", "a/b", "x?y"] {
        assert_eq!(
            as_files("rp", &container, bad, "core.windows.net", "westeurope")
                .unwrap_err()
                .field,
            "file_prefix"
        );
    }
    // Another cloud's storage suffix goes into the URL.
    let cn = as_files("rp", &container, "p", "core.chinacloudapi.cn", "chinaeast2").unwrap();
    assert!(
        matches!(&cn.restore_target_info, RestoreTargetInfo::Files { target_details, .. }
        if target_details.url == "https://teststorage.blob.core.chinacloudapi.cn/restoretest")
    );
}

#[test]
fn container_ids_parse_strictly() {
    let acct = format!(
        "/subscriptions/{SUB_EX}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"
    );
    let ok: BlobContainerId = format!("{acct}/blobServices/default/containers/dumps")
        .parse()
        .unwrap();
    assert_eq!(ok.name, "dumps");
    assert_eq!(ok.account.name, "st1");
    for bad in [
        format!("{acct}/blobServices/default/containers/Dumps"),
        format!("{acct}/blobServices/other/containers/dumps"),
        format!("{acct}/containers/dumps"),
        format!("{acct}/blobServices/default/containers/.."),
        "dumps".to_string(),
    ] {
        assert_eq!(
            bad.parse::<BlobContainerId>().unwrap_err().field,
            "target_container_id",
            "{bad}"
        );
    }
}

/// TriggerRestore and ValidateRestore: a PostgreSQL database to a new database, with its Key
/// Vault secret and a user-assigned identity.
#[test]
fn postgres_database_matches_the_published_examples() {
    let want = example("TriggerRestore.json");
    let target: PostgresDatabaseId = want["restoreTargetInfo"]["datasourceInfo"]["resourceID"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let secret: KeyVaultSecretUri = "https://samplevault.vault.azure.net/secrets/credentials"
        .parse()
        .unwrap();
    let got = postgres_database("hardcodedRP", &target, &secret, "southeastasia")
        .unwrap()
        .with_source(want["sourceResourceId"].as_str().unwrap())
        .with_user_identity(
            want["identityDetails"]["userAssignedIdentityArmUrl"]
                .as_str()
                .unwrap(),
        );
    // The example leaves location and URI empty; the builder fills them.
    let skip = [
        ".restoreTargetInfo.datasourceInfo.resourceLocation",
        ".restoreTargetInfo.datasourceInfo.resourceUri",
        ".restoreTargetInfo.datasourceSetInfo.resourceLocation",
        ".restoreTargetInfo.datasourceSetInfo.resourceUri",
    ];
    assert_matches(&want, &got, &skip);
    let vwant =
        &fixture("azure/examples/2025-09-01/ValidateRestore.json")["parameters"]["parameters"];
    let v = serde_json::to_value(got.validate_body()).unwrap();
    let mut out = Vec::new();
    let vskip: Vec<String> = skip
        .iter()
        .map(|s| format!(".restoreRequestObject{s}"))
        .collect();
    let vskip: Vec<&str> = vskip.iter().map(String::as_str).collect();
    differences(vwant, &v, "", &vskip, &mut out);
    assert!(out.is_empty(), "{out:?}");
}

/// TriggerRestore_ItemLevel: vaulted blob containers (renamed) into an account. The example
/// calls its target `RestoreTargetInfo` and carries credentials; the spec puts restoreCriteria
/// on `ItemLevelRestoreTargetInfo`, which the builder uses, and blob restores take no
/// credentials.
#[test]
fn containers_match_the_published_example() {
    let want = example("TriggerRestore_ItemLevel.json");
    let account: StorageAccountId = want["restoreTargetInfo"]["datasourceInfo"]["resourceID"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let got = containers(
        "33fdef0e0e2e4594b63092ae9a56f58d",
        false,
        &account,
        &[ContainerRestore {
            name: "container1".into(),
            rename_to: Some("container1new".into()),
        }],
        "southeastasia",
    )
    .unwrap()
    .with_source(want["sourceResourceId"].as_str().unwrap())
    .with_user_identity(
        want["identityDetails"]["userAssignedIdentityArmUrl"]
            .as_str()
            .unwrap(),
    );
    assert_matches(
        &want,
        &got,
        &[
            ".restoreTargetInfo.objectType",
            ".restoreTargetInfo.datasourceAuthCredentials",
            ".restoreTargetInfo.restoreCriteria[0].subItemPathPrefix",
        ],
    );
    let v = serde_json::to_value(&got).unwrap();
    assert_eq!(
        v["restoreTargetInfo"]["objectType"],
        "ItemLevelRestoreTargetInfo"
    );
    assert!(
        v["restoreTargetInfo"]
            .get("datasourceAuthCredentials")
            .is_none()
    );
    let adls = containers(
        "rp",
        true,
        &account,
        &[ContainerRestore {
            name: "raw".into(),
            rename_to: None,
        }],
        "westeurope",
    )
    .unwrap();
    let v = serde_json::to_value(&adls).unwrap();
    assert_eq!(
        v["restoreTargetInfo"]["datasourceInfo"]["datasourceType"],
        "Microsoft.Storage/storageAccounts/adlsBlobServices"
    );
    assert!(
        v["restoreTargetInfo"]["restoreCriteria"][0]
            .get("renameTo")
            .is_none()
    );
    assert_eq!(
        containers("rp", false, &account, &[], "westeurope")
            .unwrap_err()
            .field,
        "names"
    );
    let bad = [ContainerRestore {
        name: "Bad_Name".into(),
        rename_to: None,
    }];
    assert_eq!(
        containers("rp", false, &account, &bad, "westeurope")
            .unwrap_err()
            .field,
        "names"
    );
}

/// TriggerRestoreWithRehydration: the same request from the archive tier. The example's
/// `7D` is not the ISO 8601 duration the service documents (P10D-P30D), and its `OssDB`
/// datasource type is the old name; the builder writes `P15D` and the current type.
#[test]
fn rehydration_matches_the_published_example() {
    let want = example("TriggerRestoreWithRehydration.json");
    let target: PostgresDatabaseId = want["restoreTargetInfo"]["datasourceInfo"]["resourceID"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let secret: KeyVaultSecretUri = "https://kv.vault.azure.net/secrets/s".parse().unwrap();
    let mut got = postgres_database("hardcodedRP", &target, &secret, "southeastasia")
        .unwrap()
        .with_source(want["sourceResourceId"].as_str().unwrap())
        .from_archive(RehydrationPriority::High, 15)
        .unwrap();
    if let RestoreTargetInfo::Datasource {
        datasource_auth_credentials,
        ..
    } = &mut got.restore_target_info
    {
        *datasource_auth_credentials = None;
    }
    let skip = [
        ".rehydrationRetentionDuration",
        ".sourceDataStoreType",
        ".restoreTargetInfo.datasourceInfo.datasourceType",
        ".restoreTargetInfo.datasourceInfo.resourceLocation",
        ".restoreTargetInfo.datasourceInfo.resourceUri",
        ".restoreTargetInfo.datasourceSetInfo.datasourceType",
        ".restoreTargetInfo.datasourceSetInfo.resourceLocation",
        ".restoreTargetInfo.datasourceSetInfo.resourceUri",
    ];
    assert_matches(&want, &got, &skip);
    let v = serde_json::to_value(&got).unwrap();
    assert_eq!(v["rehydrationRetentionDuration"], "P15D");
    assert_eq!(v["sourceDataStoreType"], "ArchiveStore");
    let base = postgres_database("rp", &target, &secret, "westeurope").unwrap();
    assert_eq!(
        base.clone()
            .from_archive(RehydrationPriority::Standard, 9)
            .unwrap_err()
            .field,
        "rehydration_retention_days"
    );
    assert!(base.from_archive(RehydrationPriority::Standard, 30).is_ok());
}

fn account() -> StorageAccountId {
    format!(
        "/subscriptions/{SUB_EX}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"
    )
    .parse()
    .unwrap()
}

/// A point in time in place: time-based request, OperationalStore, the whole account or prefix
/// ranges (at most ten, each ordered).
#[test]
fn blob_point_in_time_shapes() {
    let t = time::macros::datetime!(2026-03-01 10:30:00 +01:00);
    let whole = serde_json::to_value(blob_point_in_time(&account(), t, &[], "westeurope").unwrap())
        .unwrap();
    assert_eq!(
        whole["objectType"],
        "AzureBackupRecoveryTimeBasedRestoreRequest"
    );
    assert_eq!(whole["recoveryPointTime"], "2026-03-01T09:30:00Z");
    assert_eq!(whole["sourceDataStoreType"], "OperationalStore");
    assert!(whole.get("recoveryPointId").is_none());
    assert_eq!(
        whole["restoreTargetInfo"]["objectType"],
        "RestoreTargetInfo"
    );
    assert_eq!(whole["restoreTargetInfo"]["recoveryOption"], "FailIfExists");
    assert_eq!(
        whole["restoreTargetInfo"]["datasourceInfo"]["resourceID"],
        account().to_string().as_str()
    );
    let r = |a: &str, b: &str| PrefixRange {
        min: a.into(),
        max: b.into(),
    };
    let ranged = serde_json::to_value(
        blob_point_in_time(&account(), t, &[r("data/a", "data/m")], "westeurope").unwrap(),
    )
    .unwrap();
    assert_eq!(
        ranged["restoreTargetInfo"]["objectType"],
        "ItemLevelRestoreTargetInfo"
    );
    assert_eq!(
        ranged["restoreTargetInfo"]["restoreCriteria"][0],
        json!({"objectType": "RangeBasedItemLevelRestoreCriteria", "minMatchingValue": "data/a", "maxMatchingValue": "data/m"})
    );
    let eleven: Vec<PrefixRange> = (0..11)
        .map(|i| r(&format!("c/{i}"), &format!("c/{i}z")))
        .collect();
    assert_eq!(
        blob_point_in_time(&account(), t, &eleven, "westeurope")
            .unwrap_err()
            .field,
        "prefix_ranges"
    );
    assert_eq!(
        blob_point_in_time(&account(), t, &[r("z", "a")], "westeurope")
            .unwrap_err()
            .field,
        "prefix_ranges"
    );
}

/// AKS: item-level with the cluster criteria; the vault tier adds the staging resource group
/// and account. Cosmos DB: a new account. Elastic SAN: volumes by name.
#[test]
fn cluster_cosmos_and_elastic_san_shapes() {
    let cluster: ManagedClusterId = format!("/subscriptions/{SUB_EX}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks1").parse().unwrap();
    let what = ClusterRestore {
        include_cluster_scope_resources: true,
        included_namespaces: vec!["app".into()],
        ..Default::default()
    };
    let op =
        serde_json::to_value(kubernetes("rp", &cluster, &what, "westeurope").unwrap()).unwrap();
    assert_eq!(op["sourceDataStoreType"], "OperationalStore");
    assert_eq!(
        op["restoreTargetInfo"]["restoreCriteria"][0],
        json!({"objectType": "KubernetesClusterRestoreCriteria", "includeClusterScopeResources": true, "includedNamespaces": ["app"]})
    );
    let staging = ClusterRestore {
        staging: Some((
            format!("/subscriptions/{SUB_EX}/resourceGroups/staging")
                .parse()
                .unwrap(),
            account(),
        )),
        ..what
    };
    let vt =
        serde_json::to_value(kubernetes("rp", &cluster, &staging, "westeurope").unwrap()).unwrap();
    assert_eq!(vt["sourceDataStoreType"], "VaultStore");
    let c = &vt["restoreTargetInfo"]["restoreCriteria"][0];
    assert_eq!(c["objectType"], "KubernetesClusterVaultTierRestoreCriteria");
    assert_eq!(c["stagingStorageAccountId"], account().to_string().as_str());

    let cosmos: CosmosDbAccountId = format!("/subscriptions/{SUB_EX}/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/restored").parse().unwrap();
    let v = serde_json::to_value(cosmos_db("rp", &cosmos, "westeurope").unwrap()).unwrap();
    assert_eq!(v["sourceDataStoreType"], "VaultStore");
    assert_eq!(
        v["restoreTargetInfo"]["datasourceInfo"]["resourceName"],
        "restored"
    );

    let vg: ElasticSanVolumeGroupId = format!("/subscriptions/{SUB_EX}/resourceGroups/rg/providers/Microsoft.ElasticSan/elasticSans/es/volumeGroups/vg").parse().unwrap();
    let vols = [ContainerRestore {
        name: "vol-1".into(),
        rename_to: Some("vol-1-r".into()),
    }];
    let v = serde_json::to_value(elastic_san("rp", &vg, &vols, "westeurope").unwrap()).unwrap();
    assert_eq!(
        v["restoreTargetInfo"]["restoreCriteria"][0],
        json!({"objectType": "GenericRestoreDatasourceCriteria", "itemPath": "vol-1", "renameTo": "vol-1-r"})
    );
    assert_eq!(
        elastic_san("rp", &vg, &[], "westeurope").unwrap_err().field,
        "volumes"
    );
}
