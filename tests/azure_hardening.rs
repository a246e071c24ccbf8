//! Issue 10 on the Azure side, against a scripted HTTPS server: a request never leaves the
//! instance it names (`.`, `..` and other values that a URL would change are refused before
//! anything is sent), an answer for another resource is an error and never state, and an
//! untrusted certificate fails at once naming the host and `SSL_CERT_FILE`.

mod azure_support;

use std::sync::Arc;
use std::time::Duration;

use azure_support::{Harness, SUB, ScriptServer, Step, TOKEN, TestPki, VirtualClock};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{BackupInstanceId, BackupVaultId};
use terraform_provider_azurebackup::azure::auth::StaticTokenProvider;
use terraform_provider_azurebackup::azure::client::DataProtectionClient;
use terraform_provider_azurebackup::azure::config::AzureConfig;
use terraform_provider_azurebackup::azure::http::Clock;
use terraform_provider_azurebackup::azure::http::retry::NoJitter;

const API: &str = "2025-07-01";

fn vault() -> BackupVaultId {
    format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo").parse().unwrap()
}

fn instance_body(id: &str) -> serde_json::Value {
    json!({
        "id": id,
        "name": id.rsplit('/').next().unwrap_or(""),
        "type": "Microsoft.DataProtection/backupVaults/backupInstances",
        "properties": {
            "dataSourceInfo": {"resourceID": format!("/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"), "objectType": "Datasource"},
            "policyInfo": {"policyId": format!("{}/backupPolicies/policy-disk", vault())},
            "provisioningState": "Succeeded",
            "objectType": "BackupInstance"
        }
    })
}

/// IDs built in code (not parsed) whose name a URL would normalise or split: refused, and no
/// request is sent for any of them (GET, PUT nor DELETE).
#[tokio::test]
async fn ids_a_url_would_change_are_refused_before_sending() {
    let h = Harness::new(API).await;
    let op = h.op(Duration::from_secs(60));
    for name in ["..", ".", "", "a/b", "%2e%2e", "bi?x=1", "bi#f", " bi"] {
        let id: BackupInstanceId = vault().instance(name);
        let e = h.client.get_backup_instance(&id, &op).await.unwrap_err();
        assert!(e.is_config(), "{name:?}: {e}");
        let e = h.client.delete_backup_instance(&id, &op).await.unwrap_err();
        assert!(e.is_config(), "{name:?}: {e}");
    }
    let mut dotted = vault();
    dotted.name = "..".into();
    let e = h
        .client
        .list_backup_instances(&dotted, &op)
        .await
        .unwrap_err();
    assert!(e.is_config(), "{e}");
    assert!(h.server.seen().is_empty(), "{:?}", h.server.sequence());
}

/// A GET whose answer is another resource (the vault, as a normalised `..` URL gave) is an
/// error, never an instance.
#[tokio::test]
async fn an_answer_for_another_resource_is_an_error() {
    let h = Harness::new(API).await;
    let id = vault().instance("bi-1");
    h.server.push(
        Step::new("GET", format!("{id}?api-version={API}"), 200)
            .json(instance_body(&vault().instance("bi-2").to_string())),
    );
    let e = h
        .client
        .get_backup_instance(&id, &h.op(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("instead of the requested"), "{e}");
    h.server.assert_done();

    // The same ID in other casing is the same resource.
    h.server.push(
        Step::new("GET", format!("{id}?api-version={API}"), 200)
            .json(instance_body(&id.to_string().to_ascii_lowercase())),
    );
    let got = h
        .client
        .get_backup_instance(&id, &h.op(Duration::from_secs(60)))
        .await
        .expect("same resource");
    assert!(got.is_some());
    h.server.assert_done();
}

/// A PUT answered with another resource's document is an error too.
#[tokio::test]
async fn a_put_answer_for_another_resource_is_an_error() {
    let h = Harness::new(API).await;
    let id = vault().instance("bi-1");
    let body: terraform_provider_azurebackup::azure::models::BackupInstanceResource =
        serde_json::from_value(instance_body(&id.to_string())).unwrap();
    h.server.push(
        Step::new("PUT", format!("{id}?api-version={API}"), 200)
            .json(instance_body(&vault().to_string())),
    );
    let e = h
        .client
        .put_backup_instance(&id, &body, &h.op(Duration::from_secs(60)))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("instead of the requested"), "{e}");
}

/// A server whose certificate is not trusted: one attempt, no waiting, an error that says the
/// certificate of that host is not trusted (the advice about `SSL_CERT_FILE` is the provider's).
#[tokio::test]
async fn an_untrusted_certificate_fails_at_once_naming_the_host() {
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    let other = TestPki::new();
    let clock = VirtualClock::new();
    let client = DataProtectionClient::builder(AzureConfig {
        subscription_id: SUB.into(),
        resource_manager_endpoint: Some(format!("{}/", server.base)),
        api_version: API.into(),
        use_cli: false,
        ..AzureConfig::default()
    })
    .http_client(other.client())
    .credential(Arc::new(StaticTokenProvider(TOKEN.into())))
    .clock(clock.clone())
    .jitter(Arc::new(NoJitter))
    .build()
    .await
    .expect("client");
    let e = client
        .get_backup_instance(
            &vault().instance("bi-1"),
            &terraform_provider_azurebackup::azure::client::OpOptions {
                deadline: clock.now() + Duration::from_secs(600),
                cancel: Default::default(),
            },
        )
        .await
        .unwrap_err();
    assert!(e.is_untrusted_certificate(), "{e}");
    let host = server.base.trim_start_matches("https://");
    assert!(e.to_string().contains("not trusted"), "{e}");
    assert!(e.to_string().contains(host), "{e}");
    assert!(!e.is_retryable(), "{e}");
    assert!(
        clock.sleeps().is_empty(),
        "retried after {:?}",
        clock.sleeps()
    );
}

/// Managed identity with no reachable endpoint (no IMDS off Azure): an authentication error that
/// names the endpoint it tried, after one bounded attempt.
#[tokio::test]
async fn managed_identity_without_an_endpoint_names_imds() {
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    let client = DataProtectionClient::builder(AzureConfig {
        subscription_id: SUB.into(),
        resource_manager_endpoint: Some(format!("{}/", server.base)),
        active_directory_authority_host: Some(format!("{}/", server.base)),
        api_version: API.into(),
        use_cli: false,
        use_msi: true,
        ..AzureConfig::default()
    })
    .http_client(pki.client())
    .build()
    .await
    .expect("client");
    let e = client
        .get_backup_instance(
            &vault().instance("bi-1"),
            &terraform_provider_azurebackup::azure::client::OpOptions::with_timeout(
                Duration::from_secs(120),
            ),
        )
        .await
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("169.254.169.254"), "{text}");
    assert!(text.contains("managed identity endpoint"), "{text}");
    assert!(server.seen().is_empty());
}
