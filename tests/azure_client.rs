//! The Data Protection client against a scripted local HTTPS server: exact request sequences for
//! create, update, delete, read, throttling, server errors, failed operations, deadlines and
//! cancellation. Time is virtual, so minute-long waits take microseconds.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step, TOKEN};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{
    BackupInstanceId, BackupPolicyId, BackupVaultId, DatasourceId, KeyVaultSecretUri,
};
use terraform_provider_azurebackup::azure::models::{
    BackupInstance, BackupInstanceResource, IdentityDetails,
};

const API: &str = "2025-07-01";

fn vault() -> BackupVaultId {
    format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo").parse().unwrap()
}

fn instance_id() -> BackupInstanceId {
    vault().instance("bi-disk-1")
}

fn target(id: &impl ToString, api: &str) -> String {
    format!("{}?api-version={api}", id.to_string())
}

fn disk_instance() -> BackupInstance {
    let ds: DatasourceId = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
    )
    .parse()
    .unwrap();
    let policy: BackupPolicyId = format!("{}/backupPolicies/policy-disk", vault())
        .parse()
        .unwrap();
    BackupInstance::new_for(&ds, "westeurope", &policy).with_snapshot_resource_group(
        &format!("/subscriptions/{SUB}/resourceGroups/rg-snapshots")
            .parse()
            .unwrap(),
    )
}

