//! The waits between calls (protection configured, another operation finished, role
//! assignments propagated) against a scripted local HTTPS server, in virtual time: each test
//! asserts the exact request sequence and every sleep on the client's clock.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{
    BackupInstanceId, BackupPolicyId, BackupVaultId, DatasourceId,
};
use terraform_provider_azurebackup::azure::models::{BackupInstance, BackupInstanceResource};
use terraform_provider_azurebackup::azure::wait::{ProtectionWaitFailure, Validation};

const API: &str = "2025-07-01";

fn vault() -> BackupVaultId {
    format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo").parse().unwrap()
}

fn instance_id() -> BackupInstanceId {
    vault().instance("bi-disk-1")
}

fn disk() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1")
}

fn get_target() -> String {
    format!("{}?api-version={API}", instance_id())
}

fn validate_target() -> String {
    format!("{}/validateForBackup?api-version={API}", vault())
}

fn disk_instance() -> BackupInstance {
    let ds: DatasourceId = disk().parse().unwrap();
    let policy: BackupPolicyId = format!("{}/backupPolicies/policy-disk", vault())
        .parse()
        .unwrap();
    BackupInstance::new_for(&ds, "westeurope", &policy).with_snapshot_resource_group(
        &format!("/subscriptions/{SUB}/resourceGroups/rg-snapshots")
            .parse()
            .unwrap(),
    )
}

fn resource_body(protection: &str) -> serde_json::Value {
    json!({
        "id": instance_id().to_string(),
        "name": "bi-disk-1",
        "properties": {
            "dataSourceInfo": {"resourceID": disk(), "objectType": "Datasource"},
            "policyInfo": {"policyId": format!("{}/backupPolicies/policy-disk", vault())},
            "provisioningState": "Succeeded",
            "currentProtectionState": protection,
            "protectionStatus": {"status": protection},
            "objectType": "BackupInstance"
        }
    })
}

fn get_answer(protection: &str) -> Step {
    Step::new("GET", get_target(), 200).json(resource_body(protection))
}

fn permission_error() -> Step {
    Step::new("POST", validate_target(), 403).json(json!({"error": {
        "code": "AuthorizationFailed",
        "message": "The client does not have authorization to perform action 'Microsoft.Compute/disks/read'."
    }}))
}

fn in_progress() -> Step {
    Step::new("PUT", get_target(), 409).json(json!({"error": {
        "code": "UserErrorAnotherOperationInProgress",
        "message": "Another operation is in progress on the backup instance."
    }}))
}

fn ms(v: &[u64]) -> Vec<Duration> {
    v.iter().map(|m| Duration::from_millis(*m)).collect()
}

fn secs(v: &[u64]) -> Vec<Duration> {
    v.iter().map(|s| Duration::from_secs(*s)).collect()
}

fn gets(n: usize) -> Vec<(String, String)> {
    vec![("GET".to_string(), get_target()); n]
}

#[tokio::test]
async fn protection_configuring_then_configured() {
    let h = Harness::new(API).await;
    h.server.push(get_answer("ConfiguringProtection"));
    h.server.push(get_answer("ConfiguringProtection"));
    h.server.push(get_answer("ProtectionConfigured"));
    let res = h
        .client
        .wait_for_protection(&instance_id(), &h.op(Duration::from_secs(600)), None)
        .await
        .unwrap();
    assert_eq!(
        res.properties.current_protection_state.as_deref(),
        Some("ProtectionConfigured")
    );
    h.server.assert_done();
    assert_eq!(h.server.sequence(), gets(3));
    assert_eq!(h.clock.sleeps(), ms(&[500, 1000]));
}

/// The instance a PUT read back is the first look: no GET for it.
#[tokio::test]
async fn protection_first_look_is_the_put_answer() {
    let h = Harness::new(API).await;
    let first: BackupInstanceResource =
        serde_json::from_value(resource_body("ConfiguringProtection")).unwrap();
    h.server.push(get_answer("ProtectionConfigured"));
    h.client
        .wait_for_protection(&instance_id(), &h.op(Duration::from_secs(600)), Some(first))
        .await
        .unwrap();
    h.server.assert_done();
    assert_eq!(h.server.sequence(), gets(1));
    assert_eq!(h.clock.sleeps(), ms(&[500]));
}

