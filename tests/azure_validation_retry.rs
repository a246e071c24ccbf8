//! `validateForBackup` changes nothing, so it is retried like a read: a dropped POST is sent
//! again, and a validation whose operation ends in an internal error runs again, within the
//! caller's deadline. Answers about the configuration are never retried. Virtual time.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{BackupPolicyId, BackupVaultId, DatasourceId};
use terraform_provider_azurebackup::azure::models::BackupInstance;

const API: &str = "2025-07-01";

fn vault() -> BackupVaultId {
    format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo").parse().unwrap()
}

fn validate_target() -> String {
    format!("{}/validateForBackup?api-version={API}", vault())
}

fn status_target(n: u32) -> String {
    format!("{}/operationStatus/op{n}?api-version={API}", vault())
}

fn disk() -> BackupInstance {
    let ds: DatasourceId = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
    )
    .parse()
    .unwrap();
    let policy: BackupPolicyId = format!("{}/backupPolicies/p", vault()).parse().unwrap();
    BackupInstance::new_for(&ds, "westeurope", &policy)
}

fn accepted(h: &Harness, n: u32) -> Step {
    Step::new("POST", validate_target(), 202)
        .header(
            "Azure-AsyncOperation",
            format!("{}{}", h.server.base, status_target(n)),
        )
        .header("Retry-After", "5")
}

fn failed_with(code: &str) -> serde_json::Value {
    json!({"status": "Failed", "error": {"code": code, "message": format!("{code} happened")}})
}

/// The connection drops after the POST was sent: it is sent again (a POST that creates
/// something would not be), and the validation then passes.
#[tokio::test]
async fn dropped_validate_post_is_sent_again() {
    let h = Harness::new(API).await;
    h.server
        .push(Step::new("POST", validate_target(), 202).drop_connection());
    h.server.push(accepted(&h, 1));
    h.server
        .push(Step::new("GET", status_target(1), 200).json(json!({"status": "Succeeded"})));
    h.client
        .validate_for_backup(&vault(), &disk(), &h.op(Duration::from_secs(300)))
        .await
        .expect("validation passes on the second POST");
    h.server.assert_done();
    let posts = h
        .server
        .sequence()
        .iter()
        .filter(|(m, _)| m == "POST")
        .count();
    assert_eq!(posts, 2);
}

/// A validation operation that ends `Failed` with an internal error is run again, after a
/// pause; the second run's answer stands.
#[tokio::test]
async fn validation_failed_with_internal_error_runs_again() {
    let h = Harness::new(API).await;
    h.server.push(accepted(&h, 1));
    h.server
        .push(Step::new("GET", status_target(1), 200).json(failed_with("InternalError")));
    h.server.push(accepted(&h, 2));
    h.server
        .push(Step::new("GET", status_target(2), 200).json(json!({"status": "Succeeded"})));
    h.client
        .validate_for_backup(&vault(), &disk(), &h.op(Duration::from_secs(300)))
        .await
        .expect("the second validation passes");
    h.server.assert_done();
    // Retry-After 5 s before each status check, and a 2 s pause between the two validations.
    assert_eq!(
        h.clock.sleeps(),
        vec![
            Duration::from_secs(5),
            Duration::from_secs(2),
            Duration::from_secs(5)
        ]
    );
}

/// A transient failure that lasts until the deadline is reported as that failure (the caller
/// decides what it means), never retried past the deadline.
#[tokio::test]
async fn persistent_internal_error_stops_at_the_deadline() {
    let h = Harness::new(API).await;
    // 5 s + 2 s + 5 s + 4 s + 5 s = 21 s: a third pause of 8 s would pass the 25 s deadline.
    for n in 1..=3 {
        h.server.push(accepted(&h, n));
        h.server
            .push(Step::new("GET", status_target(n), 200).json(failed_with("InternalError")));
    }
    let err = h
        .client
        .validate_for_backup(&vault(), &disk(), &h.op(Duration::from_secs(25)))
        .await
        .expect_err("still failing at the deadline");
    assert!(err.is_transient(), "{err}");
    h.server.assert_done();
    assert!(h.clock.elapsed() <= Duration::from_secs(25));
}

/// An answer about the configuration is final at once: no second validation.
#[tokio::test]
async fn permission_failure_is_not_retried_here() {
    let h = Harness::new(API).await;
    h.server.push(accepted(&h, 1));
    h.server.push(
        Step::new("GET", status_target(1), 200)
            .json(failed_with("UserErrorMissingRequiredPermissions")),
    );
    let err = h
        .client
        .validate_for_backup(&vault(), &disk(), &h.op(Duration::from_secs(300)))
        .await
        .expect_err("permission answers are for the caller");
    assert!(err.is_permission() && !err.is_transient(), "{err}");
    h.server.assert_done();
}