fn resource_body(state: &str, protection: &str) -> serde_json::Value {
    json!({
        "id": instance_id().to_string(),
        "name": "bi-disk-1",
        "type": "Microsoft.DataProtection/backupVaults/backupInstances",
        "properties": {
            "dataSourceInfo": {"resourceID": format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"), "objectType": "Datasource"},
            "policyInfo": {"policyId": format!("{}/backupPolicies/policy-disk", vault())},
            "provisioningState": state,
            "currentProtectionState": protection,
            "protectionStatus": {"status": protection},
            "objectType": "BackupInstance"
        }
    })
}

/// A status URL shaped like the real ones: base64 id and a signed query string.
fn signed_status_path(op: &str) -> String {
    format!(
        "{}/operationStatus/{op}==?api-version={API}&t=638772880307311360&c=MIIHpTCC-_BgkqhkiG9w0&s=JAQbco3jk_p-zNOgF6&h=qVWZJ7Y0rui24Y1an",
        vault()
    )
}

/// Every request carries the token, our user agent, and the operation's one correlation id.
fn assert_common_headers(h: &Harness) -> String {
    let seen = h.server.seen();
    assert!(!seen.is_empty());
    let corr = seen[0]
        .header("x-ms-correlation-request-id")
        .expect("correlation id")
        .to_string();
    assert!(uuid::Uuid::parse_str(&corr).is_ok(), "{corr}");
    for s in &seen {
        assert_eq!(
            s.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            s.header("x-ms-correlation-request-id"),
            Some(corr.as_str()),
            "{} {}",
            s.method,
            s.target
        );
        let ua = s.header("user-agent").unwrap_or("");
        assert_eq!(
            ua,
            format!(
                "terraform-provider-azurebackup/{}",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
    corr
}

/// PUT answered 201 + Azure-AsyncOperation: the status URL is polled as given, waits follow
/// Retry-After, and the result is read back with a GET.
#[tokio::test]
async fn create_201_with_async_operation() {
    let h = Harness::new(API).await;
    let status = signed_status_path("T3BlcmF0aW9uMQ");
    let id = instance_id();
    h.server.push(
        Step::new("PUT", target(&id, API), 201)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header("Retry-After", "10")
            .header("x-ms-request-id", "req-put")
            .json(resource_body("Provisioning", "ConfiguringProtection")),
    );
    h.server.push(
        Step::new("GET", status.clone(), 200)
            .header("Retry-After", "15")
            .json(json!({"status": "Inprogress", "endTime": "0001-01-01T00:00:00"})),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "succeeded"})));
    h.server.push(
        Step::new("GET", target(&id, API), 200)
            .json(resource_body("Succeeded", "ConfiguringProtection")),
    );

    let body = BackupInstanceResource {
        properties: disk_instance(),
        ..Default::default()
    };
    let out = h
        .client
        .put_backup_instance(&id, &body, &h.op(Duration::from_secs(1800)))
        .await
        .expect("put");
    assert_eq!(
        out.properties.provisioning_state.as_deref(),
        Some("Succeeded")
    );
    assert_eq!(
        out.properties.current_protection_state.as_deref(),
        Some("ConfiguringProtection")
    );
    h.server.assert_done();
    assert_common_headers(&h);
    assert_eq!(
        h.clock.sleeps(),
        vec![Duration::from_secs(10), Duration::from_secs(15)]
    );
    let put = &h.server.seen()[0];
    assert_eq!(put.header("content-type"), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(
        sent["properties"]["dataSourceInfo"]["datasourceType"],
        "Microsoft.Compute/disks"
    );
    assert_eq!(
        sent["properties"]["policyInfo"]["policyParameters"]["dataStoreParametersList"][0]["resourceGroupId"],
        format!("/subscriptions/{SUB}/resourceGroups/rg-snapshots")
    );
    assert!(sent.get("id").is_none() && sent["properties"].get("provisioningState").is_none());
}

/// Update answered 202 + Location only: Location is polled until it gives the resource.
#[tokio::test]
async fn update_202_with_location() {
    let h = Harness::new(API).await;
    let id = instance_id();
    let loc = format!("{id}/operationResults/b3AtMg==?api-version={API}");
    h.server.push(
        Step::new("PUT", target(&id, API), 202)
            .header("Location", format!("{}{loc}", h.server.base)),
    );
    h.server
        .push(Step::new("GET", loc.clone(), 202).header("Retry-After", "2"));
    h.server.push(
        Step::new("GET", loc.clone(), 200).json(resource_body("Succeeded", "UpdatingProtection")),
    );

    let body = BackupInstanceResource {
        properties: disk_instance(),
        ..Default::default()
    };
    let out = h
        .client
        .put_backup_instance(&id, &body, &h.op(Duration::from_secs(600)))
        .await
        .expect("update");
    assert_eq!(
        out.properties.current_protection_state.as_deref(),
        Some("UpdatingProtection")
    );
    h.server.assert_done();
    assert_common_headers(&h);
    // No Retry-After on the 202: the first wait is the backoff's 1 s; then the server's 2 s.
    assert_eq!(
        h.clock.sleeps(),
        vec![Duration::from_secs(1), Duration::from_secs(2)]
    );
}

/// DELETE answered 202: the status URL is followed to Succeeded, nothing else is fetched.
#[tokio::test]
async fn delete_202_then_succeeded() {
    let h = Harness::new(API).await;
    let id = instance_id();
    let status = signed_status_path("ZGVsZXRl");
    h.server.push(
        Step::new("DELETE", target(&id, API), 202)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header(
                "Location",
                format!(
                    "{}{id}/operationResults/ZGVsZXRl?api-version={API}",
                    h.server.base
                ),
            )
            .header("Retry-After", "5"),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "Inprogress"})));
    h.server.push(
        Step::new("GET", status.clone(), 200)
            .json(json!({"status": "Succeeded", "endTime": "2025-03-11T11:12:08Z"})),
    );
    h.client
        .delete_backup_instance(&id, &h.op(Duration::from_secs(600)))
        .await
        .expect("delete");
    h.server.assert_done();
    assert_common_headers(&h);
    assert_eq!(
        h.clock.sleeps(),
        vec![Duration::from_secs(5), Duration::from_secs(1)]
    );
}

/// DELETE of a missing instance: 204, one request, success.
#[tokio::test]
async fn delete_204_is_success() {
    let h = Harness::new(API).await;
    let id = instance_id();
    h.server.push(Step::new("DELETE", target(&id, API), 204));
    h.client
        .delete_backup_instance(&id, &h.op(Duration::from_secs(60)))
        .await
        .expect("delete");
    h.server.assert_done();
    assert_eq!(h.server.seen().len(), 1);
}