#[tokio::test]
async fn protection_failure_is_reported_with_the_instance() {
    let h = Harness::new(API).await;
    h.server.push(get_answer("ConfiguringProtection"));
    let mut failed = resource_body("ProtectionError");
    failed["properties"]["protectionErrorDetails"] =
        json!({"code": "UserErrorMissingRequiredPermissions", "message": "no role"});
    h.server
        .push(Step::new("GET", get_target(), 200).json(failed));
    let err = h
        .client
        .wait_for_protection(&instance_id(), &h.op(Duration::from_secs(600)), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, ProtectionWaitFailure::ProtectionFailed),
        "{err:?}"
    );
    let last = err.last.expect("the failed instance");
    assert_eq!(
        last.properties.current_protection_state.as_deref(),
        Some("ProtectionError")
    );
    h.server.assert_done();
    assert_eq!(h.server.sequence(), gets(2));
    assert_eq!(h.clock.sleeps(), ms(&[500]));
}

#[tokio::test]
async fn protection_wait_stops_before_the_deadline() {
    let h = Harness::new(API).await;
    for _ in 0..3 {
        h.server.push(get_answer("ConfiguringProtection"));
    }
    let err = h
        .client
        .wait_for_protection(&instance_id(), &h.op(Duration::from_secs(3)), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, ProtectionWaitFailure::Timeout),
        "{err:?}"
    );
    assert!(err.last.is_some());
    h.server.assert_done();
    assert_eq!(h.server.sequence(), gets(3));
    // 0.5 s and 1 s slept; the next 2 s would end at 3.5 s, past the 3 s deadline.
    assert_eq!(h.clock.sleeps(), ms(&[500, 1000]));
    assert_eq!(h.clock.elapsed(), Duration::from_millis(1500));
}

#[tokio::test]
async fn protection_wait_ends_when_the_instance_vanishes() {
    let h = Harness::new(API).await;
    h.server.push(get_answer("ConfiguringProtection"));
    h.server.push(
        Step::new("GET", get_target(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    let err = h
        .client
        .wait_for_protection(&instance_id(), &h.op(Duration::from_secs(600)), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, ProtectionWaitFailure::Vanished),
        "{err:?}"
    );
    h.server.assert_done();
    assert_eq!(h.clock.sleeps(), ms(&[500]));
}

/// Cancellation (Ctrl-C) ends the wait instead of the sleep.
#[tokio::test]
async fn protection_wait_is_cancellable() {
    let h = Harness::new(API).await;
    let op = h.op(Duration::from_secs(600));
    let first: BackupInstanceResource =
        serde_json::from_value(resource_body("ConfiguringProtection")).unwrap();
    op.cancel.cancel();
    let err = h
        .client
        .wait_for_protection(&instance_id(), &op, Some(first))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, ProtectionWaitFailure::Cancelled),
        "{err:?}"
    );
    assert!(err.last.is_some());
    h.server.assert_done();
    assert!(h.server.sequence().is_empty());
    assert!(h.clock.sleeps().is_empty());
}

#[tokio::test]
async fn another_operation_twice_then_success() {
    let h = Harness::new(API).await;
    h.server.push(in_progress());
    h.server.push(in_progress());
    h.server
        .push(Step::new("PUT", get_target(), 200).json(resource_body("ConfiguringProtection")));
    let op = h.op(Duration::from_secs(600));
    let body: BackupInstanceResource =
        serde_json::from_value(resource_body("ConfiguringProtection")).unwrap();
    let id = instance_id();
    let res = h
        .client
        .when_idle(&id, &op, || h.client.put_backup_instance(&id, &body, &op))
        .await
        .unwrap();
    assert_eq!(res.name.as_deref(), Some("bi-disk-1"));
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        vec![("PUT".to_string(), get_target()); 3]
    );
    assert_eq!(h.clock.sleeps(), secs(&[1, 2]));
}

#[tokio::test]
async fn another_operation_until_the_deadline_is_the_409() {
    let h = Harness::new(API).await;
    for _ in 0..3 {
        h.server.push(in_progress());
    }
    let op = h.op(Duration::from_secs(4));
    let body: BackupInstanceResource =
        serde_json::from_value(resource_body("ConfiguringProtection")).unwrap();
    let id = instance_id();
    let err = h
        .client
        .when_idle(&id, &op, || h.client.put_backup_instance(&id, &body, &op))
        .await
        .unwrap_err();
    assert!(err.is_operation_in_progress(), "{err}");
    h.server.assert_done();
    // 1 s and 2 s slept; the next 4 s would end at 7 s, past the 4 s deadline.
    assert_eq!(h.clock.sleeps(), secs(&[1, 2]));
}

