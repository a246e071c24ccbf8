//! validateRestore and restore on a scripted local HTTPS server in virtual time: the bodies the
//! builders make are what is sent, the operation is followed through the headers as given, and
//! the restore's job ID comes from the final status or, when it names none, the Location result
//! (ARM ID or GUID),
//! never from another vault; a refusal is the service's error, and a restore is sent once.
//! findRestorableTimeRanges: the body sent, the answer decoded strictly, a proven 404 as absence.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step};
use serde_json::{Value, json};
use terraform_provider_azurebackup::azure::arm_id::{
    BackupInstanceId, BackupVaultId, ResourceGroupId,
};
use terraform_provider_azurebackup::azure::error::ErrorKind;
use terraform_provider_azurebackup::azure::restore::{self, RestoreRequest};

const API: &str = "2025-09-01";

fn vault() -> BackupVaultId {
    format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo").parse().unwrap()
}

fn instance() -> BackupInstanceId {
    vault().instance("bi-disk-1")
}

fn request() -> RestoreRequest {
    let rg: ResourceGroupId = format!("/subscriptions/{SUB}/resourceGroups/rg-data")
        .parse()
        .unwrap();
    let target = restore::new_disk_id(&rg, "disk-1-restored").unwrap();
    restore::disk("5acdfb1a71e442b6b407317de1b1474c", &target, "westeurope").unwrap()
}

fn body_of(h: &Harness, i: usize) -> Value {
    serde_json::from_slice(&h.server.seen()[i].body).unwrap()
}

/// Signed, vault-scoped status URL and location-scoped result URL, as recorded.
fn urls(op: &str) -> (String, String) {
    (
        format!(
            "{}/operationStatus/{op}?api-version={API}&t=1&c=abc&s=sig&h=h",
            vault()
        ),
        format!(
            "/subscriptions/{SUB}/providers/Microsoft.DataProtection/locations/westeurope/operationResults/{op}?api-version={API}&t=1&c=abc&s=sig2&h=h"
        ),
    )
}

fn accepted(h: &Harness, post: &str, status: &str, result: &str) -> Step {
    Step::new("POST", post, 202)
        .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
        .header("Location", format!("{}{result}", h.server.base))
        .header("Retry-After", "10")
}

/// validateRestore sends `{"restoreRequestObject": <the builder's body>}`, polls the status URL
/// verbatim to Succeeded (waiting the 202's Retry-After in virtual time) and reads no result.
#[tokio::test]
async fn validate_restore_polls_to_the_outcome() {
    let h = Harness::new(API).await;
    let post = format!("{}/validateRestore?api-version={API}", instance());
    let (status, result) = urls("op-v");
    h.server.push(accepted(&h, &post, &status, &result));
    h.server.push(
        Step::new("GET", status.clone(), 200).json(
            json!({"name": "op-v", "status": "Inprogress", "endTime": "0001-01-01T00:00:00Z"}),
        ),
    );
    h.server.push(
        Step::new("GET", status.clone(), 200).json(json!({"name": "op-v", "status": "Succeeded"})),
    );
    let req = request();
    h.client
        .validate_restore(&instance(), &req, &h.op(Duration::from_secs(600)))
        .await
        .unwrap();
    h.server.assert_done();
    assert_eq!(
        body_of(&h, 0),
        json!({"restoreRequestObject": serde_json::to_value(&req).unwrap()})
    );
    // The first poll waits the 202's Retry-After, in virtual time.
    assert_eq!(
        h.clock.sleeps().first(),
        Some(&Duration::from_secs(10)),
        "{:?}",
        h.clock.sleeps()
    );
}