/// GET of a missing instance: 404 is `Ok(None)`.
#[tokio::test]
async fn get_404_is_none() {
    let h = Harness::new(API).await;
    let id = instance_id();
    h.server.push(
        Step::new("GET", target(&id, API), 404)
            .header("x-ms-error-code", "UserErrorGenericResourceNotFound")
            .json(json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "Resource not found"}})),
    );
    let got = h
        .client
        .get_backup_instance(&id, &h.op(Duration::from_secs(60)))
        .await
        .expect("get");
    assert!(got.is_none());
    h.server.assert_done();
}

/// 429 with Retry-After: waited exactly as asked, then the same request again succeeds.
#[tokio::test]
async fn throttled_429_then_success() {
    let h = Harness::new(API).await;
    let id = instance_id();
    h.server.push(
        Step::new("GET", target(&id, API), 429)
            .header("Retry-After", "7")
            .json(json!({"error": {"code": "SubscriptionRequestsThrottled", "message": "Number of requests exceeded the limit"}})),
    );
    h.server.push(
        Step::new("GET", target(&id, API), 200)
            .json(resource_body("Succeeded", "ProtectionConfigured")),
    );
    let got = h
        .client
        .get_backup_instance(&id, &h.op(Duration::from_secs(60)))
        .await
        .expect("get")
        .expect("found");
    assert_eq!(
        got.properties.current_protection_state.as_deref(),
        Some("ProtectionConfigured")
    );
    h.server.assert_done();
    assert_common_headers(&h);
    assert_eq!(h.clock.sleeps(), vec![Duration::from_secs(7)]);
}

/// 500, 500, then success: exponential backoff 1 s, 2 s; the list follows nextLink as given.
#[tokio::test]
async fn server_errors_then_success_and_paging() {
    let h = Harness::new(API).await;
    let list = format!("{}/backupInstances?api-version={API}", vault());
    let next = format!(
        "{}/backupInstances?api-version={API}&$skiptoken=c2tpcA%3D%3D",
        vault()
    );
    h.server.push(
        Step::new("GET", list.clone(), 500)
            .json(json!({"error": {"code": "InternalServerError", "message": "oops"}})),
    );
    h.server.push(Step::new("GET", list.clone(), 503));
    h.server.push(Step::new("GET", list.clone(), 200).json(json!({"value": [resource_body("Succeeded", "ProtectionConfigured")], "nextLink": format!("{}{next}", h.server.base)})));
    h.server.push(
        Step::new("GET", next.clone(), 200)
            .json(json!({"value": [resource_body("Succeeded", "ProtectionStopped")]})),
    );
    let all = h
        .client
        .list_backup_instances(&vault(), &h.op(Duration::from_secs(600)))
        .await
        .expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!(
        all[1].properties.current_protection_state.as_deref(),
        Some("ProtectionStopped")
    );
    h.server.assert_done();
    assert_common_headers(&h);
    assert_eq!(
        h.clock.sleeps(),
        vec![Duration::from_secs(1), Duration::from_secs(2)]
    );
}

/// Retries are bounded by time: ten 503s give the last response's error, after
/// 1+2+4+8+16+30×4 = 151 s of waits; one more 30 s wait would pass the 180 s retry budget.
#[tokio::test]
async fn persistent_server_errors_are_bounded() {
    let h = Harness::new(API).await;
    let id = instance_id();
    for _ in 0..10 {
        h.server
            .push(Step::new("GET", target(&id, API), 503).header("x-ms-request-id", "req-503"));
    }
    let err = h
        .client
        .get_backup_instance(&id, &h.op(Duration::from_secs(600)))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());
    assert_eq!(err.request_id(), Some("req-503"));
    h.server.assert_done();
    let secs: Vec<u64> = h.clock.sleeps().iter().map(|d| d.as_secs()).collect();
    assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30, 30, 30]);
}