/// Role assignments that appear after two minutes: validation is re-tried with backoff until
/// it passes.
#[tokio::test]
async fn permission_error_clears_after_two_minutes() {
    let h = Harness::new(API).await;
    for _ in 0..7 {
        h.server.push(permission_error());
    }
    h.server
        .push(Step::new("POST", validate_target(), 200).json(json!({})));
    let found = h
        .client
        .validate_until_permitted(
            &vault(),
            &instance_id(),
            &disk_instance(),
            Duration::from_secs(300),
            &h.op(Duration::from_secs(1800)),
        )
        .await
        .unwrap();
    assert_eq!(found, Validation::Passed);
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        vec![("POST".to_string(), validate_target()); 8]
    );
    assert_eq!(h.clock.sleeps(), secs(&[2, 4, 8, 16, 30, 30, 30]));
    assert_eq!(h.clock.elapsed(), Duration::from_secs(120));
}

/// A permission error that never clears ends with that error at the propagation window.
#[tokio::test]
async fn permission_error_ends_at_the_propagation_window() {
    let h = Harness::new(API).await;
    for _ in 0..6 {
        h.server.push(permission_error());
    }
    let err = h
        .client
        .validate_until_permitted(
            &vault(),
            &instance_id(),
            &disk_instance(),
            Duration::from_secs(60),
            &h.op(Duration::from_secs(1800)),
        )
        .await
        .unwrap_err();
    assert!(err.is_permission(), "{err}");
    h.server.assert_done();
    assert_eq!(h.server.sequence().len(), 6);
    // 60 s slept in all; another 30 s would leave the 60 s window.
    assert_eq!(h.clock.sleeps(), secs(&[2, 4, 8, 16, 30]));
}

/// The caller's deadline bounds the propagation wait too, when it comes first.
#[tokio::test]
async fn permission_wait_stops_before_the_deadline() {
    let h = Harness::new(API).await;
    for _ in 0..3 {
        h.server.push(permission_error());
    }
    let err = h
        .client
        .validate_until_permitted(
            &vault(),
            &instance_id(),
            &disk_instance(),
            Duration::from_secs(600),
            &h.op(Duration::from_secs(10)),
        )
        .await
        .unwrap_err();
    assert!(err.is_permission(), "{err}");
    h.server.assert_done();
    assert_eq!(h.clock.sleeps(), secs(&[2, 4]));
}

/// "Already protected" by our own deterministic instance (same datasource, other casing) is
/// adopted; by anything else it is the error.
#[tokio::test]
async fn already_protected_by_our_instance_is_adopted() {
    let already = || {
        Step::new("POST", validate_target(), 400).json(json!({"error": {
            "code": "UserErrorDppDatasourceAlreadyProtected",
            "message": "Datasource is already protected."
        }}))
    };
    let h = Harness::new(API).await;
    h.server.push(already());
    let mut ours = resource_body("ProtectionConfigured");
    ours["properties"]["dataSourceInfo"]["resourceID"] = json!(disk().to_ascii_lowercase());
    h.server
        .push(Step::new("GET", get_target(), 200).json(ours));
    let op = h.op(Duration::from_secs(600));
    let found = h
        .client
        .validate_until_permitted(
            &vault(),
            &instance_id(),
            &disk_instance(),
            Duration::from_secs(60),
            &op,
        )
        .await
        .unwrap();
    assert_eq!(found, Validation::AlreadyOurs);
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        vec![
            ("POST".to_string(), validate_target()),
            ("GET".to_string(), get_target())
        ]
    );

    h.server.push(already());
    h.server.push(
        Step::new("GET", get_target(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "none"}}),
        ),
    );
    let err = h
        .client
        .validate_until_permitted(
            &vault(),
            &instance_id(),
            &disk_instance(),
            Duration::from_secs(60),
            &op,
        )
        .await
        .unwrap_err();
    assert!(err.is_already_protected(), "{err}");
    h.server.assert_done();
    assert!(h.clock.sleeps().is_empty());
}
