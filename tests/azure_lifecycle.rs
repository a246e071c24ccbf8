//! The lifecycle operations (stop / suspend / resume, soft-deleted instances, undelete) and the
//! typed errors of the secure-by-default API versions, against a scripted local HTTPS server in
//! virtual time: each test asserts the exact request sequence.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{BackupInstanceId, BackupVaultId};
use terraform_provider_azurebackup::azure::client::ProtectionAction;

const API: &str = "2026-06-01";

fn vault() -> BackupVaultId {
    format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo").parse().unwrap()
}

fn instance_id() -> BackupInstanceId {
    vault().instance("bi-disk-1")
}

fn disk() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1")
}

fn body(state: &str) -> serde_json::Value {
    json!({
        "id": instance_id().to_string(),
        "name": "bi-disk-1",
        "properties": {
            "dataSourceInfo": {"resourceID": disk(), "objectType": "Datasource"},
            "policyInfo": {"policyId": format!("{}/backupPolicies/policy-disk", vault())},
            "provisioningState": "Succeeded",
            "currentProtectionState": state,
            "protectionStatus": {"status": state},
            "objectType": "BackupInstance"
        }
    })
}

fn seq(v: &[(&str, String)]) -> Vec<(String, String)> {
    v.iter().map(|(m, t)| (m.to_string(), t.clone())).collect()
}

/// stopProtection answers 202 with Azure-AsyncOperation; the client polls it to Succeeded, and
/// the wait then reads the instance until it shows the target state.
#[tokio::test]
async fn action_polls_the_operation_then_waits_for_the_state() {
    let h = Harness::new(API).await;
    let post = format!("{}/stopProtection?api-version={API}", instance_id());
    let status = format!("{}/operationStatus/op-1?api-version={API}", vault());
    let get = format!("{}?api-version={API}", instance_id());
    h.server.push(
        Step::new("POST", post.clone(), 202)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header("Retry-After", "1"),
    );
    h.server.push(
        Step::new("GET", status.clone(), 200)
            .json(json!({"id": "x", "name": "op-1", "status": "Inprogress"})),
    );
    h.server.push(
        Step::new("GET", status.clone(), 200)
            .json(json!({"id": "x", "name": "op-1", "status": "Succeeded"})),
    );
    h.server
        .push(Step::new("GET", get.clone(), 200).json(body("ProtectionConfigured")));
    h.server
        .push(Step::new("GET", get.clone(), 200).json(body("ProtectionStopped")));
    let op = h.op(Duration::from_secs(600));
    h.client
        .protection_action(&instance_id(), ProtectionAction::StopProtection, &op)
        .await
        .unwrap();
    let res = h
        .client
        .wait_for_state(
            &instance_id(),
            ProtectionAction::StopProtection.target_state(),
            &op,
        )
        .await
        .unwrap();
    assert_eq!(
        res.properties.current_protection_state.as_deref(),
        Some("ProtectionStopped")
    );
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        seq(&[
            ("POST", post),
            ("GET", status.clone()),
            ("GET", status),
            ("GET", get.clone()),
            ("GET", get)
        ])
    );
}

/// Undelete as recorded (200 at once) is one request; as the spec allows (202 with only a
/// Location) it is polled until the Location answers something other than 202.
#[tokio::test]
async fn undelete_accepts_200_and_202_with_location() {
    let h = Harness::new(API).await;
    let post = format!(
        "{}/deletedBackupInstances/bi-disk-1/undelete?api-version={API}",
        vault()
    );
    let result = format!(
        "/subscriptions/{SUB}/providers/Microsoft.DataProtection/locations/westeurope/operationResults/op-2?api-version={API}"
    );
    h.server.push(Step::new("POST", post.clone(), 200));
    h.server.push(
        Step::new("POST", post.clone(), 202)
            .header("Location", format!("{}{result}", h.server.base))
            .header("Retry-After", "1"),
    );
    h.server.push(
        Step::new("GET", result.clone(), 202)
            .header("Location", format!("{}{result}", h.server.base)),
    );
    h.server.push(Step::new("GET", result.clone(), 204));
    let op = h.op(Duration::from_secs(600));
    h.client
        .undelete_backup_instance(&vault(), "bi-disk-1", &op)
        .await
        .unwrap();
    h.client
        .undelete_backup_instance(&vault(), "bi-disk-1", &op)
        .await
        .unwrap();
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        seq(&[
            ("POST", post.clone()),
            ("POST", post),
            ("GET", result.clone()),
            ("GET", result)
        ])
    );
}

/// The deleted list decodes the instance body and deletionInfo; a missing item is `None`.
#[tokio::test]
async fn deleted_instances_list_and_get() {
    let h = Harness::new(API).await;
    let list = format!("{}/deletedBackupInstances?api-version={API}", vault());
    let one = format!("{}/deletedBackupInstances/gone?api-version={API}", vault());
    let mut item = body("SoftDeleted");
    item["properties"]["objectType"] = json!("DeletedBackupInstance");
    item["properties"]["deletionInfo"] = json!({
        "deletionTime": "2026-01-01T00:00:00Z", "billingEndDate": "2026-01-01T00:00:00Z",
        "scheduledPurgeTime": "2026-01-15T00:00:00Z", "deleteActivityID": "a"
    });
    h.server
        .push(Step::new("GET", list.clone(), 200).json(json!({"value": [item]})));
    h.server.push(Step::new("GET", one.clone(), 404).json(json!({"ErrorCode": "UserErrorGenericResourceNotFound", "Message": {"Language": "en-US", "Value": "Azure resource does not exist"}, "Values": []})));
    let op = h.op(Duration::from_secs(60));
    let all = h
        .client
        .list_deleted_backup_instances(&vault(), &op)
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    let p = &all[0].properties;
    assert_eq!(
        p.deletion_info.scheduled_purge_time.as_deref(),
        Some("2026-01-15T00:00:00Z")
    );
    assert_eq!(p.instance.data_source_info.resource_id, disk());
    assert_eq!(
        p.instance.current_protection_state.as_deref(),
        Some("SoftDeleted")
    );
    assert!(
        h.client
            .get_deleted_backup_instance(&vault(), "gone", &op)
            .await
            .unwrap()
            .is_none()
    );
    h.server.assert_done();
}