/// A finding is the failed operation's error, with the service's code and message.
#[tokio::test]
async fn validate_restore_failure_carries_the_service_error() {
    let h = Harness::new(API).await;
    let post = format!("{}/validateRestore?api-version={API}", instance());
    let (status, result) = urls("op-f");
    h.server.push(accepted(&h, &post, &status, &result));
    h.server.push(Step::new("GET", status.clone(), 200).json(json!({
        "name": "op-f", "status": "Failed",
        "error": {"code": "UserErrorRestoreTargetAlreadyExists", "message": "The restore target 'disk-1-restored' already exists and the recovery option is FailIfExists."}
    })));
    let e = h
        .client
        .validate_restore(&instance(), &request(), &h.op(Duration::from_secs(600)))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OperationFailed, "{e}");
    assert_eq!(e.code(), Some("UserErrorRestoreTargetAlreadyExists"));
    assert!(e.to_string().contains("already exists"), "{e}");
}

/// restore: the operation is followed to its end and the Location result names the job by its
/// ARM ID (as recorded).
#[tokio::test]
async fn trigger_restore_returns_the_job_from_the_location_result() {
    let h = Harness::new(API).await;
    let post = format!("{}/restore?api-version={API}", instance());
    let (status, result) = urls("op-r");
    let job = format!(
        "{}/backupJobs/4fa9c504-8a83-4fb0-ad13-ede21d877806",
        vault()
    );
    h.server.push(accepted(&h, &post, &status, &result));
    // The final status does not name the job: the Location result does.
    h.server.push(
        Step::new("GET", status.clone(), 200).json(json!({"name": "op-r", "status": "Succeeded"})),
    );
    h.server.push(
        Step::new("GET", result.clone(), 200)
            .json(json!({"objectType": "OperationJobExtendedInfo", "jobId": job})),
    );
    let req = request();
    let got = h
        .client
        .trigger_restore(&instance(), &req, &h.op(Duration::from_secs(600)))
        .await
        .unwrap();
    assert_eq!(got.arm_id(), job);
    h.server.assert_done();
    assert_eq!(body_of(&h, 0), serde_json::to_value(&req).unwrap());
}

/// Without a Location header, the final status's `properties.jobId` (a bare GUID, as the
/// spec's examples write it) names the job in the instance's vault.
#[tokio::test]
async fn trigger_restore_reads_a_guid_from_the_status() {
    let h = Harness::new(API).await;
    let post = format!("{}/restore?api-version={API}", instance());
    let (status, _) = urls("op-g");
    h.server.push(
        Step::new("POST", post, 202)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header("Retry-After", "1"),
    );
    let done = json!({"name": "op-g", "status": "Succeeded", "properties": {"objectType": "OperationJobExtendedInfo", "jobId": "c60cb49-63e8-4b21-b9bd-26277b3fdfae"}});
    // The status that names the job is read once, and no Location result is asked for.
    h.server
        .push(Step::new("GET", status.clone(), 200).json(done));
    let got = h
        .client
        .trigger_restore(&instance(), &request(), &h.op(Duration::from_secs(600)))
        .await
        .unwrap();
    assert_eq!(
        got.arm_id(),
        format!("{}/backupJobs/c60cb49-63e8-4b21-b9bd-26277b3fdfae", vault())
    );
    h.server.assert_done();
}

/// A 200 answered at once with the job is the end; a job of another vault or a name that is no
/// job ID is an error, never a job ID.
#[tokio::test]
async fn trigger_restore_checks_whose_job_it_is() {
    for (named, ok) in [
        (
            format!(
                "{}/backupJobs/0a1b2c3d-0000-4000-8000-000000000001",
                vault()
            ),
            true,
        ),
        (
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/other/backupJobs/0a1b2c3d-0000-4000-8000-000000000001"
            ),
            false,
        ),
        ("../../x".to_string(), false),
    ] {
        let h = Harness::new(API).await;
        let post = format!("{}/restore?api-version={API}", instance());
        h.server.push(
            Step::new("POST", post, 200)
                .json(json!({"objectType": "OperationJobExtendedInfo", "jobId": named})),
        );
        let r = h
            .client
            .trigger_restore(&instance(), &request(), &h.op(Duration::from_secs(600)))
            .await;
        if ok {
            assert_eq!(r.unwrap().arm_id(), named);
        } else {
            let e = r.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode, "{named}: {e}");
            assert!(e.to_string().contains("was not used"), "{e}");
        }
    }
}

