//! Adhoc backup, its job, sync, the policy's backup rules and the recovery-point and job lists,
//! against a scripted local HTTPS server in virtual time: each test asserts the exact request
//! sequence (and so what the client does not send).

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{
    BackupInstanceId, BackupPolicyId, BackupVaultId,
};
use terraform_provider_azurebackup::azure::client::{JOB_POLL, PointFilter};
use terraform_provider_azurebackup::azure::history::{BackupJob, JobRef, parse_time};

const API: &str = "2025-09-01";
const GUID: &str = "3c60cb49-63e8-4b21-b9bd-26277b3fdfae";

fn vault() -> BackupVaultId {
    format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo").parse().unwrap()
}

fn other_vault() -> BackupVaultId {
    format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-other").parse().unwrap()
}

fn instance() -> BackupInstanceId {
    vault().instance("bi-disk-1")
}

fn job_path() -> String {
    format!("{}/backupJobs/{GUID}?api-version={API}", vault())
}

fn job_body(status: &str, errors: serde_json::Value) -> serde_json::Value {
    json!({
        "id": format!("{}/backupJobs/{GUID}", vault()).replace("backupVaults", "Backupvaults"),
        "name": GUID,
        "type": "Microsoft.DataProtection/Backupvaults/backupJobs",
        "properties": {
            "operation": "Backup", "operationCategory": "Backup", "status": status,
            "startTime": "2026-01-01T06:00:03.7604146Z",
            "endTime": if status == "Completed" || status == "Failed" { json!("2026-01-01T06:04:00Z") } else { json!("0001-01-01T00:00:00") },
            "duration": "00:04:00",
            "backupInstanceId": instance().to_string(),
            "dataSourceId": format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"),
            "isUserTriggered": true,
            "errorDetails": errors,
            "extendedInfo": {"recoveryPointId": "rp-1", "subTasks": []},
        }
    })
}

fn seq(v: &[(&str, String)]) -> Vec<(String, String)> {
    v.iter().map(|(m, t)| (m.to_string(), t.clone())).collect()
}

/// The trigger answers 202; the status names the job (full ARM ID) in `properties.jobId`, so the
/// Location result is never fetched; the job is then polled on JOB_POLL's backoff from Started
/// through InProgress to Completed, each read reported.
#[tokio::test]
async fn backup_now_takes_the_job_from_the_status_and_polls_it_to_the_end() {
    let h = Harness::new(API).await;
    let post = format!("{}/backup?api-version={API}", instance());
    let status = format!("{}/operationStatus/op-1?api-version={API}", vault());
    let result = format!(
        "/subscriptions/{SUB}/providers/Microsoft.DataProtection/locations/westeurope/operationResults/op-1?api-version={API}"
    );
    h.server.push(
        Step::new("POST", post.clone(), 202)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header("Location", format!("{}{result}", h.server.base))
            .header("Retry-After", "1"),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "Inprogress"})));
    h.server.push(Step::new("GET", status.clone(), 200).json(json!({
        "status": "Succeeded",
        "properties": {"jobId": format!("{}/backupJobs/{GUID}", vault()), "objectType": "OperationJobExtendedInfo"}
    })));
    for s in ["Started", "InProgress", "Completed"] {
        h.server
            .push(Step::new("GET", job_path(), 200).json(job_body(s, json!([]))));
    }
    let op = h.op(Duration::from_secs(3600));
    let job = h
        .client
        .trigger_backup(&instance(), "BackupHourly", "Default", &op)
        .await
        .unwrap();
    assert_eq!(
        job,
        JobRef {
            vault: vault(),
            guid: GUID.into()
        }
    );
    let sent = h.server.seen();
    let body: serde_json::Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(
        body,
        json!({"backupRuleOptions": {"ruleName": "BackupHourly", "triggerOption": {"retentionTagOverride": "Default"}}})
    );
    let before = h.clock.sleeps().len();
    let mut seen = Vec::new();
    let done = h
        .client
        .wait_for_job(&job, &op, &mut |j: &BackupJob| seen.push(j.status.clone()))
        .await
        .unwrap();
    assert_eq!(seen, ["Started", "InProgress", "Completed"]);
    assert_eq!(done.recovery_point_id.as_deref(), Some("rp-1"));
    assert_eq!(done.end_time.as_deref(), Some("2026-01-01T06:04:00Z"));
    let job_sleeps: Vec<Duration> = h.clock.sleeps()[before..].to_vec();
    assert_eq!(job_sleeps, JOB_POLL.delays().take(2).collect::<Vec<_>>());
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        seq(&[
            ("POST", post),
            ("GET", status.clone()),
            ("GET", status),
            ("GET", job_path()),
            ("GET", job_path()),
            ("GET", job_path())
        ])
    );
}

