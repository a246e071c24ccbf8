//! The newer datasource kinds (blob, Data Lake Storage, AKS, MySQL flexible server, Cosmos DB,
//! Elastic SAN volume group) against the default world: a valid body is accepted and read back,
//! and each wrong type, set, parameter, role or api-version is refused as the service would.

#[path = "emulator_kinds_support.rs"]
mod bodies;

use bodies::*;
use reqwest::Method;
use serde_json::{Value, json};

/// The vault and api-version a body is sent with.
fn target(props: &Value) -> (String, &'static str) {
    let policy = props["policyInfo"]["policyId"].as_str().unwrap();
    if policy.contains("vault-secure") {
        (secure_vault(), ESAN_API)
    } else {
        (vault(), NEW)
    }
}

async fn validate_in(emu: &Emu, vault: &str, api: &str, props: &Value) -> Answer {
    emu.post(
        &format!("{vault}/validateForBackup?api-version={api}"),
        &json!({"backupInstance": props}),
    )
    .await
}

/// validateForBackup's synchronous answer, or the final operation status.
async fn validate(emu: &Emu, props: &Value) -> Result<Value, Answer> {
    let (v, api) = target(props);
    let a = validate_in(emu, &v, api, props).await;
    if a.status != 202 {
        return Err(a);
    }
    Ok(emu.poll(&a.header("azure-asyncoperation").unwrap()).await)
}

/// The final status of a validation the service accepted.
async fn accepted(emu: &Emu, props: &Value) -> Value {
    match validate(emu, props).await {
        Ok(st) => st,
        Err(a) => panic!("validate refused: {}", a.text),
    }
}

async fn refused(emu: &Emu, props: &Value) -> Answer {
    match validate(emu, props).await {
        Err(a) => a,
        Ok(st) => panic!("expected a synchronous refusal, got the operation {st}"),
    }
}

