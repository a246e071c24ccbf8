//! The emulator's answers have the structure of the published REST examples: same status
//! codes, same headers on long-running answers, same keys with the same JSON types — apart from
//! a short, documented list where real traffic differs from the examples.
//!
//! The examples are the repository's copies in `tests/fixtures/azure/examples` (sources and
//! licence in `tests/fixtures/azure/README.md`).

#[path = "emulator_support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};
use support::*;

/// The published examples (copied into the repository); their absence fails the test rather
/// than passing it unchecked.
fn examples_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/azure/examples"
    ));
    assert!(
        dir.is_dir(),
        "the published examples are not at {}",
        dir.display()
    );
    dir
}

fn example(dir: &std::path::Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key path (`a.b[].c`) with its JSON type.
fn shape(v: &Value, prefix: &str, out: &mut BTreeMap<String, &'static str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone(), type_name(x));
                shape(x, &p, out);
            }
        }
        Value::Array(a) => {
            if let Some(first) = a.first() {
                shape(first, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn covered(path: &str, list: &[&str]) -> bool {
    let path = path.strip_prefix("value[].").unwrap_or(path);
    list.iter().any(|p| {
        path == *p || path.starts_with(&format!("{p}.")) || path.starts_with(&format!("{p}[]"))
    })
}

/// Same keys and types, except `may_lack` (keys of the example the service does not send) and
/// `may_add` (keys real traffic has that the example lacks).
#[track_caller]
fn assert_same_shape(
    what: &str,
    ours: &Value,
    theirs: &Value,
    may_lack: &[&str],
    may_add: &[&str],
) {
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    shape(ours, "", &mut a);
    shape(theirs, "", &mut b);
    for (path, ty) in &b {
        if covered(path, may_lack) {
            continue;
        }
        match a.get(path) {
            None => panic!("{what}: missing key {path}\nours: {ours}"),
            Some(t) if t != ty && *ty != "null" && *t != "null" => {
                panic!("{what}: {path} is {t}, the example has {ty}")
            }
            _ => {}
        }
    }
    for path in a.keys() {
        assert!(
            b.contains_key(path) || covered(path, may_add),
            "{what}: extra key {path} not in the example\nours: {ours}"
        );
    }
}

fn header_names(example_resp: &Value) -> Vec<String> {
    example_resp["headers"]
        .as_object()
        .map(|h| h.keys().map(|k| k.to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

#[track_caller]
fn assert_headers(what: &str, answer: &Answer, example_resp: &Value) {
    for h in header_names(example_resp) {
        assert!(
            answer.headers.contains_key(h.as_str()),
            "{what}: header {h} missing"
        );
    }
}

/// The example's PostgreSQL database instance, with this emulator's world IDs.
fn pg_body(dir: &std::path::Path, file: &str) -> Value {
    let mut ex = example(dir, file)["parameters"]["parameters"].clone();
    let p = &mut ex["properties"];
    let want = pg_props("appdb");
    for k in [
        "dataSourceInfo",
        "dataSourceSetInfo",
        "datasourceAuthCredentials",
    ] {
        if p.get(k).is_some() {
            p[k] = want[k].clone();
        }
    }
    p["policyInfo"]["policyId"] = json!(policy("policy-postgres"));
    if p.get("identityDetails").is_some() {
        p["identityDetails"]["userAssignedIdentityArmUrl"] = json!(format!(
            "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"
        ));
    }
    ex
}

/// 2021-01-01: PUT 201, GET, LIST, operation status, validate 202, delete 202/204, operation result.
#[tokio::test]
async fn answers_match_the_2021_01_01_examples() {
    let dir = examples_dir();
    let dir = dir.join("2021-01-01");
    let emu = start_fast().await;
    // Keep the PUT operation running so the instance can be read while it is in flight.
    emu.knobs(json!({"put_ms": 60000})).await;
    let body = pg_body(&dir, "PutBackupInstance.json");
    let put_ex = example(&dir, "PutBackupInstance.json");
    let put = emu.put(&emu.instance_path("bi-pg", OLD), &body).await;
    assert_eq!(put.status, 201);
    assert!(put_ex["responses"]["201"].is_object());
    assert_headers("PUT 201", &put, &put_ex["responses"]["201"]);
    // Real traffic: no policyVersion, plus currentProtectionState.
    let lack = ["properties.policyInfo.policyVersion"];
    let add = [
        "properties.currentProtectionState",
        "properties.policyInfo.policyParameters",
    ];
    assert_same_shape(
        "PUT 201",
        &put.body,
        &put_ex["responses"]["201"]["body"],
        &lack,
        &add,
    );

    let get = emu.get(&emu.instance_path("bi-pg", OLD)).await;
    assert_same_shape(
        "GET",
        &get.body,
        &example(&dir, "GetBackupInstance.json")["responses"]["200"]["body"],
        &lack,
        &add,
    );
    let list = emu
        .get(&format!("{}/backupInstances?api-version={OLD}", vault()))
        .await;
    assert_same_shape(
        "LIST",
        &list.body,
        &example(&dir, "ListBackupInstances.json")["responses"]["200"]["body"],
        &lack,
        &add,
    );

    let status = emu.get(&put.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(status.status, 200);
    assert_same_shape(
        "operation status",
        &status.body,
        &example(&dir, "GetOperationStatus.json")["responses"]["200"]["body"],
        &[],
        &[],
    );

    emu.knobs(json!({"put_ms": 0, "validate_ms": 60000})).await;
    let validate_ex = example(&dir, "ValidateForBackup.json");
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={OLD}", vault()),
            &json!({"backupInstance": disk_props("disk-1", "policy-disk")}),
        )
        .await;
    assert_eq!(v.status, 202);
    assert_headers("validate 202", &v, &validate_ex["responses"]["202"]);
    let result_ex = example(&dir, "GetOperationResult.json");
    let r = emu.get(&v.header("location").unwrap()).await;
    assert_eq!(r.status, 202);
    assert_headers("operation result 202", &r, &result_ex["responses"]["202"]);
    emu.admin(reqwest::Method::POST, "/operations/finish", None)
        .await;
    emu.knobs(json!({"validate_ms": 0})).await;
    let r = emu.get(&v.header("location").unwrap()).await;
    assert_eq!(r.status, 200);
    // Real traffic answers {"objectType":"OperationJobExtendedInfo"} for a validation (no jobId).
    assert_same_shape(
        "operation result 200",
        &r.body,
        &result_ex["responses"]["200"]["body"],
        &["jobId"],
        &["objectType"],
    );

    let del_ex = example(&dir, "DeleteBackupInstance.json");
    emu.protect("bi-disk", &disk_props("disk-1", "policy-disk"), OLD)
        .await;
    let d = emu.delete(&emu.instance_path("bi-disk", OLD)).await;
    assert_eq!(d.status, 202);
    assert_headers("DELETE 202", &d, &del_ex["responses"]["202"]);
    emu.poll(&d.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(
        emu.delete(&emu.instance_path("bi-disk", OLD)).await.status,
        204
    );
    assert!(del_ex["responses"]["204"].is_object());
}

/// 2026-06-01 examples against the emulator's 2025-07-01: PUT 201 and 202, GET, operation
/// status at vault scope, the backup instance operation result, delete.
#[tokio::test]
async fn answers_match_the_2026_06_01_examples() {
    let dir = examples_dir();
    let dir = dir.join("2026-06-01");
    let emu = start_fast().await;
    // The example's identityDetails names a user-assigned identity, which must be attached.
    let mut world = emu.admin(reqwest::Method::GET, "/world", None).await.body;
    world["vaults"][0]["user_assigned_identities"] = json!([format!(
        "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"
    )]);
    emu.admin(reqwest::Method::PUT, "/world", Some(&world))
        .await;
    emu.knobs(json!({"put_ms": 60000})).await;
    let put_ex = example(&dir, "PutBackupInstance.json");
    let body = pg_body(&dir, "PutBackupInstance.json");
    let put = emu.put(&emu.instance_path("bi-pg", NEW), &body).await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert_headers("PUT 201", &put, &put_ex["responses"]["201"]);
    let lack = ["properties.policyInfo.policyVersion"];
    // Real traffic echoes currentProtectionState and the credentials (value null); the request's
    // identityDetails/validationType are echoed too.
    let add = [
        "properties.currentProtectionState",
        "properties.datasourceAuthCredentials",
        "properties.identityDetails",
        "properties.validationType",
    ];
    assert_same_shape(
        "PUT 201",
        &put.body,
        &put_ex["responses"]["201"]["body"],
        &lack,
        &add,
    );
    let get = emu.get(&emu.instance_path("bi-pg", NEW)).await;
    let get_ex = example(&dir, "GetBackupInstance.json");
    assert_same_shape(
        "GET",
        &get.body,
        &get_ex["responses"]["200"]["body"],
        &lack,
        &[
            "properties.currentProtectionState",
            "properties.datasourceAuthCredentials",
            "properties.validationType",
            "properties.policyInfo.policyParameters",
        ],
    );

    let ao = put.header("azure-asyncoperation").unwrap();
    let status = emu.get(&ao).await;
    let status_ex =
        example(&dir, "GetOperationStatusVaultContext.json")["responses"]["200"]["body"].clone();
    assert_same_shape("operation status", &status.body, &status_ex, &[], &[]);
    let id = status.body["id"].as_str().unwrap();
    assert!(
        id.starts_with(&format!("{}/operationStatus/", vault())),
        "{id}"
    );

    // Update: 202 with Location to the instance's operationResults.
    emu.admin(
        reqwest::Method::POST,
        "/operations/finish",
        Some(&json!({})),
    )
    .await;
    emu.poll(&ao).await;
    let upd = emu.put(&emu.instance_path("bi-pg", NEW), &body).await;
    assert_eq!(upd.status, 202);
    assert_headers("PUT 202", &upd, &put_ex["responses"]["202"]);
    let res_ex = example(&dir, "GetBackupInstanceOperationResult.json");
    let r = emu.get(&upd.header("location").unwrap()).await;
    assert_eq!(r.status, 202);
    assert_headers("BI operation result 202", &r, &res_ex["responses"]["202"]);
    emu.admin(reqwest::Method::POST, "/operations/finish", None)
        .await;
    let r = emu.get(&upd.header("location").unwrap()).await;
    assert_eq!(r.status, 200);
    // That example's instance was created without policyParameters; ours echoes what was sent.
    let add_params = [add.as_slice(), &["properties.policyInfo.policyParameters"]].concat();
    assert_same_shape(
        "BI operation result 200",
        &r.body,
        &res_ex["responses"]["200"]["body"],
        &lack,
        &add_params,
    );

    let del_ex = example(&dir, "DeleteBackupInstance.json");
    let d = emu.delete(&emu.instance_path("bi-pg", NEW)).await;
    assert_eq!(d.status, 202);
    assert_headers("DELETE 202", &d, &del_ex["responses"]["202"]);
    emu.poll(&d.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(
        emu.delete(&emu.instance_path("bi-pg", NEW)).await.status,
        204
    );
}
