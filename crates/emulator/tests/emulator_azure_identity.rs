//! The published `azure_identity` crate gets tokens from the emulator with nothing but an
//! authority host and `SSL_CERT_FILE`, as the provider will. (Own test binary: it sets
//! process-wide environment variables.)

#[path = "emulator_support.rs"]
mod support;

use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::ClientSecretCredential;
use support::*;

/// A client-secret credential from the real crate works against the emulator's CA and token
/// endpoint, its token is accepted by ARM, and a wrong secret fails with AADSTS7000215.
#[tokio::test(flavor = "current_thread")]
async fn azure_identity_client_secret_credential_works_against_the_emulator() {
    let emu = start_fast().await;
    // SAFETY: this test binary has one test and the current-thread runtime has no other threads
    // reading the environment.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", &emu.handle.ca_file);
        std::env::set_var("AZURE_AUTHORITY_HOST", format!("{}/", emu.handle.endpoint));
    }
    let cred = ClientSecretCredential::new(
        TENANT,
        CLIENT_ID.to_string(),
        Secret::new(SECRET.to_string()),
        None,
    )
    .expect("credential");
    let token = cred
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .expect("token from the emulator");
    let ok = emu
        .client
        .get(emu.url(&format!("{}/backupInstances?api-version={NEW}", vault())))
        .bearer_auth(token.token.secret())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let bad = ClientSecretCredential::new(
        TENANT,
        CLIENT_ID.to_string(),
        Secret::new("wrong".to_string()),
        None,
    )
    .expect("credential");
    let err = bad
        .get_token(&["https://management.azure.com/.default"], None)
        .await
        .expect_err("wrong secret");
    assert!(format!("{err}").contains("AADSTS7000215"), "{err}");
}