/// validate → PUT → poll; returns the instance as GET shows it.
async fn protect(emu: &Emu, name: &str, props: &Value) -> Value {
    let st = accepted(emu, props).await;
    assert_eq!(st["status"], "Succeeded", "validation: {st}");
    let (v, api) = target(props);
    let path = format!("{v}/backupInstances/{name}?api-version={api}");
    let p = emu.put(&path, &json!({"properties": props})).await;
    assert_eq!(p.status, 201, "put: {}", p.text);
    let done = emu.poll(&p.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(done["status"], "Succeeded", "put: {done}");
    let g = emu.get(&path).await;
    assert_eq!(g.status, 200, "{}", g.text);
    g.body
}

fn all_kinds() -> Vec<(&'static str, Value)> {
    vec![
        ("bi-blob", blob_operational()),
        ("bi-blob-vaulted", blob_vaulted(&["data", "logs"])),
        ("bi-adls", adls(&["raw"])),
        ("bi-aks", aks(&["default", "web"])),
        ("bi-mysql", mysql_props()),
        ("bi-cosmos", cosmos_props()),
        ("bi-esan", esan_props(&["vol-1"])),
    ]
}

/// Every kind's valid body passes validate and PUT, and GET renders what was sent.
#[tokio::test]
async fn every_kind_is_accepted_and_read_back() {
    let emu = start_fast().await;
    for (i, (name, props)) in all_kinds().into_iter().enumerate() {
        // The two blob bodies protect one account: the second goes after the first is deleted.
        if i == 1 {
            let path = format!("{}/backupInstances/bi-blob?api-version={NEW}", vault());
            assert_eq!(emu.delete(&path).await.status, 202);
            emu.admin(Method::POST, "/operations/finish", Some(&json!({})))
                .await;
        }
        let got = protect(&emu, name, &props).await;
        let p = &got["properties"];
        assert_eq!(
            p["dataSourceInfo"]["datasourceType"], props["dataSourceInfo"]["datasourceType"],
            "{name}"
        );
        assert_eq!(
            p["policyInfo"]["policyParameters"], props["policyInfo"]["policyParameters"],
            "{name}: parameters are stored and rendered as sent"
        );
        match props.get("dataSourceSetInfo") {
            Some(set) => {
                assert_eq!(p["dataSourceSetInfo"]["resourceID"], set["resourceID"]);
                assert_eq!(
                    p["dataSourceSetInfo"]["datasourceType"],
                    set["datasourceType"]
                );
            }
            None => assert!(p.get("dataSourceSetInfo").is_none(), "{name}"),
        }
        assert_eq!(
            p["currentProtectionState"], "ProtectionConfigured",
            "{name}"
        );
    }
}

/// A datasource type that is not the resource's is refused, and a storage account's type must
/// fit its hierarchical namespace.
#[tokio::test]
async fn wrong_datasource_type_is_refused() {
    let emu = start_fast().await;
    for (name, mut props) in all_kinds() {
        props["dataSourceInfo"]["datasourceType"] = json!("Microsoft.Compute/disks");
        let a = refused(&emu, &props).await;
        assert_eq!(
            (a.status, a.code()),
            (400, "UserErrorDatasourceTypeMismatch"),
            "{name}: {}",
            a.text
        );
    }
    // Blob on the Data Lake account, Data Lake on the plain one.
    let mut on_lake = blob_operational();
    for f in ["dataSourceInfo", "dataSourceSetInfo"] {
        on_lake[f]["resourceID"] = json!(account("stlakedemo"));
    }
    let a = refused(&emu, &on_lake).await;
    assert_eq!(
        a.code(),
        "UserErrorStorageAccountHierarchicalNamespaceMismatch"
    );
    assert!(a.text.contains("adlsBlobServices"), "{}", a.text);
    let mut plain = adls(&["data"]);
    for f in ["dataSourceInfo", "dataSourceSetInfo"] {
        plain[f]["resourceID"] = json!(account("stbackupdemo"));
    }
    assert_eq!(
        refused(&emu, &plain).await.code(),
        "UserErrorStorageAccountHierarchicalNamespaceMismatch"
    );
    // A policy of another type.
    let mut p = aks(&[]);
    p["policyInfo"]["policyId"] = json!(policy("policy-blob"));
    assert_eq!(
        refused(&emu, &p).await.code(),
        "UserErrorPolicyDatasourceTypeMismatch"
    );
}

/// dataSourceSetInfo must be what the kind's table says.
#[tokio::test]
async fn wrong_set_info_is_refused() {
    let emu = start_fast().await;
    let invalid = "UserErrorInvalidRequestParameter";
    // A set naming another resource.
    for (name, mut props) in all_kinds() {
        props["dataSourceSetInfo"] = datasource(
            "DatasourceSet",
            &disk("disk-1"),
            "Microsoft.Compute/disks",
            props["dataSourceInfo"]["datasourceType"].as_str().unwrap(),
        );
        let a = refused(&emu, &props).await;
        assert_eq!((a.status, a.code()), (400, invalid), "{name}: {}", a.text);
        assert!(
            a.text.contains("dataSourceSetInfo.resourceID"),
            "{name}: {}",
            a.text
        );
    }
    // A missing set where one is required.
    for mut props in [aks(&[]), esan_props(&["vol-1"])] {
        props.as_object_mut().unwrap().remove("dataSourceSetInfo");
        let a = refused(&emu, &props).await;
        assert_eq!(a.code(), invalid, "{}", a.text);
        assert!(
            a.text.contains("dataSourceSetInfo is required"),
            "{}",
            a.text
        );
    }
    // Blob, Data Lake, MySQL and Cosmos DB may leave the set out.
    for mut props in [
        blob_operational(),
        adls(&["raw"]),
        mysql_props(),
        cosmos_props(),
    ] {
        props.as_object_mut().unwrap().remove("dataSourceSetInfo");
        assert_eq!(accepted(&emu, &props).await["status"], "Succeeded");
    }
    // Elastic SAN: the set is the parent, not the volume group itself.
    let mut e = esan_props(&["vol-1"]);
    e["dataSourceSetInfo"]["resourceID"] = json!(volume_group());
    assert_eq!(refused(&emu, &e).await.code(), invalid);
    // Data Lake: a set without resourceLocation or datasourceType.
    for field in ["resourceLocation", "datasourceType"] {
        let mut d = adls(&["raw"]);
        d["dataSourceSetInfo"]
            .as_object_mut()
            .unwrap()
            .remove(field);
        let a = refused(&emu, &d).await;
        assert_eq!(
            (a.status, a.code()),
            (400, "UserErrorDataSourceAndDatasourceSetLocationNotSame"),
            "{field}: {}",
            a.text
        );
        let info = &a.body["error"]["additionalInfo"][0]["info"];
        assert!(!info["recommendedAction"].as_array().unwrap().is_empty());
    }
}

/// Missing or misplaced parameters are refused per kind.
#[tokio::test]
async fn missing_or_wrong_parameters_are_refused() {
    let emu = start_fast().await;
    let invalid = "UserErrorInvalidRequestParameter";
    let mut cases: Vec<(&str, Value, &str)> = Vec::new();
    let mut v = blob_vaulted(&[]);
    v["policyInfo"]
        .as_object_mut()
        .unwrap()
        .remove("policyParameters");
    cases.push(("vaulted blob without containers", v, invalid));
    cases.push(("vaulted blob, empty list", blob_vaulted(&[]), invalid));
    cases.push((
        "vaulted blob, unknown container",
        blob_vaulted(&["nope"]),
        "UserErrorContainerNotFound",
    ));
    let mut op = blob_vaulted(&["data"]);
    op["policyInfo"]["policyId"] = json!(policy("policy-blob"));
    cases.push(("operational blob with containers", op, invalid));
    let mut a = adls(&["raw"]);
    a["policyInfo"]
        .as_object_mut()
        .unwrap()
        .remove("policyParameters");
    cases.push(("adls without containers", a, invalid));
    cases.push((
        "adls, unknown container",
        adls(&["data"]),
        "UserErrorContainerNotFound",
    ));
    for field in ["snapshotVolumes", "includeClusterScopeResources"] {
        let mut k = aks(&[]);
        k["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0]
            .as_object_mut()
            .unwrap()
            .remove(field);
        cases.push(("aks without a required boolean", k, invalid));
    }
    let mut k = aks(&[]);
    k["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0]["includedVolumeTypes"] =
        json!(["NFS"]);
    cases.push(("aks, unknown volume type", k, invalid));
    let mut k = aks(&[]);
    k["policyInfo"]["policyParameters"]
        .as_object_mut()
        .unwrap()
        .remove("dataStoreParametersList");
    cases.push(("aks without snapshot resource group", k, invalid));
    let mut k = aks(&[]);
    k["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["resourceGroupId"] =
        json!(format!("/subscriptions/{SUB}/resourceGroups/rg-nope"));
    cases.push((
        "aks, unknown snapshot resource group",
        k,
        "ResourceGroupNotFound",
    ));
    cases.push((
        "esan, two selectors",
        esan_props(&["vol-1", "vol-2"]),
        invalid,
    ));
    cases.push(("esan, no selector", esan_props(&[]), invalid));
    cases.push((
        "esan, unknown volume",
        esan_props(&["vol-9"]),
        "UserErrorElasticSanVolumeNotFound",
    ));
    let mut e = esan_props(&["vol-1"]);
    e["policyInfo"]["policyParameters"]
        .as_object_mut()
        .unwrap()
        .remove("dataStoreParametersList");
    cases.push(("esan without snapshot resource group", e, invalid));
    for (label, mut props) in [("mysql", mysql_props()), ("cosmos", cosmos_props())] {
        props["policyInfo"]["policyParameters"] =
            json!({"dataStoreParametersList": [store_params()]});
        cases.push((label, props, invalid));
    }
    for (label, props, code) in cases {
        let a = refused(&emu, &props).await;
        assert_eq!(a.code(), code, "{label}: {}", a.text);
        assert!(a.status == 400 || a.status == 404, "{label}");
    }
    // The volume may also be named by its full ID.
    let full = format!("{}/volumes/vol-2", volume_group());
    let st = accepted(&emu, &esan_props(&[&full])).await;
    assert_eq!(st["status"], "Succeeded", "{st}");
}

/// Each kind's roles are checked inside the operation, for the vault's identity and (AKS) the
/// cluster's own.
#[tokio::test]
async fn missing_roles_fail_the_operation() {
    let emu = start_fast().await;
    let cases = [
        (
            blob_vaulted(&["data"]),
            PRINCIPAL,
            account("stbackupdemo"),
            "Storage Account Backup Contributor",
        ),
        (
            adls(&["raw"]),
            PRINCIPAL,
            account("stlakedemo"),
            "Storage Account Backup Contributor",
        ),
        (aks(&[]), PRINCIPAL, snapshots_rg(), "Reader"),
        (aks(&[]), CLUSTER_PRINCIPAL, snapshots_rg(), "Contributor"),
        (
            mysql_props(),
            PRINCIPAL,
            mysql(),
            "MySQL Backup And Export Operator",
        ),
        (cosmos_props(), PRINCIPAL, cosmos(), "Cosmos DB Operator"),
        (
            esan_props(&["vol-1"]),
            SECURE_PRINCIPAL,
            volume_group(),
            "Elastic SAN Snapshot Exporter",
        ),
        (
            esan_props(&["vol-1"]),
            SECURE_PRINCIPAL,
            snapshots_rg(),
            "Disk Snapshot Contributor",
        ),
    ];
    for (props, principal, scope, role) in cases {
        let grant = json!({"principal_id": principal, "scope": scope, "role": role});
        let r = emu.admin(Method::DELETE, "/grants", Some(&grant)).await;
        assert_eq!(r.body["removed"], 1, "{role} on {scope}");
        let st = accepted(&emu, &props).await;
        assert_eq!(st["status"], "Failed", "{role}: {st}");
        assert_eq!(st["error"]["code"], "UserErrorMissingRequiredPermissions");
        let detail = st["error"]["additionalInfo"][0]["info"]["innerError"]["additionalInfo"]
            ["DetailedNonLocalisedMessage"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(detail.contains(principal), "{detail}");
        assert!(
            detail.contains(&format!("role needed: '{role}'")),
            "{detail}"
        );
        assert!(detail.contains(&scope), "{detail}");
        let r = emu.admin(Method::POST, "/grants", Some(&grant)).await;
        assert_eq!(r.status, 201);
        let st = accepted(&emu, &props).await;
        assert_eq!(st["status"], "Succeeded", "{role} granted again: {st}");
    }
}

/// Elastic SAN exists only in 2026-06-01; AKS and Data Lake not in 2021-01-01; blob parameters
/// are unknown there (so a vaulted blob body lacks its containers).
#[tokio::test]
async fn api_versions_without_the_kind_refuse_it() {
    let emu = start_fast().await;
    let e = esan_props(&["vol-1"]);
    let a = validate_in(&emu, &secure_vault(), NEW, &e).await;
    assert_eq!(
        (a.status, a.code()),
        (400, "UserErrorDatasourceTypeNotSupportedInApiVersion"),
        "{}",
        a.text
    );
    assert!(
        a.text.contains(ESAN_VG) && a.text.contains(NEW),
        "{}",
        a.text
    );
    let path = format!(
        "{}/backupInstances/bi-esan?api-version={NEW}",
        secure_vault()
    );
    let p = emu.put(&path, &json!({"properties": e})).await;
    assert_eq!(p.code(), "UserErrorDatasourceTypeNotSupportedInApiVersion");
    for props in [aks(&[]), adls(&["raw"])] {
        let a = validate_in(&emu, &vault(), OLD, &props).await;
        assert_eq!(
            a.code(),
            "UserErrorDatasourceTypeNotSupportedInApiVersion",
            "{}",
            a.text
        );
    }
    let a = validate_in(&emu, &vault(), OLD, &blob_vaulted(&["data"])).await;
    assert_eq!(a.code(), "UserErrorInvalidRequestParameter", "{}", a.text);
    let ok = validate_in(&emu, &vault(), OLD, &blob_operational()).await;
    assert_eq!(ok.status, 202, "{}", ok.text);
}

/// A PUT with changed AKS parameters or blob containers updates the instance in place.
#[tokio::test]
async fn parameters_change_in_place() {
    let emu = start_fast().await;
    for (name, before, after) in [
        ("bi-aks", aks(&["default"]), aks(&["default", "web", "api"])),
        (
            "bi-blob",
            blob_vaulted(&["data"]),
            blob_vaulted(&["data", "logs"]),
        ),
    ] {
        protect(&emu, name, &before).await;
        let path = emu.instance_path(name, NEW);
        let p = emu.put(&path, &json!({"properties": after})).await;
        assert_eq!(p.status, 202, "{name}: {}", p.text);
        let done = emu.poll(&p.header("azure-asyncoperation").unwrap()).await;
        assert_eq!(done["status"], "Succeeded", "{done}");
        let g = emu.get(&path).await;
        assert_eq!(
            g.body["properties"]["policyInfo"]["policyParameters"],
            after["policyInfo"]["policyParameters"]
        );
    }
    // An update is checked like a create.
    let p = emu
        .put(
            &emu.instance_path("bi-blob", NEW),
            &json!({"properties": blob_vaulted(&["nope"])}),
        )
        .await;
    assert_eq!(p.code(), "UserErrorContainerNotFound");
}

/// The AKS cluster GET (any api-version) with its identity; vaults' identities.
#[tokio::test]
async fn cluster_and_vault_identities_are_served() {
    let emu = start_fast().await;
    let g = emu
        .get(&format!("{}?api-version=2024-05-01", cluster()))
        .await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body["id"], cluster());
    assert_eq!(g.body["name"], "aks-demo");
    assert_eq!(g.body["type"], AKS);
    assert_eq!(g.body["location"], "westeurope");
    assert_eq!(
        g.body["identity"],
        json!({"type": "SystemAssigned", "principalId": CLUSTER_PRINCIPAL, "tenantId": TENANT})
    );
    let other = emu
        .get(&format!("{}?api-version=2099-01-01", cluster()))
        .await;
    assert_eq!(other.status, 200);
    let missing = emu
        .get(&format!(
            "{}/providers/Microsoft.ContainerService/managedClusters/nope?api-version=2024-05-01",
            data_rg()
        ))
        .await;
    assert_eq!((missing.status, missing.code()), (404, "ResourceNotFound"));
    assert!(missing.text.contains("managedClusters/nope"));
    let no_version = emu.get(&cluster()).await;
    assert_eq!(no_version.code(), "MissingApiVersionParameter");

    let v = emu
        .get(&format!("{}?api-version={ESAN_API}", secure_vault()))
        .await;
    assert_eq!(v.status, 200, "{}", v.text);
    assert_eq!(v.body["identity"]["principalId"], SECURE_PRINCIPAL);
    assert_eq!(
        v.body["properties"]["securitySettings"]["softDeleteSettings"]["state"],
        "AlwaysOn"
    );

    // A policy shows its data store in its default retention rule.
    let pol = emu
        .get(&format!(
            "{}?api-version={NEW}",
            policy("policy-blob-vaulted")
        ))
        .await;
    assert_eq!(pol.body["properties"]["datasourceTypes"], json!([BLOB]));
    let default_rule = pol.body["properties"]["policyRules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["objectType"] == "AzureRetentionRule" && r["isDefault"] == true)
        .cloned()
        .unwrap();
    assert_eq!(
        default_rule["lifecycles"][0]["sourceDataStore"]["dataStoreType"],
        "VaultStore"
    );

    // User-assigned identities: bare IDs get stable derived IDs, explicit ones are shown.
    let uami = |n: &str| {
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{n}"
        )
    };
    let mut world = emu.admin(Method::GET, "/world", None).await.body;
    world["vaults"][0]["user_assigned_identities"] = json!([
        uami("plain"),
        {"id": uami("set"), "principal_id": "77777777-7777-7777-7777-777777777777", "client_id": "88888888-8888-8888-8888-888888888888"}
    ]);
    let r = emu.admin(Method::PUT, "/world", Some(&world)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = emu.get(&format!("{}?api-version={NEW}", vault())).await;
    let ids = &v.body["identity"]["userAssignedIdentities"];
    assert_eq!(
        ids[uami("set")],
        json!({"principalId": "77777777-7777-7777-7777-777777777777", "clientId": "88888888-8888-8888-8888-888888888888"})
    );
    let plain = &ids[uami("plain")];
    assert!(
        plain["principalId"].as_str().unwrap().len() == 36,
        "{plain}"
    );
    assert_ne!(plain["principalId"], plain["clientId"]);
    let again = emu.get(&format!("{}?api-version={NEW}", vault())).await;
    assert_eq!(
        &again.body["identity"]["userAssignedIdentities"][uami("plain")],
        plain
    );
    // The world file keeps the short form for bare IDs.
    let w = emu.admin(Method::GET, "/world", None).await.body;
    assert_eq!(
        w["vaults"][0]["user_assigned_identities"][0],
        json!(uami("plain"))
    );
}
