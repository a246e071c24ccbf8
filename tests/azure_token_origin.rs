//! The bearer token goes only to the configured Resource Manager endpoint. Operation URLs come
//! from response headers (`Azure-AsyncOperation`, `Location`); one that points elsewhere — plain
//! http, another host, another port — is refused with an error naming where it pointed, and
//! nothing at all is sent there.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, ScriptServer, Step};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{
    BackupInstanceId, BackupPolicyId, BackupVaultId, DatasourceId,
};
use terraform_provider_azurebackup::azure::models::{BackupInstance, BackupInstanceResource};

const API: &str = "2025-07-01";

fn instance_id() -> BackupInstanceId {
    let vault: BackupVaultId = format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo").parse().unwrap();
    vault.instance("bi-disk-1")
}

fn body() -> BackupInstanceResource {
    let ds: DatasourceId = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
    )
    .parse()
    .unwrap();
    let policy: BackupPolicyId = format!("{}/backupPolicies/policy-disk", instance_id().vault)
        .parse()
        .unwrap();
    BackupInstanceResource {
        properties: BackupInstance::new_for(&ds, "westeurope", &policy),
        ..Default::default()
    }
}

/// Starts a PUT whose answer points `header` at `elsewhere`, and returns the error text.
async fn put_pointing_at(h: &Harness, header: &str, elsewhere: &str) -> String {
    let id = instance_id();
    h.server.push(
        Step::new("PUT", format!("{id}?api-version={API}"), 201)
            .header(header, elsewhere)
            .json(json!({"id": id.to_string(), "name": "bi-disk-1", "properties": {"provisioningState": "Provisioning"}})),
    );
    let err = h
        .client
        .put_backup_instance(&id, &body(), &h.op(Duration::from_secs(600)))
        .await
        .expect_err("a poll URL on another origin must be refused");
    h.server.assert_done();
    format!("{err}\n{}", err.details())
}

/// A plain-http status URL on another port of the same machine (what a header-rewriting proxy
/// produced): refused, named, and the other server sees no request at all.
#[tokio::test]
async fn async_operation_url_on_plain_http_elsewhere_gets_no_request() {
    let h = Harness::new(API).await;
    let thief = ScriptServer::start_plain().await;
    let url = format!("{}/steal?api-version={API}", thief.base);
    let text = put_pointing_at(&h, "Azure-AsyncOperation", &url).await;
    let port = thief.base.rsplit(':').next().unwrap();
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}")),
        "the error names where the URL pointed: {text}"
    );
    assert!(text.contains("Resource Manager"), "{text}");
    assert!(
        thief.seen().is_empty(),
        "nothing may be sent to a foreign origin: {:?}",
        thief.seen()
    );
}

/// The same for `Location`, and for a different host name on the same port (`localhost` is not
/// the configured `127.0.0.1`): the origin must match exactly.
#[tokio::test]
async fn location_url_on_another_host_is_refused() {
    let h = Harness::new(API).await;
    let port = h.server.base.rsplit(':').next().unwrap().to_string();
    let url = format!("https://localhost:{port}/x/operationResults/1?api-version={API}");
    let text = put_pointing_at(&h, "Location", &url).await;
    assert!(text.contains("https://localhost:"), "{text}");
    // Only the PUT reached the (real) server: no poll, so no second request with the token.
    assert_eq!(h.server.seen().len(), 1);
}

/// A URL that is not absolute is not resolved against anything: it is an error.
#[tokio::test]
async fn relative_operation_url_is_an_error() {
    let h = Harness::new(API).await;
    let text = put_pointing_at(&h, "Azure-AsyncOperation", "/operationStatus/1").await;
    assert!(text.contains("not a valid absolute URL"), "{text}");
}