/// A refusal (another job on the datasource) is the service's error, and the restore is sent
/// once: it starts a job, so it is never repeated on its own.
#[tokio::test]
async fn trigger_restore_refusal_is_not_retried() {
    let h = Harness::new(API).await;
    let post = format!("{}/restore?api-version={API}", instance());
    h.server
        .push(Step::new("POST", post.clone(), 409).json(json!({"error": {
            "code": "UserErrorAnotherOperationInProgress",
            "message": "Another backup job ('x') is in progress for the datasource."
        }})));
    let e = h
        .client
        .trigger_restore(&instance(), &request(), &h.op(Duration::from_secs(600)))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(409), "{e}");
    assert_eq!(e.code(), Some("UserErrorAnotherOperationInProgress"));
    assert_eq!(h.server.seen().len(), 1);
    // A dropped connection is not repeated either.
    let h = Harness::new(API).await;
    h.server
        .push(Step::new("POST", post, 200).drop_connection());
    assert!(
        h.client
            .trigger_restore(&instance(), &request(), &h.op(Duration::from_secs(600)))
            .await
            .is_err()
    );
    assert_eq!(h.server.seen().len(), 1);
}

fn ranges_post() -> String {
    format!("{}/findRestorableTimeRanges?api-version={API}", instance())
}

fn at(s: &str) -> time::OffsetDateTime {
    terraform_provider_azurebackup::azure::history::parse_time(s).unwrap()
}