/// validateForBackup whose operation fails with a permission CloudError: a typed error with
/// the service's texts.
#[tokio::test]
async fn validate_fails_with_permission_error() {
    let h = Harness::new(API).await;
    let status = signed_status_path("dmFsaWRhdGU");
    h.server.push(
        Step::new(
            "POST",
            format!("{}/validateForBackup?api-version={API}", vault()),
            202,
        )
        .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
        .header("Retry-After", "10"),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "Inprogress"})));
    h.server.push(Step::new("GET", status.clone(), 200).header("x-ms-request-id", "req-status").json(json!({
        "status": "Failed",
        "error": {
            "code": "UserErrorMissingRequiredPermissions",
            "message": "Appropriate permissions to perform the operation is missing.",
            "additionalInfo": [{"type": "UserFacingError", "info": {
                "code": "UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent",
                "message": "Backup vault's managed identity is missing permissions on the disk.",
                "recommendedAction": ["Assign the Disk Backup Reader role to the vault's identity on the disk."],
                "isRetryable": false, "isUserError": true,
                "innerError": {"additionalInfo": {"DetailedNonLocalisedMessage": "Missing Microsoft.Compute/disks/beginGetAccess/action on disk-1"}}
            }}]
        }
    })));
    let err = h
        .client
        .validate_for_backup(&vault(), &disk_instance(), &h.op(Duration::from_secs(900)))
        .await
        .unwrap_err();
    assert!(err.is_permission(), "{err}");
    assert!(!err.is_retryable() && !err.is_not_found() && !err.is_timeout());
    assert_eq!(err.operation(), "validateForBackup");
    assert_eq!(
        err.code(),
        Some("UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent")
    );
    assert_eq!(err.recommended_actions().len(), 1);
    assert_eq!(err.request_id(), Some("req-status"));
    assert!(
        err.details()
            .contains("Missing Microsoft.Compute/disks/beginGetAccess/action on disk-1")
    );
    h.server.assert_done();
    let corr = assert_common_headers(&h);
    assert_eq!(err.correlation_id(), Some(corr.as_str()));
    let sent: serde_json::Value = serde_json::from_slice(&h.server.seen()[0].body).unwrap();
    assert_eq!(sent["backupInstance"]["objectType"], "BackupInstance");
}

