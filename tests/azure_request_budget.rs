//! The requests one change costs, pinned against a scripted server in virtual time: a create is
//! the PUT, one status poll per `Retry-After` and the read of the result; a PUT whose answer is
//! already final is not polled (and nothing sleeps); a delete is the DELETE and its status polls,
//! nothing after.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{BackupInstanceId, BackupVaultId};
use terraform_provider_azurebackup::azure::models::BackupInstanceResource;

const API: &str = "2025-07-01";

fn instance_id() -> BackupInstanceId {
    let vault: BackupVaultId = format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo").parse().unwrap();
    vault.instance("bi-disk-1")
}

fn target(id: &BackupInstanceId) -> String {
    format!("{id}?api-version={API}")
}

fn status_path(op: &str) -> String {
    format!(
        "/subscriptions/{SUB}/providers/Microsoft.DataProtection/locations/westeurope/operationStatus/{op}?api-version={API}"
    )
}

fn resource_body(state: &str, protection: &str) -> serde_json::Value {
    json!({
        "id": instance_id().to_string(),
        "name": "bi-disk-1",
        "type": "Microsoft.DataProtection/backupVaults/backupInstances",
        "properties": {
            "dataSourceInfo": {"resourceID": format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"), "objectType": "Datasource"},
            "policyInfo": {"policyId": "/subscriptions/x/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-disk"},
            "provisioningState": state,
            "currentProtectionState": protection,
            "protectionStatus": {"status": protection},
            "objectType": "BackupInstance"
        }
    })
}

fn body() -> BackupInstanceResource {
    serde_json::from_value(resource_body("Succeeded", "ProtectionConfigured")).unwrap()
}

/// Create: PUT (201, running) → one status poll after exactly `Retry-After` → the resource. Three
/// requests, one sleep.
#[tokio::test]
async fn create_is_put_one_status_poll_and_the_result() {
    let h = Harness::new(API).await;
    let id = instance_id();
    let status = status_path("b3Ax");
    h.server.push(
        Step::new("PUT", target(&id), 201)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header("Retry-After", "3")
            .json(resource_body("Provisioning", "ConfiguringProtection")),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "Succeeded"})));
    h.server.push(
        Step::new("GET", target(&id), 200).json(resource_body("Succeeded", "ProtectionConfigured")),
    );
    let out = h
        .client
        .put_backup_instance(&id, &body(), &h.op(Duration::from_secs(600)))
        .await
        .expect("put");
    assert_eq!(
        out.properties.current_protection_state.as_deref(),
        Some("ProtectionConfigured")
    );
    h.server.assert_done();
    assert_eq!(h.server.seen().len(), 3);
    assert_eq!(h.clock.sleeps(), vec![Duration::from_secs(3)]);
}

/// A PUT answered 200/201 with `provisioningState: Succeeded` is final even when it names an
/// operation: no status poll, no read-back, no sleep.
#[tokio::test]
async fn a_final_put_answer_is_not_polled() {
    for status_code in [200, 201] {
        let h = Harness::new(API).await;
        let id = instance_id();
        h.server.push(
            Step::new("PUT", target(&id), status_code)
                .header(
                    "Azure-AsyncOperation",
                    format!("{}{}", h.server.base, status_path("ZG9uZQ")),
                )
                .header("Retry-After", "10")
                .json(resource_body("Succeeded", "ProtectionConfigured")),
        );
        let out = h
            .client
            .put_backup_instance(&id, &body(), &h.op(Duration::from_secs(600)))
            .await
            .expect("put");
        assert_eq!(
            out.properties.provisioning_state.as_deref(),
            Some("Succeeded")
        );
        h.server.assert_done();
        assert_eq!(h.server.seen().len(), 1, "{status_code}");
        assert!(h.clock.sleeps().is_empty(), "{status_code}");
    }
}

/// A PUT answer whose provisioningState is still running is polled as before.
#[tokio::test]
async fn a_running_put_answer_is_still_polled() {
    let h = Harness::new(API).await;
    let id = instance_id();
    let status = status_path("cnVu");
    h.server.push(
        Step::new("PUT", target(&id), 200)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .json(resource_body("Updating", "UpdatingProtection")),
    );
    h.server.push(
        Step::new("GET", status.clone(), 200)
            .header("Retry-After", "2")
            .json(json!({"status": "Inprogress"})),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "Succeeded"})));
    h.server.push(
        Step::new("GET", target(&id), 200).json(resource_body("Succeeded", "ProtectionConfigured")),
    );
    h.client
        .put_backup_instance(&id, &body(), &h.op(Duration::from_secs(600)))
        .await
        .expect("put");
    h.server.assert_done();
    // Never sooner than Retry-After: the answer without one falls back to the first backoff.
    assert_eq!(
        h.clock.sleeps(),
        vec![Duration::from_secs(1), Duration::from_secs(2)]
    );
}

/// Delete: the DELETE and status polls until `Succeeded`, then nothing: the operation's end is
/// the answer, no read-back.
#[tokio::test]
async fn delete_is_the_delete_and_its_status_polls() {
    let h = Harness::new(API).await;
    let id = instance_id();
    let status = status_path("ZGVs");
    h.server.push(
        Step::new("DELETE", target(&id), 202)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header(
                "Location",
                format!(
                    "{}{id}/operationResults/ZGVs?api-version={API}",
                    h.server.base
                ),
            )
            .header("Retry-After", "4"),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "Succeeded"})));
    h.client
        .delete_backup_instance(&id, &h.op(Duration::from_secs(600)))
        .await
        .expect("delete");
    h.server.assert_done();
    assert_eq!(h.server.seen().len(), 2);
    assert_eq!(h.clock.sleeps(), vec![Duration::from_secs(4)]);
}