/// findRestorableTimeRanges: one synchronous POST whose body is the operational store and the
/// window in the service's time format; the published answer's range comes back decoded, and
/// without a window the body carries only the store.
#[tokio::test]
async fn restorable_time_ranges_send_the_window_and_decode_the_answer() {
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(
            azure_support::azure_fixtures()
                .join("examples/2025-09-01/FindRestorableTimeRanges.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let h = Harness::new(API).await;
    h.server
        .push(Step::new("POST", ranges_post(), 200).json(json!({
            "id": "bi-disk-1",
            "properties": example["responses"]["200"]["body"]["properties"].clone()
        })));
    let got = h
        .client
        .find_restorable_time_ranges(
            &instance(),
            Some(at("2020-10-17T23:28:17.6829685Z")),
            Some(at("2021-02-24T00:35:17.6829685Z")),
            &h.op(Duration::from_secs(60)),
        )
        .await
        .unwrap()
        .expect("the instance exists");
    h.server.assert_done();
    assert_eq!(body_of(&h, 0), example["parameters"]["parameters"]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].start, at("2021-02-23T18:33:51.6349708Z"));
    assert_eq!(got[0].end, at("2021-02-24T00:35:17Z"));

    let h = Harness::new(API).await;
    h.server.push(Step::new("POST", ranges_post(), 200).json(
        json!({"properties": {"objectType": "AzureBackupFindRestorableTimeRangesResponse", "restorableTimeRanges": []}}),
    ));
    let got = h
        .client
        .find_restorable_time_ranges(&instance(), None, None, &h.op(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(got, Some(vec![]));
    assert_eq!(
        body_of(&h, 0),
        json!({"sourceDataStoreType": "OperationalStore"})
    );
}

/// An answer with an unparsable time or a range that ends before it starts is a decode error
/// naming the problem, never ranges.
#[tokio::test]
async fn restorable_time_ranges_refuse_bad_times() {
    for (range, want) in [
        (
            json!({"startTime": "2026-13-01T00:00:00Z", "endTime": "2026-03-01T00:00:00Z"}),
            "not an RFC 3339 time",
        ),
        (
            json!({"startTime": "2026-03-02T00:00:00Z", "endTime": "2026-03-01T00:00:00Z"}),
            "before it starts",
        ),
    ] {
        let h = Harness::new(API).await;
        h.server.push(
            Step::new("POST", ranges_post(), 200)
                .json(json!({"id": "bi-disk-1", "properties": {"restorableTimeRanges": [range]}})),
        );
        let e = h
            .client
            .find_restorable_time_ranges(&instance(), None, None, &h.op(Duration::from_secs(60)))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
        assert!(e.to_string().contains(want), "{e}");
        assert!(e.to_string().contains("was not used"), "{e}");
    }
}

/// A 404 with the service's not-found code proves the instance gone (`None`); a 404 without
/// proof (an HTML page) and the service's refusal for a kind without ranges are errors with the
/// service's code and message.
#[tokio::test]
async fn restorable_time_ranges_404_and_refusal() {
    let h = Harness::new(API).await;
    h.server.push(
        Step::new("POST", ranges_post(), 404)
            .header("x-ms-error-code", "ResourceNotFound")
            .json(json!({"error": {"code": "ResourceNotFound", "message": "The Resource 'Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi-disk-1' under resource group 'rg-backup' was not found."}})),
    );
    let got = h
        .client
        .find_restorable_time_ranges(&instance(), None, None, &h.op(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(got, None);

    let h = Harness::new(API).await;
    h.server
        .push(Step::new("POST", ranges_post(), 404).raw_body("<html>not here</html>"));
    let e = h
        .client
        .find_restorable_time_ranges(&instance(), None, None, &h.op(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");

    let h = Harness::new(API).await;
    h.server.push(Step::new("POST", ranges_post(), 400).json(json!({"error": {
        "code": "UserErrorRestorableTimeRangesNotSupported",
        "message": "Backup instance 'bi-disk-1' keeps discrete recovery points; list them instead of restorable time ranges."
    }})));
    let e = h
        .client
        .find_restorable_time_ranges(&instance(), None, None, &h.op(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    assert_eq!(e.code(), Some("UserErrorRestorableTimeRangesNotSupported"));
    assert!(e.to_string().contains("discrete recovery points"), "{e}");
    assert_eq!(h.server.seen().len(), 1, "a refusal is not retried");
}

/// The restored disk's delete: the Compute API version, the operation followed to the end; a
/// 404 that proves the disk absent is done, one that does not is an error.
#[tokio::test]
async fn a_restored_disk_is_deleted_through_its_operation() {
    use terraform_provider_azurebackup::azure::client::COMPUTE_API_VERSION;
    let h = Harness::new(API).await;
    let rg: ResourceGroupId = format!("/subscriptions/{SUB}/resourceGroups/rg-data")
        .parse()
        .unwrap();
    let disk = restore::new_disk_id(&rg, "disk-1-restored").unwrap();
    let url = format!("{disk}?api-version={COMPUTE_API_VERSION}");
    let status = format!(
        "/subscriptions/{SUB}/providers/Microsoft.Compute/locations/westeurope/operations/op-d?api-version={COMPUTE_API_VERSION}"
    );
    h.server.push(
        Step::new("DELETE", url.clone(), 202)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header("Retry-After", "5"),
    );
    h.server.push(
        Step::new("GET", status.clone(), 200).json(json!({"name": "op-d", "status": "InProgress"})),
    );
    h.server.push(
        Step::new("GET", status.clone(), 200).json(json!({"name": "op-d", "status": "Succeeded"})),
    );
    let op = h.op(Duration::from_secs(600));
    h.client.delete_disk(&disk, &op).await.unwrap();
    h.server.push(Step::new("DELETE", url.clone(), 404).json(
        json!({"error": {"code": "ResourceNotFound", "message": "The Resource 'Microsoft.Compute/disks/disk-1-restored' was not found."}}),
    ));
    h.client.delete_disk(&disk, &op).await.unwrap();
    h.server.push(
        Step::new("DELETE", url.clone(), 404)
            .header("content-type", "text/html")
            .raw_body("<html>Not Found</html>"),
    );
    let e = h.client.delete_disk(&disk, &op).await.unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
    h.server.assert_done();
}