/// A synchronous 400 "already protected" is typed as such.
#[tokio::test]
async fn validate_already_protected() {
    let h = Harness::new(API).await;
    h.server.push(Step::new("POST", format!("{}/validateForBackup?api-version={API}", vault()), 400).json(json!({
        "error": {"code": "UserErrorDppDatasourceAlreadyProtected", "message": "Datasource is already protected under the Backup vault vault-other."}
    })));
    let err = h
        .client
        .validate_for_backup(&vault(), &disk_instance(), &h.op(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(err.is_already_protected());
    assert_eq!(err.status(), Some(400));
    assert!(err.message().contains("vault-other"));
    h.server.assert_done();
}

/// An operation that never finishes ends with a timeout error at the caller's deadline, without
/// polling past it.
#[tokio::test]
async fn stuck_operation_hits_deadline() {
    let h = Harness::new(API).await;
    let status = signed_status_path("c3R1Y2s");
    h.server.push(
        Step::new(
            "POST",
            format!("{}/validateForBackup?api-version={API}", vault()),
            202,
        )
        .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
        .header("Retry-After", "30"),
    );
    for _ in 0..3 {
        h.server.push(
            Step::new("GET", status.clone(), 200)
                .header("Retry-After", "30")
                .json(json!({"status": "Inprogress"})),
        );
    }
    let err = h
        .client
        .validate_for_backup(&vault(), &disk_instance(), &h.op(Duration::from_secs(100)))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(!err.is_cancelled());
    h.server.assert_done();
    assert_eq!(h.clock.elapsed(), Duration::from_secs(90));
}

/// Cancelling while an operation is being polled stops at once with a cancellation error.
#[tokio::test]
async fn cancellation_mid_poll() {
    let h = Harness::new(API).await;
    let id = instance_id();
    let status = signed_status_path("Y2FuY2Vs");
    let op = h.op(Duration::from_secs(3600));
    let cancel = op.cancel.clone();
    h.server.push(
        Step::new("DELETE", target(&id, API), 202)
            .header("Azure-AsyncOperation", format!("{}{status}", h.server.base))
            .header("Retry-After", "10"),
    );
    h.server.push(
        Step::new("GET", status.clone(), 200)
            .header("Retry-After", "10")
            .json(json!({"status": "Inprogress"}))
            .on_hit(move || cancel.cancel()),
    );
    let err = h.client.delete_backup_instance(&id, &op).await.unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    h.server.assert_done();
    assert_eq!(h.server.seen().len(), 2);
}

/// With 2021-01-01 the client drops what that version does not know and refuses a Key Vault
/// credential before sending anything.
#[tokio::test]
async fn api_2021_01_01_body_shape() {
    let api = "2021-01-01";
    let h = Harness::new(api).await;
    assert!(!h.client.supports_auth_credentials() && !h.client.supports_tags());
    let id = instance_id();
    let mut bi = disk_instance();
    bi.identity_details = Some(IdentityDetails {
        use_system_assigned_identity: Some(true),
        user_assigned_identity_arm_url: None,
    });
    bi.validation_type = Some("ShallowValidation".into());
    let body = BackupInstanceResource {
        tags: Some([("env".to_string(), "test".to_string())].into()),
        properties: bi.clone(),
        ..Default::default()
    };
    h.server.push(
        Step::new("PUT", target(&id, api), 200)
            .json(resource_body("Succeeded", "ProtectionConfigured")),
    );
    h.client
        .put_backup_instance(&id, &body, &h.op(Duration::from_secs(60)))
        .await
        .expect("put");
    h.server.assert_done();
    let sent: serde_json::Value = serde_json::from_slice(&h.server.seen()[0].body).unwrap();
    assert!(sent.get("tags").is_none(), "{sent}");
    for k in [
        "identityDetails",
        "validationType",
        "datasourceAuthCredentials",
    ] {
        assert!(sent["properties"].get(k).is_none(), "{k} in {sent}");
    }

    let kv: KeyVaultSecretUri = "https://kv-demo.vault.azure.net/secrets/pg-conn"
        .parse()
        .unwrap();
    let with_kv = BackupInstanceResource {
        properties: bi.with_secret_store(&kv),
        ..Default::default()
    };
    let err = h
        .client
        .put_backup_instance(&id, &with_kv, &h.op(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(err.is_config(), "{err}");
    assert!(err.to_string().contains("2021-01-01"));
    assert_eq!(
        h.server.seen().len(),
        1,
        "nothing sent for the refused request"
    );
}

/// The current API version sends tags and credentials.
#[tokio::test]
async fn current_api_sends_tags_and_credentials() {
    let h = Harness::new(API).await;
    assert!(h.client.supports_auth_credentials() && h.client.supports_tags());
    let id = instance_id();
    let kv: KeyVaultSecretUri = "https://kv-demo.vault.azure.net/secrets/pg-conn"
        .parse()
        .unwrap();
    let body = BackupInstanceResource {
        tags: Some([("env".to_string(), "test".to_string())].into()),
        properties: disk_instance().with_secret_store(&kv),
        ..Default::default()
    };
    h.server.push(
        Step::new("PUT", target(&id, API), 200)
            .json(resource_body("Succeeded", "ProtectionConfigured")),
    );
    h.client
        .put_backup_instance(&id, &body, &h.op(Duration::from_secs(60)))
        .await
        .expect("put");
    let sent: serde_json::Value = serde_json::from_slice(&h.server.seen()[0].body).unwrap();
    assert_eq!(sent["tags"]["env"], "test");
    assert_eq!(
        sent["properties"]["datasourceAuthCredentials"]["secretStoreResource"]["uri"],
        kv.to_string()
    );
}

/// A refused connection is retried (bounded) and reported as a retryable transport error.
#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    let h = Harness::new(API).await;
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = terraform_provider_azurebackup::azure::config::AzureConfig {
        subscription_id: SUB.into(),
        resource_manager_endpoint: Some(format!("https://127.0.0.1:{port}/")),
        use_cli: false,
        ..Default::default()
    };
    let client =
        terraform_provider_azurebackup::azure::client::DataProtectionClient::builder(config)
            .http_client(h.pki.client())
            .credential(std::sync::Arc::new(
                terraform_provider_azurebackup::azure::auth::StaticTokenProvider(TOKEN.into()),
            ))
            .clock(h.clock.clone())
            .jitter(std::sync::Arc::new(
                terraform_provider_azurebackup::azure::http::retry::NoJitter,
            ))
            .build()
            .await
            .unwrap();
    let err = client
        .get_backup_instance(&instance_id(), &h.op(Duration::from_secs(600)))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    // Time, not a count, bounds the retries: 1+2+4+8+16+30×4 = 151 s of backoff, and one more
    // 30 s wait would start a retry past the 180 s budget.
    assert_eq!(err.attempts(), 10);
    assert_eq!(h.clock.sleeps().len(), 9);
    assert_eq!(h.clock.elapsed(), Duration::from_secs(151));
    assert!(!err.to_string().contains(TOKEN));
}

/// No async headers: a 201 whose body says `Provisioning` is followed through the resource's
/// own `provisioningState` until it is terminal.
#[tokio::test]
async fn provisioning_state_polling_without_headers() {
    let h = Harness::new(API).await;
    let id = instance_id();
    h.server.push(
        Step::new("PUT", target(&id, API), 201)
            .json(resource_body("Provisioning", "ConfiguringProtection")),
    );
    h.server.push(
        Step::new("GET", target(&id, API), 200)
            .json(resource_body("Updating", "ConfiguringProtection")),
    );
    h.server.push(
        Step::new("GET", target(&id, API), 200)
            .json(resource_body("Succeeded", "ConfiguringProtection")),
    );
    let body = BackupInstanceResource {
        properties: disk_instance(),
        ..Default::default()
    };
    let out = h
        .client
        .put_backup_instance(&id, &body, &h.op(Duration::from_secs(600)))
        .await
        .expect("put");
    assert_eq!(
        out.properties.provisioning_state.as_deref(),
        Some("Succeeded")
    );
    h.server.assert_done();
    assert_eq!(
        h.clock.sleeps(),
        vec![Duration::from_secs(1), Duration::from_secs(2)]
    );

    // The same with a terminal failure.
    h.server.push(
        Step::new("PUT", target(&id, API), 201)
            .json(resource_body("Provisioning", "ConfiguringProtection")),
    );
    let mut failed = resource_body("Failed", "ConfiguringProtectionFailed");
    failed["properties"]["protectionErrorDetails"] = json!({
        "code": "UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent",
        "message": "The vault identity lacks permissions on the snapshot resource group.",
        "recommendedAction": ["Grant Disk Snapshot Contributor on rg-snapshots."]
    });
    h.server
        .push(Step::new("GET", target(&id, API), 200).json(failed));
    let err = h
        .client
        .put_backup_instance(&id, &body, &h.op(Duration::from_secs(600)))
        .await
        .unwrap_err();
    assert!(
        !err.is_timeout() && !err.is_cancelled() && err.status().is_none(),
        "{err}"
    );
    assert!(err.is_permission(), "{err}");
    assert_eq!(
        err.recommended_actions(),
        vec!["Grant Disk Snapshot Contributor on rg-snapshots.".to_string()]
    );
    h.server.assert_done();
}

/// A `Canceled` operation (cancelled by the service, not by us) is an operation failure.
#[tokio::test]
async fn canceled_operation_is_a_failure_not_a_cancellation() {
    let h = Harness::new(API).await;
    let status = signed_status_path("Y2FuY2VsZWQ");
    h.server.push(
        Step::new(
            "POST",
            format!("{}/validateForBackup?api-version={API}", vault()),
            202,
        )
        .header("Azure-AsyncOperation", format!("{}{status}", h.server.base)),
    );
    h.server
        .push(Step::new("GET", status.clone(), 200).json(json!({"status": "CANCELED"})));
    let err = h
        .client
        .validate_for_backup(&vault(), &disk_instance(), &h.op(Duration::from_secs(600)))
        .await
        .unwrap_err();
    assert!(!err.is_cancelled() && !err.is_timeout(), "{err}");
    assert!(err.to_string().contains("Canceled"), "{err}");
    h.server.assert_done();
}

/// The partner id is appended to the user agent.
#[tokio::test]
async fn partner_id_in_user_agent() {
    let h = Harness::with_config(API, |c| {
        c.partner_id = Some("a1b2c3d4-0000-0000-0000-000000000000".into())
    })
    .await;
    let id = instance_id();
    h.server.push(
        Step::new("GET", target(&id, API), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    h.client
        .get_backup_instance(&id, &h.op(Duration::from_secs(60)))
        .await
        .unwrap();
    let ua = h.server.seen()[0]
        .header("user-agent")
        .unwrap_or("")
        .to_string();
    assert_eq!(
        ua,
        format!(
            "terraform-provider-azurebackup/{} pid-a1b2c3d4-0000-0000-0000-000000000000",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[derive(Debug)]
struct HangingToken;

#[async_trait::async_trait]
impl terraform_provider_azurebackup::azure::auth::TokenProvider for HangingToken {
    async fn bearer(
        &self,
    ) -> Result<
        terraform_provider_azurebackup::azure::config::Secret,
        terraform_provider_azurebackup::azure::error::AzureError,
    > {
        std::future::pending().await
    }
}

/// A token source that never answers is cut off by the attempt budget, as an auth error.
#[tokio::test]
async fn hanging_token_source_is_bounded() {
    let h = Harness::new(API).await;
    let config = terraform_provider_azurebackup::azure::config::AzureConfig {
        subscription_id: SUB.into(),
        resource_manager_endpoint: Some(format!("{}/", h.server.base)),
        use_cli: false,
        ..Default::default()
    };
    let retry = terraform_provider_azurebackup::azure::http::retry::RetryConfig {
        attempt_timeout: Duration::from_millis(50),
        ..Default::default()
    };
    let client =
        terraform_provider_azurebackup::azure::client::DataProtectionClient::builder(config)
            .http_client(h.pki.client())
            .credential(std::sync::Arc::new(HangingToken))
            .retry(retry)
            .build()
            .await
            .unwrap();
    let err = client
        .get_backup_instance(
            &instance_id(),
            &terraform_provider_azurebackup::azure::client::OpOptions::with_timeout(
                Duration::from_secs(60),
            ),
        )
        .await
        .unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert!(h.server.seen().is_empty());
}

/// Issue 18, finding 2: only a 404 whose error says the instance (vault, resource group) does
/// not exist is `None`; an HTML page, an empty 404, `SubscriptionNotFound` or `NotFound` is an
/// error, and a 404 of a missing instance in the Data Protection service's own shape is `None`.
#[tokio::test]
async fn only_a_404_that_proves_absence_is_gone() {
    let id = instance_id();
    let gone = [
        json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "x"}}),
        json!({"error": {"code": "ResourceNotFound", "message": "x"}}),
        json!({"error": {"code": "ResourceGroupNotFound", "message": "x"}}),
    ];
    for body in gone {
        let h = Harness::new(API).await;
        h.server
            .push(Step::new("GET", target(&id, API), 404).json(body.clone()));
        let got = h
            .client
            .get_backup_instance(&id, &h.op(Duration::from_secs(60)))
            .await
            .unwrap();
        assert!(got.is_none(), "{body}");
    }
    let kept = [
        Some(json!({"error": {"code": "SubscriptionNotFound", "message": "x"}})),
        Some(json!({"error": {"code": "NotFound", "message": "x"}})),
        Some(json!({"message": "no ARM error"})),
        None,
    ];
    for body in kept {
        let h = Harness::new(API).await;
        let step = Step::new("GET", target(&id, API), 404);
        h.server.push(match &body {
            Some(b) => step.json(b.clone()),
            None => step,
        });
        let err = h
            .client
            .get_backup_instance(&id, &h.op(Duration::from_secs(60)))
            .await
            .unwrap_err();
        assert!(err.is_unproven_not_found(), "{body:?}: {err}");
    }
}
