//! Extra trust roots through `SSL_CERT_FILE`: the client built by the provider trusts a
//! self-signed CA named there. Its own test binary because it changes the process environment.

mod azure_support;

use std::sync::Arc;
use std::time::Duration;

use azure_support::{SUB, ScriptServer, Step, TestPki};
use terraform_provider_azurebackup::azure::auth::StaticTokenProvider;
use terraform_provider_azurebackup::azure::client::{DataProtectionClient, OpOptions};
use terraform_provider_azurebackup::azure::cloud::build_http_client;
use terraform_provider_azurebackup::azure::config::AzureConfig;

/// Without the CA the TLS handshake fails; with `SSL_CERT_FILE` pointing at it, the provider's
/// own client (built with no injected roots) reaches the server.
#[tokio::test]
async fn ssl_cert_file_adds_a_trust_root() {
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    let probe = format!("{}/probe", server.base);

    // SAFETY: this test binary has exactly one test, so no other thread reads the environment.
    unsafe { std::env::remove_var("SSL_CERT_FILE") };
    let untrusting = build_http_client(Vec::new()).expect("client");
    let err = untrusting
        .get(&probe)
        .send()
        .await
        .expect_err("an unknown CA must be rejected");
    assert!(err.is_connect() || err.is_request(), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    // SAFETY: as above.
    unsafe { std::env::set_var("SSL_CERT_FILE", &ca) };

    let id = format!(
        "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-v/backupInstances/bi"
    );
    // The service's own "no such instance": only a 404 that proves absence reads as gone.
    server.push(
        Step::new("GET", format!("{id}?api-version=2025-07-01"), 404).json(serde_json::json!({
            "error": {"code": "UserErrorBackupInstanceNotFound", "message": "not found"}
        })),
    );
    let config = AzureConfig {
        subscription_id: SUB.into(),
        resource_manager_endpoint: Some(format!("{}/", server.base)),
        use_cli: false,
        ..AzureConfig::default()
    };
    let client = DataProtectionClient::builder(config)
        .credential(Arc::new(StaticTokenProvider("t".into())))
        .build()
        .await
        .expect("client");
    let got = client
        .get_backup_instance(
            &id.parse().unwrap(),
            &OpOptions::with_timeout(Duration::from_secs(30)),
        )
        .await
        .expect("trusted via SSL_CERT_FILE");
    assert!(got.is_none());
    server.assert_done();

    // A missing bundle is a configuration error, not a silent fallback to the system roots.
    // SAFETY: as above.
    unsafe { std::env::set_var("SSL_CERT_FILE", dir.path().join("nope.pem")) };
    let err = build_http_client(Vec::new()).unwrap_err();
    assert!(err.is_config(), "{err}");
    unsafe { std::env::remove_var("SSL_CERT_FILE") };
}