/// A status without `properties.jobId`: the job comes from the Location result (a bare GUID,
/// as the spec's examples have it); a running job's `0001-01-01` end time reads as none.
#[tokio::test]
async fn the_job_id_comes_from_the_location_result_when_the_status_has_none() {
    let h = Harness::new(API).await;
    let post = format!("{}/backup?api-version={API}", instance());
    let status = format!(
        "{}/operationStatus/op-2?api-version={API}&t=signed",
        vault()
    );
    let result = format!(
        "/subscriptions/{SUB}/providers/Microsoft.DataProtection/locations/westeurope/operationResults/op-2?api-version={API}&s=x"
    );
    h.server.push(
        Step::new("POST", post.clone(), 202)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header("Location", format!("{}{result}", h.server.base)),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "Succeeded"})));
    h.server.push(
        Step::new("GET", result.clone(), 200)
            .json(json!({"objectType": "OperationJobExtendedInfo", "jobId": GUID})),
    );
    // Only Location, no status URL: followed until 200.
    h.server.push(
        Step::new("POST", post.clone(), 202)
            .header("Location", format!("{}{result}", h.server.base)),
    );
    h.server.push(Step::new("GET", result.clone(), 202));
    h.server.push(
        Step::new("GET", result.clone(), 200)
            .json(json!({"objectType": "OperationJobExtendedInfo", "jobId": GUID})),
    );
    h.server
        .push(Step::new("GET", job_path(), 200).json(job_body("InProgress", json!([]))));
    let op = h.op(Duration::from_secs(3600));
    let a = h
        .client
        .trigger_backup(&instance(), "BackupHourly", "Default", &op)
        .await
        .unwrap();
    let b = h
        .client
        .trigger_backup(&instance(), "BackupHourly", "Default", &op)
        .await
        .unwrap();
    assert_eq!(a.guid, GUID);
    assert_eq!(a, b);
    let j = h.client.get_backup_job(&a, &op).await.unwrap().unwrap();
    assert_eq!(j.end_time, None);
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        seq(&[
            ("POST", post.clone()),
            ("GET", status),
            ("GET", result.clone()),
            ("POST", post),
            ("GET", result.clone()),
            ("GET", result),
            ("GET", job_path())
        ])
    );
}

/// A job that fails carries its errorDetails as the typed error: code, message, recommended
/// action; a job ID naming another vault is refused without a request for it; an operation
/// that names no job is an error, not a success.
#[tokio::test]
async fn a_failed_job_carries_its_error_and_foreign_jobs_are_refused() {
    let h = Harness::new(API).await;
    let err = json!([{
        "code": "UserErrorDiskSnapshotLimitReached", "message": "Snapshot limit reached.",
        "recommendedAction": ["Delete old snapshots, then retry."], "isRetryable": false
    }]);
    h.server
        .push(Step::new("GET", job_path(), 200).json(job_body("Started", json!([]))));
    h.server
        .push(Step::new("GET", job_path(), 200).json(job_body("Failed", err)));
    let op = h.op(Duration::from_secs(3600));
    let job = JobRef::parse(&vault(), GUID).unwrap();
    let e = h
        .client
        .wait_for_job(&job, &op, &mut |_: &BackupJob| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("UserErrorDiskSnapshotLimitReached"));
    assert_eq!(e.message(), "Snapshot limit reached.");
    assert_eq!(
        e.recommended_actions(),
        ["Delete old snapshots, then retry."]
    );
    assert!(e.to_string().starts_with("waitForBackupJob"), "{e}");

    // The operation names a job of another vault.
    let post = format!("{}/backup?api-version={API}", instance());
    h.server
        .push(Step::new("POST", post.clone(), 200).json(json!({
            "objectType": "OperationJobExtendedInfo",
            "jobId": format!("{}/backupJobs/{GUID}", other_vault())
        })));
    h.server.push(
        Step::new("POST", post.clone(), 200)
            .json(json!({"objectType": "OperationJobExtendedInfo"})),
    );
    let e = h
        .client
        .trigger_backup(&instance(), "BackupHourly", "Default", &op)
        .await
        .unwrap_err();
    assert!(e.message().contains("vault-other"), "{e}");
    let e = h
        .client
        .trigger_backup(&instance(), "BackupHourly", "Default", &op)
        .await
        .unwrap_err();
    assert!(e.message().contains("without naming the job"), "{e}");

    // A GET answered for another job.
    let mut wrong = job_body("Completed", json!([]));
    wrong["id"] = json!(format!(
        "{}/backupJobs/00000000-0000-0000-0000-000000000001",
        vault()
    ));
    h.server.push(Step::new("GET", job_path(), 200).json(wrong));
    let e = h.client.get_backup_job(&job, &op).await.unwrap_err();
    assert!(e.message().contains("not part of the requested"), "{e}");

    // Running past the deadline: a timeout that names the job and its status.
    h.server
        .push(Step::new("GET", job_path(), 200).json(job_body("InProgress", json!([]))));
    let short = h.op(Duration::from_secs(1));
    let e = h
        .client
        .wait_for_job(&job, &short, &mut |_: &BackupJob| {})
        .await
        .unwrap_err();
    assert!(e.is_timeout() && e.message().contains("InProgress"), "{e}");
    h.server.assert_done();
}