/// The AlwaysOn refusal (code never captured) is recognised by the service's words.
#[tokio::test]
async fn always_on_refusal_is_a_typed_error() {
    let h = Harness::new(API).await;
    let get = format!("{}?api-version={API}", instance_id());
    h.server.push(Step::new("GET", get, 400).json(json!({"error": {
        "code": "SomeUnknownCode",
        "message": "This API version requires backup vaults to have the soft delete setting configured to Enable Always-On Soft Delete.",
        "additionalInfo": [{"type": "UserFacingError", "info": {
            "message": "This API version requires backup vaults to have the soft delete setting configured to Enable Always-On Soft Delete.",
            "recommendedAction": ["To use this API version, you must configure backup vaults with the soft delete setting set to Enable Always-On Soft Delete. If you don't want to enable this setting, use an older API version instead."]
        }}]
    }})));
    let e = h
        .client
        .get_backup_instance(&instance_id(), &h.op(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(e.is_always_on_required());
    assert!(!e.is_soft_deleted_conflict());
    h.server.assert_done();
}

/// The next step towards `BackupsSuspended` from what was just read.
fn towards_suspended(
    r: &terraform_provider_azurebackup::azure::models::BackupInstanceResource,
) -> Option<ProtectionAction> {
    match r.properties.current_protection_state.as_deref() {
        Some("ProtectionConfigured") => Some(ProtectionAction::SuspendBackups),
        _ => None,
    }
}

fn configured() -> terraform_provider_azurebackup::azure::models::BackupInstanceResource {
    serde_json::from_value(body("ProtectionConfigured")).unwrap()
}

/// A protection action whose connection drops is not blindly sent again: the instance is read
/// first, and the action is sent again only because the read shows it did not happen.
#[tokio::test]
async fn a_dropped_action_is_read_back_then_sent_again() {
    let h = Harness::new(API).await;
    let post = format!("{}/suspendBackups?api-version={API}", instance_id());
    let get = format!("{}?api-version={API}", instance_id());
    h.server
        .push(Step::new("POST", post.clone(), 200).drop_connection());
    h.server
        .push(Step::new("GET", get.clone(), 200).json(body("ProtectionConfigured")));
    h.server.push(Step::new("POST", post.clone(), 200));
    h.server
        .push(Step::new("GET", get.clone(), 200).json(body("BackupsSuspended")));
    let op = h.op(Duration::from_secs(600));
    let res = h
        .client
        .converge_protection(&instance_id(), configured(), towards_suspended, &op)
        .await
        .unwrap();
    assert_eq!(
        res.properties.current_protection_state.as_deref(),
        Some("BackupsSuspended")
    );
    h.server.assert_done();
    assert_eq!(
        h.server.sequence(),
        seq(&[
            ("POST", post.clone()),
            ("GET", get.clone()),
            ("POST", post),
            ("GET", get)
        ])
    );
}

/// The dropped action did reach the service (the read shows its effect): nothing is sent again.
#[tokio::test]
async fn a_dropped_action_that_took_effect_is_not_sent_again() {
    let h = Harness::new(API).await;
    let post = format!("{}/suspendBackups?api-version={API}", instance_id());
    let get = format!("{}?api-version={API}", instance_id());
    h.server
        .push(Step::new("POST", post.clone(), 200).drop_connection());
    h.server
        .push(Step::new("GET", get.clone(), 200).json(body("BackupsSuspended")));
    let op = h.op(Duration::from_secs(600));
    let res = h
        .client
        .converge_protection(&instance_id(), configured(), towards_suspended, &op)
        .await
        .unwrap();
    assert_eq!(
        res.properties.current_protection_state.as_deref(),
        Some("BackupsSuspended")
    );
    h.server.assert_done();
    assert_eq!(h.server.sequence(), seq(&[("POST", post), ("GET", get)]));
}

/// Another operation holds the instance (a killed run's `suspendBackups`): wait it out, read
/// again, and recompute: the other run already suspended it, so nothing is sent again (the old
/// code re-sent the planned action and failed "not allowed in BackupsSuspended").
#[tokio::test]
async fn after_waiting_out_another_operation_the_steps_are_recomputed() {
    let h = Harness::new(API).await;
    let post = format!("{}/suspendBackups?api-version={API}", instance_id());
    let get = format!("{}?api-version={API}", instance_id());
    h.server
        .push(Step::new("POST", post.clone(), 409).json(json!({"error": {
            "code": "UserErrorAnotherOperationInProgress",
            "message": "Another operation is in progress on the backup instance."
        }})));
    h.server
        .push(Step::new("GET", get.clone(), 200).json(body("BackupsSuspended")));
    let op = h.op(Duration::from_secs(600));
    let res = h
        .client
        .converge_protection(&instance_id(), configured(), towards_suspended, &op)
        .await
        .unwrap();
    assert_eq!(
        res.properties.current_protection_state.as_deref(),
        Some("BackupsSuspended")
    );
    h.server.assert_done();
    assert_eq!(h.server.sequence(), seq(&[("POST", post), ("GET", get)]));
    assert_eq!(h.clock.sleeps(), vec![Duration::from_secs(1)]);
}
