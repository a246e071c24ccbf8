//! Restores per kind over HTTP against the default world: validateRestore and restore
//! (operations ending in a restore job), findRestorableTimeRanges, what a completed restore
//! changes in the world, and the refused combinations (synchronous 400s for request shapes a
//! kind does not take, failed operations for what the world forbids). Fixtures in
//! tests/fixtures/restore (published examples and the CLI's recorded disk restore).

#[path = "emulator_kinds_support.rs"]
mod bodies;

use bodies::*;
use reqwest::Method;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let p = format!(
        "{}/tests/fixtures/restore/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&p).expect(&p)).expect(&p)
}

const LOC: &str = "westeurope";

/// An emulator whose operations end at once and whose jobs end at their next read.
async fn emulator() -> Emu {
    let emu = start_fast().await;
    emu.knobs(json!({"trigger_ms": 0, "job_ms": 0})).await;
    emu
}

/// Where an instance of these props lives: its vault and api-version.
fn place(props: &Value) -> (String, &'static str) {
    if props["policyInfo"]["policyId"]
        .as_str()
        .unwrap()
        .contains("vault-secure")
    {
        (secure_vault(), ESAN_API)
    } else {
        (vault(), NEW)
    }
}

struct Bi {
    api: &'static str,
    id: String,
}

impl Bi {
    fn url(&self, tail: &str) -> String {
        format!("{}{tail}?api-version={}", self.id, self.api)
    }
}