fn point(id: &str, t: &str) -> serde_json::Value {
    json!({
        "id": format!("{}/recoveryPoints/{id}", instance()), "name": id,
        "properties": {
            "objectType": "AzureBackupDiscreteRecoveryPoint", "recoveryPointId": id,
            "recoveryPointTime": t, "recoveryPointType": "Incremental",
            "retentionTagName": "Default", "expiryTime": "2026-02-01T00:00:00Z",
            "recoveryPointState": "Completed",
            "recoveryPointDataStoresDetails": [{"type": "OperationalStore", "state": "COMMITTED"}]
        }
    })
}

/// Recovery points: the window goes in `$filter` as the recording shows it, every page is read
/// through `nextLink` exactly as given, and the result is sorted newest first whatever the
/// service's order; a point of another instance fails the read; a 404 is "no such instance".
#[tokio::test]
async fn recovery_points_page_filter_sort_and_stay_the_instances() {
    let h = Harness::new(API).await;
    let filter = "startDate+eq+%272026-01-01T00%3A00%3A00.0000000Z%27+and+endDate+eq+%272026-01-03T00%3A00%3A00.0000000Z%27";
    let first = format!(
        "{}/recoveryPoints?api-version={API}&%24filter={filter}",
        instance()
    );
    let next = format!(
        "{}/recoveryPoints?api-version={API}&$skipToken=2&sig=abc",
        instance()
    );
    h.server
        .push(Step::new("GET", first.clone(), 200).json(json!({
        "value": [point("a", "2026-01-01T06:00:00Z"), point("c", "2026-01-02T06:00:00.1234567Z")],
        "nextLink": format!("{}{next}", h.server.base)
    })));
    h.server.push(
        Step::new("GET", next.clone(), 200)
            .json(json!({"value": [point("b", "2026-01-01T18:00:00Z")]})),
    );
    let op = h.op(Duration::from_secs(600));
    let f = PointFilter {
        start: parse_time("2026-01-01T00:00:00Z"),
        end: parse_time("2026-01-03T00:00:00Z"),
    };
    let pts = h
        .client
        .list_recovery_points(&instance(), &f, &op)
        .await
        .unwrap()
        .unwrap()
        .points;
    let ids: Vec<&str> = pts.iter().map(|p| p.recovery_point_id.as_str()).collect();
    assert_eq!(ids, ["c", "b", "a"]);
    assert_eq!(pts[0].data_store_type.as_deref(), Some("OperationalStore"));
    assert_eq!(pts[0].retention_tag.as_deref(), Some("Default"));

    let plain = format!("{}/recoveryPoints?api-version={API}", instance());
    let mut foreign = point("x", "2026-01-01T06:00:00Z");
    foreign["id"] = json!(format!("{}/recoveryPoints/x", vault().instance("bi-other")));
    h.server
        .push(Step::new("GET", plain.clone(), 200).json(json!({"value": [foreign]})));
    h.server.push(
        Step::new("GET", plain.clone(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    let e = h
        .client
        .list_recovery_points(&instance(), &PointFilter::default(), &op)
        .await
        .unwrap_err();
    assert!(e.message().contains("bi-other"), "{e}");
    assert!(
        h.client
            .list_recovery_points(&instance(), &PointFilter::default(), &op)
            .await
            .unwrap()
            .is_none()
    );
    // A 404 that does not prove the instance absent (a proxy's page) is an error, not "gone".
    h.server.push(
        Step::new("GET", plain.clone(), 404)
            .header("content-type", "text/html")
            .raw_body("<html>Not Found</html>"),
    );
    let e = h
        .client
        .list_recovery_points(&instance(), &PointFilter::default(), &op)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        seq(&[
            ("GET", first),
            ("GET", next),
            ("GET", plain.clone()),
            ("GET", plain.clone()),
            ("GET", plain)
        ])
    );
}

/// Jobs: every page, sorted newest first by start time (the service documents no order); a
/// job of another vault in the list fails the read.
#[tokio::test]
async fn jobs_are_paged_and_sorted_newest_first() {
    let h = Harness::new(API).await;
    let first = format!("{}/backupJobs?api-version={API}", vault());
    let next = format!("{}/backupJobs?api-version={API}&$skipToken=2", vault());
    let job = |guid: &str, start: &str| {
        json!({"id": format!("{}/backupJobs/{guid}", vault()), "name": guid,
               "properties": {"operation": "Backup", "status": "Completed", "startTime": start}})
    };
    let g = |n: u32| format!("00000000-0000-0000-0000-00000000000{n}");
    h.server
        .push(Step::new("GET", first.clone(), 200).json(json!({
            "value": [job(&g(1), "2026-01-01T06:00:00Z"), job(&g(3), "2026-01-03T06:00:00Z")],
            "nextLink": format!("{}{next}", h.server.base)
        })));
    h.server.push(
        Step::new("GET", next.clone(), 200)
            .json(json!({"value": [job(&g(2), "2026-01-02T06:00:00Z")], "nextLink": ""})),
    );
    let op = h.op(Duration::from_secs(600));
    let jobs = h.client.list_backup_jobs(&vault(), &op).await.unwrap();
    let ids: Vec<String> = jobs.iter().map(|j| j.job_id.clone()).collect();
    assert_eq!(ids, [g(3), g(2), g(1)]);
    let mut stray = job(&g(4), "2026-01-04T06:00:00Z");
    stray["id"] = json!(format!("{}/backupJobs/{}", other_vault(), g(4)));
    h.server
        .push(Step::new("GET", first.clone(), 200).json(json!({"value": [stray]})));
    let e = h.client.list_backup_jobs(&vault(), &op).await.unwrap_err();
    assert!(e.message().contains("vault-other"), "{e}");
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        seq(&[("GET", first.clone()), ("GET", next), ("GET", first)])
    );
}

/// The policy's backup rule and tags are read from `policyRules`; a policy answered for
/// another ID is an error. Sync posts `syncType: Default` and polls its operation.
#[tokio::test]
async fn policy_rules_and_sync() {
    let h = Harness::new(API).await;
    let policy: BackupPolicyId = format!("{}/backupPolicies/policy-disk", vault())
        .parse()
        .unwrap();
    let get = format!("{policy}?api-version={API}");
    let body = |id: String| {
        json!({"id": id, "properties": {"datasourceTypes": ["Microsoft.Compute/disks"], "policyRules": [
        {"name": "BackupIntervals", "objectType": "AzureBackupRule", "trigger": {"taggingCriteria": [{"isDefault": true, "tagInfo": {"tagName": "Default"}}]}},
        {"name": "Default", "objectType": "AzureRetentionRule", "isDefault": true}]}})
    };
    h.server
        .push(Step::new("GET", get.clone(), 200).json(body(policy.to_string())));
    h.server.push(
        Step::new("GET", get.clone(), 200)
            .json(body(format!("{}/backupPolicies/policy-x", vault()))),
    );
    let op = h.op(Duration::from_secs(600));
    let p = h
        .client
        .get_backup_policy(&policy, &op)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        p.choose(None, None).unwrap(),
        ("BackupIntervals".into(), "Default".into())
    );
    assert!(h.client.get_backup_policy(&policy, &op).await.is_err());

    let post = format!("{}/sync?api-version={API}", instance());
    let status = format!("{}/operationStatus/op-3?api-version={API}", vault());
    h.server.push(
        Step::new("POST", post.clone(), 202)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base)),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "Succeeded"})));
    h.client
        .sync_backup_instance(&instance(), &op)
        .await
        .unwrap();
    let sent = h.server.seen();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&sent[2].body).unwrap(),
        json!({"syncType": "Default"})
    );
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        seq(&[
            ("GET", get.clone()),
            ("GET", get),
            ("POST", post),
            ("GET", status)
        ])
    );
}