async fn protect(emu: &Emu, name: &str, props: &Value) -> Bi {
    let (vault, api) = place(props);
    let v = emu
        .post(
            &format!("{vault}/validateForBackup?api-version={api}"),
            &json!({"backupInstance": props}),
        )
        .await;
    assert_eq!(v.status, 202, "validate: {}", v.text);
    emu.poll(&v.header("azure-asyncoperation").unwrap()).await;
    let id = format!("{vault}/backupInstances/{name}");
    let p = emu
        .put(
            &format!("{id}?api-version={api}"),
            &json!({"properties": props}),
        )
        .await;
    assert_eq!(p.status, 201, "put: {}", p.text);
    let st = emu.poll(&p.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(st["status"], "Succeeded", "{st}");
    emu.admin(Method::POST, "/operations/finish", None).await;
    Bi { api, id }
}

/// A scheduled backup now; returns the newest recovery point's ID.
async fn point(emu: &Emu, bi: &Bi) -> String {
    let r = emu
        .admin(
            Method::POST,
            "/schedule/run",
            Some(&json!({"instance": bi.id})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let l = emu.get(&bi.url("/recoveryPoints")).await;
    assert_eq!(l.status, 200, "{}", l.text);
    l.body["value"][0]["properties"]["recoveryPointId"]
        .as_str()
        .unwrap_or_else(|| panic!("no recovery point: {}", l.text))
        .to_string()
}

fn datasource_info(id: &str, dtype: &str) -> Value {
    let name = id.rsplit('/').next().unwrap();
    json!({"objectType": "Datasource", "resourceID": id, "resourceName": name,
           "resourceType": dtype, "resourceUri": id, "resourceLocation": LOC, "datasourceType": dtype})
}

fn whole(id: &str, dtype: &str) -> Value {
    json!({"objectType": "RestoreTargetInfo", "recoveryOption": "FailIfExists",
           "restoreLocation": LOC, "datasourceInfo": datasource_info(id, dtype)})
}

fn items(id: &str, dtype: &str, criteria: Value) -> Value {
    json!({"objectType": "ItemLevelRestoreTargetInfo", "recoveryOption": "FailIfExists",
           "restoreLocation": LOC, "datasourceInfo": datasource_info(id, dtype), "restoreCriteria": criteria})
}

fn files(url: &str, prefix: &str) -> Value {
    json!({"objectType": "RestoreFilesTargetInfo", "recoveryOption": "FailIfExists", "restoreLocation": LOC,
           "targetDetails": {"filePrefix": prefix, "restoreTargetLocationType": "AzureBlobs", "url": url}})
}

fn from_point(rp: &str, store: &str, target: Value) -> Value {
    json!({"objectType": "AzureBackupRecoveryPointBasedRestoreRequest", "recoveryPointId": rp,
           "sourceDataStoreType": store, "restoreTargetInfo": target})
}

/// validateRestore: `Ok(final status)` once accepted, `Err(answer)` when refused at once.
async fn validate(emu: &Emu, bi: &Bi, req: &Value) -> Result<Value, Answer> {
    let a = emu
        .post(
            &bi.url("/validateRestore"),
            &json!({"restoreRequestObject": req}),
        )
        .await;
    if a.status != 202 {
        return Err(a);
    }
    Ok(emu.poll(&a.header("azure-asyncoperation").unwrap()).await)
}

/// restore: `Ok((final status, the 202))`, or the synchronous refusal.
async fn restore(emu: &Emu, bi: &Bi, req: &Value) -> Result<(Value, Answer), Answer> {
    let a = emu.post(&bi.url("/restore"), req).await;
    if a.status != 202 {
        return Err(a);
    }
    Ok((
        emu.poll(&a.header("azure-asyncoperation").unwrap()).await,
        a,
    ))
}

async fn job(emu: &Emu, job_id: &str) -> Value {
    let a = emu
        .get(&format!(
            "{job_id}?api-version={}",
            if job_id.contains("vault-secure") {
                ESAN_API
            } else {
                NEW
            }
        ))
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

/// A restore that validates, runs and completes; returns its job.
async fn restored(emu: &Emu, bi: &Bi, req: &Value) -> Value {
    let v = validate(emu, bi, req)
        .await
        .unwrap_or_else(|a| panic!("validateRestore refused: {}", a.text));
    assert_eq!(v["status"], "Succeeded", "validateRestore: {v}");
    let (st, _) = restore(emu, bi, req)
        .await
        .unwrap_or_else(|a| panic!("restore refused: {}", a.text));
    assert_eq!(st["status"], "Succeeded", "restore: {st}");
    let j = job(emu, st["properties"]["jobId"].as_str().unwrap()).await;
    assert_eq!(j["properties"]["operation"], "Restore", "{j}");
    assert_eq!(j["properties"]["status"], "Completed", "{j}");
    j
}

/// The synchronous refusal of a request (both calls answer it the same way).
async fn refused(emu: &Emu, bi: &Bi, req: &Value, code: &str, words: &str) {
    let a = validate(emu, bi, req)
        .await
        .expect_err("validateRestore should refuse");
    assert_eq!((a.status, a.code()), (400, code), "{}", a.text);
    assert!(a.text.contains(words), "{words:?} not in {}", a.text);
    let b = restore(emu, bi, req)
        .await
        .expect_err("restore should refuse");
    assert_eq!(b.status, 400, "{}", b.text);
}

/// A request the service takes but whose checks fail: validateRestore's operation fails with
/// `code`, and so does restore's, which then makes no job.
async fn failed(emu: &Emu, bi: &Bi, req: &Value, code: &str) -> Value {
    let st = validate(emu, bi, req)
        .await
        .unwrap_or_else(|a| panic!("refused at once: {}", a.text));
    assert_eq!(st["status"], "Failed", "{st}");
    assert_eq!(st["error"]["code"], code, "{st}");
    let jobs_before = emu.admin(Method::GET, "/jobs", None).await.body["jobs"]
        .as_array()
        .unwrap()
        .len();
    let (rst, _) = restore(emu, bi, req).await.expect("restore accepted");
    assert_eq!(rst["status"], "Failed", "{rst}");
    assert_eq!(rst["error"]["code"], code);
    assert!(rst.get("properties").is_none(), "no job: {rst}");
    let jobs_after = emu.admin(Method::GET, "/jobs", None).await.body["jobs"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(jobs_before, jobs_after, "a failed restore made a job");
    st
}

async fn world(emu: &Emu) -> Value {
    emu.admin(Method::GET, "/world", None).await.body
}

fn datasource_in<'a>(w: &'a Value, id: &str) -> Option<&'a Value> {
    w["datasources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"].as_str().unwrap().eq_ignore_ascii_case(id))
}

async fn applied(emu: &Emu) -> Vec<Value> {
    emu.admin(Method::GET, "/restores", None).await.body["restores"]
        .as_array()
        .unwrap()
        .clone()
}

/// The drill's path: a disk restored to a new disk. validateRestore makes no job; restore's
/// operation names the job (status and Location); the job carries the recorded extendedInfo;
/// while it runs, another restore or backup of the datasource is refused; when it completes
/// the new disk exists (GET, admin world, admin restores) and can be deleted.
#[tokio::test]
async fn disk_restores_to_a_new_disk() {
    let emu = emulator().await;
    let bi = protect(&emu, "bi-disk", &disk_props("disk-1", "policy-disk")).await;
    let rp = point(&emu, &bi).await;
    emu.knobs(json!({"job_ms": 3_600_000})).await;
    let target = disk("disk-1-restored");
    let req = from_point(
        &rp,
        "OperationalStore",
        whole(&target, "Microsoft.Compute/disks"),
    );

    let v = emu
        .post(
            &bi.url("/validateRestore"),
            &json!({"restoreRequestObject": req}),
        )
        .await;
    assert_eq!(v.status, 202, "{}", v.text);
    let st = emu.poll(&v.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(st["status"], "Succeeded", "{st}");
    assert!(st.get("properties").is_none());
    let loc = emu.get(&v.header("location").unwrap()).await;
    assert_eq!(loc.status, 200);
    assert_eq!(loc.body, json!({"objectType": "OperationJobExtendedInfo"}));

    let (st, a) = restore(&emu, &bi, &req).await.unwrap();
    assert_eq!(st["status"], "Succeeded", "{st}");
    let job_id = st["properties"]["jobId"].as_str().unwrap().to_string();
    assert!(
        job_id.starts_with(&format!("{}/backupJobs/", vault())),
        "{job_id}"
    );
    let loc = emu.get(&a.header("location").unwrap()).await;
    assert_eq!(loc.body["jobId"], job_id.as_str());

    let j = job(&emu, &job_id).await;
    let p = &j["properties"];
    assert_eq!(p["operation"], "Restore");
    assert_eq!(p["status"], "Started");
    assert_eq!(p["isUserTriggered"], true);
    assert_eq!(p["dataSourceId"], disk("disk-1").as_str());
    assert_eq!(p["extendedInfo"]["recoveryDestination"], target.as_str());
    assert_eq!(
        p["extendedInfo"]["sourceRecoverPoint"]["recoveryPointID"],
        rp.as_str()
    );
    let recorded = &fixture("recorded_disk_restore.json")["job"]["properties"];
    for path in [
        "/operation",
        "/operationCategory",
        "/extendedInfo/recoveryDestination",
        "/extendedInfo/sourceRecoverPoint/recoveryPointID",
        "/extendedInfo/sourceRecoverPoint/recoveryPointTime",
        "/extendedInfo/subTasks/0/taskName",
        "/backupInstanceId",
        "/dataSourceType",
        "/startTime",
    ] {
        assert!(recorded.pointer(path).is_some(), "recording lacks {path}");
        assert!(p.pointer(path).is_some(), "job lacks {path}: {j}");
    }

    // One job at a time on the datasource.
    let other = from_point(
        &rp,
        "OperationalStore",
        whole(&disk("disk-1-again"), "Microsoft.Compute/disks"),
    );
    let busy = restore(&emu, &bi, &other).await.expect_err("refused");
    assert_eq!(
        (busy.status, busy.code()),
        (409, "UserErrorAnotherOperationInProgress"),
        "{}",
        busy.text
    );
    let backup = emu
        .post(
            &bi.url("/backup"),
            &json!({"backupRuleOptions": {"ruleName": "BackupHourly", "triggerOption": {}}}),
        )
        .await;
    assert_eq!(backup.status, 409, "{}", backup.text);
    let disk_url = format!("{target}?api-version=2023-04-02");
    assert_eq!(emu.get(&disk_url).await.status, 404);

    emu.admin(Method::POST, "/clock/advance", Some(&json!({"hours": 1})))
        .await;
    let done = job(&emu, &job_id).await;
    assert_eq!(done["properties"]["status"], "Completed", "{done}");
    let g = emu.get(&disk_url).await;
    assert_eq!(g.status, 200, "{}", g.text);
    assert_eq!(g.body["location"], LOC);
    assert_eq!(
        g.body["properties"]["creationData"]["createOption"],
        "Restore"
    );
    assert!(datasource_in(&world(&emu).await, &target).is_some());
    let list = applied(&emu).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["effect"]["type"], "NewResource");
    assert_eq!(list[0]["job_id"], job_id.as_str());

    // FailIfExists: the same target again fails; after deleting the disk it validates.
    failed(&emu, &bi, &req, "UserErrorRestoreTargetAlreadyExists").await;
    let d = emu.delete(&disk_url).await;
    assert_eq!(d.status, 200, "{}", d.text);
    assert_eq!(emu.get(&disk_url).await.status, 404);
    assert_eq!(emu.delete(&disk_url).await.status, 204);
    assert_eq!(
        validate(&emu, &bi, &req).await.unwrap()["status"],
        "Succeeded"
    );
}

/// What a disk restore refuses: other request types, stores and targets at once; a point of
/// another instance, another region, a missing resource group, an existing disk and a missing
/// Disk Restore Operator role in the operation.
#[tokio::test]
async fn disk_restore_refusals() {
    let emu = emulator().await;
    let bi = protect(&emu, "bi-disk", &disk_props("disk-1", "policy-disk")).await;
    let other = protect(&emu, "bi-other", &disk_props("disk-2", "policy-disk")).await;
    let rp = point(&emu, &bi).await;
    let other_rp = point(&emu, &other).await;
    let target = disk("new-disk");
    let t = whole(&target, "Microsoft.Compute/disks");
    let ok = from_point(&rp, "OperationalStore", t.clone());

    let mut timed = ok.clone();
    timed["objectType"] = json!("AzureBackupRecoveryTimeBasedRestoreRequest");
    timed["recoveryPointTime"] = json!("2026-01-01T00:00:00Z");
    refused(
        &emu,
        &bi,
        &timed,
        "UserErrorRestoreTypeNotSupported",
        "AzureBackupRecoveryTimeBasedRestoreRequest",
    )
    .await;
    refused(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", t.clone()),
        "UserErrorRestoreTypeNotSupported",
        "VaultStore",
    )
    .await;
    let item = items(
        &target,
        "Microsoft.Compute/disks",
        json!([{"objectType": "ItemPathBasedRestoreCriteria", "itemPath": "x", "isPathRelativeToBackupItem": true}]),
    );
    refused(
        &emu,
        &bi,
        &from_point(&rp, "OperationalStore", item),
        "UserErrorRestoreTypeNotSupported",
        "ItemLevelRestoreTargetInfo",
    )
    .await;
    let wrong_kind = whole(&account("strestore"), "Microsoft.Compute/disks");
    refused(
        &emu,
        &bi,
        &from_point(&rp, "OperationalStore", wrong_kind),
        "UserErrorInvalidRequestParameter",
        "managed disk",
    )
    .await;
    let mut option = ok.clone();
    option["restoreTargetInfo"]["recoveryOption"] = json!("Overwrite");
    refused(
        &emu,
        &bi,
        &option,
        "UserErrorInvalidRequestParameter",
        "FailIfExists",
    )
    .await;
    let mut src = ok.clone();
    src["sourceResourceId"] = json!(disk("disk-2"));
    refused(
        &emu,
        &bi,
        &src,
        "UserErrorInvalidRequestParameter",
        "sourceResourceId",
    )
    .await;
    let mut uai = ok.clone();
    uai["identityDetails"] = json!({"useSystemAssignedIdentity": false, "userAssignedIdentityArmUrl": "/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z"});
    refused(
        &emu,
        &bi,
        &uai,
        "UserErrorInvalidRequestParameter",
        "not a user-assigned identity",
    )
    .await;
    let missing = emu
        .post(
            &format!("{}/backupInstances/nope/restore?api-version={NEW}", vault()),
            &ok,
        )
        .await;
    assert_eq!(missing.status, 404);

    failed(
        &emu,
        &bi,
        &from_point(&other_rp, "OperationalStore", t.clone()),
        "UserErrorRecoveryPointNotFound",
    )
    .await;
    let mut region = ok.clone();
    region["restoreTargetInfo"]["restoreLocation"] = json!("northeurope");
    failed(&emu, &bi, &region, "UserErrorRestoreLocationNotSupported").await;
    let no_rg = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-missing/providers/Microsoft.Compute/disks/d"
    );
    failed(
        &emu,
        &bi,
        &from_point(
            &rp,
            "OperationalStore",
            whole(&no_rg, "Microsoft.Compute/disks"),
        ),
        "ResourceGroupNotFound",
    )
    .await;
    failed(
        &emu,
        &bi,
        &from_point(
            &rp,
            "OperationalStore",
            whole(&disk("disk-3"), "Microsoft.Compute/disks"),
        ),
        "UserErrorRestoreTargetAlreadyExists",
    )
    .await;
    let grant =
        json!({"principal_id": PRINCIPAL, "scope": data_rg(), "role": "Disk Restore Operator"});
    assert_eq!(
        emu.admin(Method::DELETE, "/grants", Some(&grant))
            .await
            .status,
        200
    );
    let st = failed(&emu, &bi, &ok, "UserErrorMissingRequiredPermissions").await;
    assert!(st.to_string().contains("Disk Restore Operator"), "{st}");
    emu.admin(Method::POST, "/grants", Some(&grant)).await;
    assert_eq!(
        validate(&emu, &bi, &ok).await.unwrap()["status"],
        "Succeeded"
    );
}

/// Operational blob: restorable time ranges (the published shape), a point in time in place
/// (whole account or prefix ranges) recorded against the account; a time outside the ranges,
/// a recovery point, another account and eleven ranges are refused.
#[tokio::test]
async fn operational_blob_restores_a_point_in_time_in_place() {
    let emu = emulator().await;
    let bi = protect(&emu, "bi-blob", &blob_operational()).await;
    emu.admin(Method::POST, "/clock/advance", Some(&json!({"hours": 2})))
        .await;
    let a = emu
        .post(
            &bi.url("/findRestorableTimeRanges"),
            &json!({"sourceDataStoreType": "OperationalStore"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let example = &fixture("FindRestorableTimeRanges.json")["responses"]["200"]["body"];
    assert_eq!(a.body["type"], example["type"]);
    assert_eq!(
        a.body["properties"]["objectType"],
        example["properties"]["objectType"]
    );
    let range = &a.body["properties"]["restorableTimeRanges"][0];
    assert_eq!(range["objectType"], "RestorableTimeRange");
    let (start, end) = (
        range["startTime"].as_str().unwrap(),
        range["endTime"].as_str().unwrap(),
    );
    assert!(start < end, "{range}");
    // A window before protection has no ranges; a reversed one is refused.
    let before = emu.post(&bi.url("/findRestorableTimeRanges"), &json!({"sourceDataStoreType": "OperationalStore", "startTime": "2020-01-01T00:00:00Z", "endTime": "2020-01-02T00:00:00Z"})).await;
    assert_eq!(before.body["properties"]["restorableTimeRanges"], json!([]));
    let reversed = emu
        .post(
            &bi.url("/findRestorableTimeRanges"),
            &json!({"sourceDataStoreType": "OperationalStore", "startTime": end, "endTime": start}),
        )
        .await;
    assert_eq!(reversed.status, 400);

    let acct = account("stbackupdemo");
    let dtype = "Microsoft.Storage/storageAccounts/blobServices";
    let at = |time: &str, target: Value| json!({"objectType": "AzureBackupRecoveryTimeBasedRestoreRequest", "recoveryPointTime": time, "sourceDataStoreType": "OperationalStore", "restoreTargetInfo": target});
    restored(&emu, &bi, &at(end, whole(&acct, dtype))).await;
    let ranges = json!([{"objectType": "RangeBasedItemLevelRestoreCriteria", "minMatchingValue": "data/a", "maxMatchingValue": "data/m"}]);
    restored(&emu, &bi, &at(start, items(&acct, dtype, ranges))).await;
    let list = applied(&emu).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["effect"]["type"], "PointInTime");
    assert_eq!(list[0]["effect"]["account_id"], acct.as_str());
    assert_eq!(list[1]["effect"]["ranges"], json!([["data/a", "data/m"]]));

    failed(
        &emu,
        &bi,
        &at("2020-01-01T00:00:00Z", whole(&acct, dtype)),
        "UserErrorRestorePointInTimeOutOfRange",
    )
    .await;
    refused(
        &emu,
        &bi,
        &from_point("abc", "OperationalStore", whole(&acct, dtype)),
        "UserErrorRestoreTypeNotSupported",
        "AzureBackupRecoveryPointBasedRestoreRequest",
    )
    .await;
    refused(
        &emu,
        &bi,
        &at(end, whole(&account("strestore"), dtype)),
        "UserErrorInvalidRequestParameter",
        "in place",
    )
    .await;
    let eleven: Vec<Value> = (0..11).map(|i| json!({"objectType": "RangeBasedItemLevelRestoreCriteria", "minMatchingValue": format!("c/{i}"), "maxMatchingValue": format!("c/{i}z")})).collect();
    refused(
        &emu,
        &bi,
        &at(end, items(&acct, dtype, json!(eleven))),
        "UserErrorInvalidRequestParameter",
        "At most 10",
    )
    .await;

    // Discrete kinds keep points, not ranges.
    let d = protect(&emu, "bi-disk", &disk_props("disk-1", "policy-disk")).await;
    let r = emu
        .post(
            &d.url("/findRestorableTimeRanges"),
            &json!({"sourceDataStoreType": "OperationalStore"}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "UserErrorRestorableTimeRangesNotSupported"),
        "{}",
        r.text
    );
}

/// Vaulted blob and Data Lake: containers (renamed or not) into an account; the container must
/// be in the backup, must not exist in the target, the vault needs its role there, and a Data
/// Lake backup restores only to a Data Lake account.
#[tokio::test]
async fn vaulted_blob_and_data_lake_restore_containers() {
    let emu = emulator().await;
    let bi = protect(&emu, "bi-vaulted", &blob_vaulted(&["data", "logs"])).await;
    let rp = point(&emu, &bi).await;
    let dest = account("strestore");
    let dtype = "Microsoft.Storage/storageAccounts/blobServices";
    let crit = |path: &str, rename: Option<&str>| {
        let mut c = json!({"objectType": "ItemPathBasedRestoreCriteria", "itemPath": path, "isPathRelativeToBackupItem": true});
        if let Some(r) = rename {
            c["renameTo"] = json!(r);
        }
        c
    };
    let req = from_point(
        &rp,
        "VaultStore",
        items(
            &dest,
            dtype,
            json!([crit("data", Some("data-restored")), crit("logs", None)]),
        ),
    );
    restored(&emu, &bi, &req).await;
    let w = world(&emu).await;
    assert_eq!(
        datasource_in(&w, &dest).unwrap()["containers"],
        json!(["restores", "data-restored", "logs"])
    );
    // The whole account (every container of the backup) into the same account fails: they exist.
    failed(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", whole(&account("stbackupdemo"), dtype)),
        "UserErrorRestoreTargetAlreadyExists",
    )
    .await;
    failed(
        &emu,
        &bi,
        &from_point(
            &rp,
            "VaultStore",
            items(&dest, dtype, json!([crit("data", Some("restores"))])),
        ),
        "UserErrorRestoreTargetAlreadyExists",
    )
    .await;
    refused(
        &emu,
        &bi,
        &from_point(
            &rp,
            "VaultStore",
            items(&dest, dtype, json!([crit("nope", None)])),
        ),
        "UserErrorRestoreItemNotFound",
        "nope",
    )
    .await;
    refused(
        &emu,
        &bi,
        &from_point(
            &rp,
            "OperationalStore",
            items(&dest, dtype, json!([crit("data", Some("x1"))])),
        ),
        "UserErrorRestoreTypeNotSupported",
        "OperationalStore",
    )
    .await;
    let range = json!([{"objectType": "RangeBasedItemLevelRestoreCriteria", "minMatchingValue": "a", "maxMatchingValue": "b"}]);
    refused(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", items(&dest, dtype, range)),
        "UserErrorRestoreTypeNotSupported",
        "RangeBasedItemLevelRestoreCriteria",
    )
    .await;
    let grant = json!({"principal_id": PRINCIPAL, "scope": dest, "role": "Storage Account Backup Contributor"});
    emu.admin(Method::DELETE, "/grants", Some(&grant)).await;
    failed(
        &emu,
        &bi,
        &from_point(
            &rp,
            "VaultStore",
            items(&dest, dtype, json!([crit("data", Some("data-2"))])),
        ),
        "UserErrorMissingRequiredPermissions",
    )
    .await;

    let lake = protect(&emu, "bi-adls", &adls(&["raw"])).await;
    let lrp = point(&emu, &lake).await;
    let ltype = "Microsoft.Storage/storageAccounts/adlsBlobServices";
    restored(
        &emu,
        &lake,
        &from_point(
            &lrp,
            "VaultStore",
            items(
                &account("stlakedemo"),
                ltype,
                json!([crit("raw", Some("raw-copy"))]),
            ),
        ),
    )
    .await;
    assert!(
        datasource_in(&world(&emu).await, &account("stlakedemo")).unwrap()["containers"]
            .as_array()
            .unwrap()
            .contains(&json!("raw-copy"))
    );
    refused(
        &emu,
        &lake,
        &from_point(
            &lrp,
            "VaultStore",
            items(&dest, ltype, json!([crit("raw", None)])),
        ),
        "UserErrorInvalidRequestParameter",
        "hierarchical namespace",
    )
    .await;
}

/// PostgreSQL and MySQL flexible servers: only as files into a container; the dump files'
/// names are written there (FailIfExists then applies to them); the container must exist, the
/// URL and ARM ID must agree, the vault needs Storage Blob Data Contributor; rehydration needs
/// ArchiveStore and a point in the archive tier.
#[tokio::test]
async fn flexible_servers_restore_as_files() {
    let emu = emulator().await;
    let bi = protect(&emu, "bi-pgflex", &pgflex_props("pgflex-1")).await;
    let rp = point(&emu, &bi).await;
    let url = "https://strestore.blob.core.windows.net/restores";
    let container = format!(
        "{}/blobServices/default/containers/restores",
        account("strestore")
    );
    let mut target = files(url, "drill");
    target["targetDetails"]["targetResourceArmId"] = json!(container);
    let req = from_point(&rp, "VaultStore", target.clone());
    let j = restored(&emu, &bi, &req).await;
    assert_eq!(
        j["properties"]["extendedInfo"]["recoveryDestination"],
        container.as_str()
    );
    let list = applied(&emu).await;
    assert_eq!(list[0]["effect"]["type"], "Files");
    assert_eq!(list[0]["effect"]["names"], json!(["drill_pgflex-1.sql"]));
    failed(&emu, &bi, &req, "UserErrorRestoreTargetAlreadyExists").await;
    restored(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", files(url, "second")),
    )
    .await;

    let pg = "Microsoft.DBforPostgreSQL/flexibleServers";
    refused(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", whole(&account("strestore"), pg)),
        "UserErrorRestoreTypeNotSupported",
        "RestoreTargetInfo",
    )
    .await;
    refused(
        &emu,
        &bi,
        &from_point(
            &rp,
            "VaultStore",
            files("https://nosuch.blob.core.windows.net/c", "p"),
        ),
        "UserErrorStorageAccountNotFound",
        "nosuch",
    )
    .await;
    refused(
        &emu,
        &bi,
        &from_point(
            &rp,
            "VaultStore",
            files("http://strestore.blob.core.windows.net/restores", "p"),
        ),
        "UserErrorInvalidRequestParameter",
        "blob container URL",
    )
    .await;
    let mut mismatch = target.clone();
    mismatch["targetDetails"]["filePrefix"] = json!("m");
    mismatch["targetDetails"]["targetResourceArmId"] = json!(format!(
        "{}/blobServices/default/containers/other",
        account("strestore")
    ));
    refused(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", mismatch),
        "UserErrorInvalidRequestParameter",
        "targetResourceArmId",
    )
    .await;
    failed(
        &emu,
        &bi,
        &from_point(
            &rp,
            "VaultStore",
            files("https://strestore.blob.core.windows.net/missing", "p"),
        ),
        "UserErrorContainerNotFound",
    )
    .await;
    let mut rehydrate = from_point(&rp, "ArchiveStore", files(url, "arch"));
    rehydrate["objectType"] = json!("AzureBackupRestoreWithRehydrationRequest");
    rehydrate["rehydrationPriority"] = json!("Standard");
    rehydrate["rehydrationRetentionDuration"] = json!("P15D");
    failed(
        &emu,
        &bi,
        &rehydrate,
        "UserErrorRecoveryPointNotInDataStore",
    )
    .await;
    rehydrate["sourceDataStoreType"] = json!("VaultStore");
    refused(
        &emu,
        &bi,
        &rehydrate,
        "UserErrorInvalidRequestParameter",
        "ArchiveStore",
    )
    .await;
    rehydrate["sourceDataStoreType"] = json!("ArchiveStore");
    rehydrate["rehydrationRetentionDuration"] = json!("P5D");
    refused(
        &emu,
        &bi,
        &rehydrate,
        "UserErrorInvalidRequestParameter",
        "P10D",
    )
    .await;
    let grant = json!({"principal_id": PRINCIPAL, "scope": account("strestore"), "role": "Storage Blob Data Contributor"});
    emu.admin(Method::DELETE, "/grants", Some(&grant)).await;
    let st = failed(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", files(url, "third")),
        "UserErrorMissingRequiredPermissions",
    )
    .await;
    assert!(
        st.to_string().contains("Storage Blob Data Contributor"),
        "{st}"
    );
    emu.admin(Method::POST, "/grants", Some(&grant)).await;

    let my = protect(&emu, "bi-mysql", &mysql_props()).await;
    let mrp = point(&emu, &my).await;
    restored(&emu, &my, &from_point(&mrp, "VaultStore", files(url, "my"))).await;
    assert_eq!(
        applied(&emu).await.last().unwrap()["effect"]["names"],
        json!(["my_mysql-demo.sql"])
    );
}

/// PostgreSQL single server: to a new database on the server (with the Key Vault secret the
/// vault reads) or as files; no credentials is refused, a missing secret fails.
#[tokio::test]
async fn postgres_database_restores_to_a_new_database_or_files() {
    let emu = emulator().await;
    let bi = protect(&emu, "bi-pg", &pg_props("appdb")).await;
    let rp = point(&emu, &bi).await;
    let dtype = "Microsoft.DBforPostgreSQL/servers/databases";
    let server = format!(
        "{}/providers/Microsoft.DBforPostgreSQL/servers/pg-single",
        data_rg()
    );
    let target_db = format!("{server}/databases/appdb-restored");
    let creds = |secret: &str| json!({"objectType": "SecretStoreBasedAuthCredentials", "secretStoreResource": {"secretStoreType": "AzureKeyVault", "uri": format!("https://kv-demo.vault.azure.net/secrets/{secret}")}});
    let mut t = whole(&target_db, dtype);
    t["datasourceAuthCredentials"] = creds("pg-conn");
    restored(&emu, &bi, &from_point(&rp, "VaultStore", t.clone())).await;
    assert!(datasource_in(&world(&emu).await, &target_db).is_some());
    failed(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", t),
        "UserErrorRestoreTargetAlreadyExists",
    )
    .await;
    let mut other = whole(&format!("{server}/databases/db2"), dtype);
    other["datasourceAuthCredentials"] = creds("nope");
    failed(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", other.clone()),
        "UserErrorSecretStoreSecretNotFound",
    )
    .await;
    other
        .as_object_mut()
        .unwrap()
        .remove("datasourceAuthCredentials");
    refused(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", other),
        "UserErrorInvalidRequestParameter",
        "datasourceAuthCredentials",
    )
    .await;
    restored(
        &emu,
        &bi,
        &from_point(
            &rp,
            "VaultStore",
            files("https://strestore.blob.core.windows.net/restores", "pg"),
        ),
    )
    .await;
    assert_eq!(
        applied(&emu).await.last().unwrap()["effect"]["names"],
        json!(["pg_appdb.sql"])
    );
}

/// AKS: item-level only, with the cluster criteria of the tier restored from; namespaces are
/// recorded against the target cluster. Cosmos DB: to a new account. Elastic SAN: volumes into
/// a volume group (2026-06-01).
#[tokio::test]
async fn clusters_cosmos_db_and_elastic_san() {
    let emu = emulator().await;
    let dtype = "Microsoft.ContainerService/managedClusters";
    let bi = protect(&emu, "bi-aks", &aks(&["default"])).await;
    let rp = point(&emu, &bi).await;
    let crit = json!([{"objectType": "KubernetesClusterRestoreCriteria", "includeClusterScopeResources": false, "includedNamespaces": ["default"]}]);
    restored(
        &emu,
        &bi,
        &from_point(
            &rp,
            "OperationalStore",
            items(&cluster(), dtype, crit.clone()),
        ),
    )
    .await;
    let last = applied(&emu).await.pop().unwrap();
    assert_eq!(
        last["effect"],
        json!({"type": "Cluster", "cluster_id": cluster(), "namespaces": ["default"]})
    );
    refused(
        &emu,
        &bi,
        &from_point(&rp, "OperationalStore", whole(&cluster(), dtype)),
        "UserErrorRestoreTypeNotSupported",
        "RestoreTargetInfo",
    )
    .await;
    let vt = json!([{"objectType": "KubernetesClusterVaultTierRestoreCriteria", "includeClusterScopeResources": false}]);
    refused(
        &emu,
        &bi,
        &from_point(
            &rp,
            "OperationalStore",
            items(&cluster(), dtype, vt.clone()),
        ),
        "UserErrorRestoreTypeNotSupported",
        "KubernetesClusterVaultTierRestoreCriteria",
    )
    .await;
    refused(
        &emu,
        &bi,
        &from_point(&rp, "VaultStore", items(&cluster(), dtype, vt)),
        "UserErrorInvalidRequestParameter",
        "stagingResourceGroupId",
    )
    .await;
    let gone = format!(
        "{}/providers/Microsoft.ContainerService/managedClusters/gone",
        data_rg()
    );
    failed(
        &emu,
        &bi,
        &from_point(&rp, "OperationalStore", items(&gone, dtype, crit)),
        "ResourceNotFound",
    )
    .await;

    let cdb = protect(&emu, "bi-cosmos", &cosmos_props()).await;
    let crp = point(&emu, &cdb).await;
    let ctype = "Microsoft.DocumentDB/databaseAccounts";
    let new_account = format!(
        "{}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-restored",
        data_rg()
    );
    restored(
        &emu,
        &cdb,
        &from_point(&crp, "VaultStore", whole(&new_account, ctype)),
    )
    .await;
    assert!(datasource_in(&world(&emu).await, &new_account).is_some());
    failed(
        &emu,
        &cdb,
        &from_point(&crp, "VaultStore", whole(&cosmos(), ctype)),
        "UserErrorRestoreTargetAlreadyExists",
    )
    .await;

    let es = protect(&emu, "bi-esan", &esan_props(&["vol-1"])).await;
    let erp = point(&emu, &es).await;
    let etype = "Microsoft.ElasticSan/elasticSans/volumeGroups";
    let vol = |name: &str, rename: &str| json!([{"objectType": "GenericRestoreDatasourceCriteria", "itemPath": name, "renameTo": rename}]);
    restored(
        &emu,
        &es,
        &from_point(
            &erp,
            "OperationalStore",
            items(&volume_group(), etype, vol("vol-1", "vol-1-r")),
        ),
    )
    .await;
    let vg = datasource_in(&world(&emu).await, &volume_group())
        .unwrap()
        .clone();
    assert_eq!(vg["volumes"], json!(["vol-1", "vol-2", "vol-1-r"]));
    failed(
        &emu,
        &es,
        &from_point(
            &erp,
            "OperationalStore",
            items(&volume_group(), etype, vol("vol-1", "vol-2")),
        ),
        "UserErrorRestoreTargetAlreadyExists",
    )
    .await;
    refused(
        &emu,
        &es,
        &from_point(
            &erp,
            "OperationalStore",
            items(&volume_group(), etype, vol("vol-9", "x")),
        ),
        "UserErrorRestoreItemNotFound",
        "vol-9",
    )
    .await;
}
