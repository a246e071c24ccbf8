//! Credentials: the selection table (config → method or loud error), and real token flows
//! against the scripted HTTPS server: client secret, client certificate (PEM and PFX, JWT
//! signature verified), GitHub OIDC, managed identity at `msi_endpoint`, plus `metadata_host`
//! discovery.

mod azure_support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use azure_support::{SUB, ScriptServer, Step, TestPki, VirtualClock};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::BackupInstanceId;
use terraform_provider_azurebackup::azure::auth::{
    CertificateSigner, CredentialMethod, StaticTokenProvider, select_credential,
};
use terraform_provider_azurebackup::azure::client::{DataProtectionClient, OpOptions};
use terraform_provider_azurebackup::azure::config::{AzureConfig, Secret};
use terraform_provider_azurebackup::azure::http::Clock;
use tokio_util::sync::CancellationToken;

const TENANT: &str = "22222222-2222-2222-2222-222222222222";
const CLIENT: &str = "33333333-3333-3333-3333-333333333333";
const SECRET: &str = "very-secret-value-123";

fn base() -> AzureConfig {
    AzureConfig {
        subscription_id: SUB.into(),
        use_cli: false,
        ..AzureConfig::default()
    }
}

fn sp(mut c: AzureConfig) -> AzureConfig {
    c.tenant_id = Some(TENANT.into());
    c.client_id = Some(CLIENT.into());
    c
}

enum Want {
    Method(CredentialMethod),
    Error(&'static str),
}

/// The whole selection rule as a table: first configured method wins; incomplete ones fail
/// loudly with what is missing and never fall through to the next method.
#[test]
fn credential_selection_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("present");
    std::fs::write(&file, "x").unwrap();
    let missing = dir.path().join("missing.pfx");
    let gh = |mut c: AzureConfig| {
        c.use_oidc = true;
        c.oidc_request_url =
            Some("https://pipelines.actions.githubusercontent.com/abc?api-version=2.0".into());
        c.oidc_request_token = Some("gh-request-token".into());
        c
    };
    let ado_env: HashMap<&str, &str> = [
        ("SYSTEM_ACCESSTOKEN", "sat"),
        (
            "SYSTEM_OIDCREQUESTURI",
            "https://dev.azure.com/org/_apis/oidc",
        ),
    ]
    .into();
    let aks_env: HashMap<&str, &str> = [
        ("AZURE_TENANT_ID", TENANT),
        ("AZURE_CLIENT_ID", CLIENT),
        ("AZURE_FEDERATED_TOKEN_FILE", file.to_str().unwrap()),
    ]
    .into();
    let none: HashMap<&str, &str> = HashMap::new();

    let rows: Vec<(&str, AzureConfig, &HashMap<&str, &str>, Want)> = vec![
        (
            "certificate",
            sp(AzureConfig {
                client_certificate_path: Some(file.clone()),
                ..base()
            }),
            &none,
            Want::Method(CredentialMethod::ClientCertificate),
        ),
        (
            "certificate beats secret",
            sp(AzureConfig {
                client_certificate_path: Some(file.clone()),
                client_secret: Some(SECRET.into()),
                ..base()
            }),
            &none,
            Want::Method(CredentialMethod::ClientCertificate),
        ),
        (
            "certificate file missing fails, no fall through to the secret",
            sp(AzureConfig {
                client_certificate_path: Some(missing.clone()),
                client_secret: Some(SECRET.into()),
                ..base()
            }),
            &none,
            Want::Error("does not exist"),
        ),
        (
            "certificate without tenant",
            AzureConfig {
                client_certificate_path: Some(file.clone()),
                client_id: Some(CLIENT.into()),
                ..base()
            },
            &none,
            Want::Error("tenant_id (ARM_TENANT_ID)"),
        ),
        (
            "secret",
            sp(AzureConfig {
                client_secret: Some(SECRET.into()),
                ..base()
            }),
            &none,
            Want::Method(CredentialMethod::ClientSecret),
        ),
        (
            "secret beats msi and cli",
            sp(AzureConfig {
                client_secret: Some(SECRET.into()),
                use_msi: true,
                use_cli: true,
                ..base()
            }),
            &none,
            Want::Method(CredentialMethod::ClientSecret),
        ),
        (
            "secret without tenant",
            AzureConfig {
                client_secret: Some(SECRET.into()),
                client_id: Some(CLIENT.into()),
                use_cli: true,
                ..base()
            },
            &none,
            Want::Error("tenant_id (ARM_TENANT_ID) is not set"),
        ),
        (
            "secret without client id",
            AzureConfig {
                client_secret: Some(SECRET.into()),
                tenant_id: Some(TENANT.into()),
                ..base()
            },
            &none,
            Want::Error("client_id (ARM_CLIENT_ID) is not set"),
        ),
        (
            "oidc token",
            sp(AzureConfig {
                use_oidc: true,
                oidc_token: Some("jwt".into()),
                ..base()
            }),
            &none,
            Want::Method(CredentialMethod::OidcToken),
        ),
        (
            "oidc token file",
            sp(AzureConfig {
                use_oidc: true,
                oidc_token_file_path: Some(file.clone()),
                ..base()
            }),
            &none,
            Want::Method(CredentialMethod::OidcTokenFile),
        ),
        (
            "oidc token file missing",
            sp(AzureConfig {
                use_oidc: true,
                oidc_token_file_path: Some(missing.clone()),
                use_cli: true,
                ..base()
            }),
            &none,
            Want::Error("oidc_token_file_path"),
        ),
        (
            "github",
            sp(gh(base())),
            &none,
            Want::Method(CredentialMethod::GitHubOidc),
        ),
        (
            "github url without token",
            sp(AzureConfig {
                oidc_request_token: None,
                ..gh(base())
            }),
            &none,
            Want::Error("oidc_request_token"),
        ),
        (
            "github url over plain http",
            sp(AzureConfig {
                oidc_request_url: Some("http://example.com/t".into()),
                ..gh(base())
            }),
            &none,
            Want::Error("plain http"),
        ),
        (
            "oidc with no source at all",
            sp(AzureConfig {
                use_oidc: true,
                use_cli: true,
                ..base()
            }),
            &none,
            Want::Error("no token source"),
        ),
        (
            "oidc without tenant",
            AzureConfig {
                use_oidc: true,
                oidc_token: Some("jwt".into()),
                client_id: Some(CLIENT.into()),
                ..base()
            },
            &none,
            Want::Error("tenant_id"),
        ),
        (
            "azure devops",
            sp(AzureConfig {
                use_oidc: true,
                ado_pipeline_service_connection_id: Some("conn-1".into()),
                ..base()
            }),
            &ado_env,
            Want::Method(CredentialMethod::AzurePipelines),
        ),
        (
            "azure devops without SYSTEM_ACCESSTOKEN",
            sp(AzureConfig {
                use_oidc: true,
                ado_pipeline_service_connection_id: Some("conn-1".into()),
                ..base()
            }),
            &none,
            Want::Error("SYSTEM_ACCESSTOKEN"),
        ),
        (
            "aks workload identity from AZURE_*",
            AzureConfig {
                use_aks_workload_identity: true,
                ..base()
            },
            &aks_env,
            Want::Method(CredentialMethod::AksWorkloadIdentity),
        ),
        (
            "aks without token file",
            sp(AzureConfig {
                use_aks_workload_identity: true,
                use_cli: true,
                ..base()
            }),
            &none,
            Want::Error("AZURE_FEDERATED_TOKEN_FILE"),
        ),
        (
            "msi",
            AzureConfig {
                use_msi: true,
                use_cli: true,
                ..base()
            },
            &none,
            Want::Method(CredentialMethod::ManagedIdentity),
        ),
        (
            "msi at the IMDS address",
            AzureConfig {
                use_msi: true,
                msi_endpoint: Some("http://169.254.169.254/metadata/identity/oauth2/token".into()),
                ..base()
            },
            &none,
            Want::Method(CredentialMethod::ManagedIdentity),
        ),
        (
            "msi endpoint over plain http elsewhere",
            AzureConfig {
                use_msi: true,
                msi_endpoint: Some("http://example.com/token".into()),
                ..base()
            },
            &none,
            Want::Error("plain http"),
        ),
        (
            "cli by default",
            AzureConfig {
                subscription_id: SUB.into(),
                ..AzureConfig::default()
            },
            &none,
            Want::Method(CredentialMethod::AzureCli),
        ),
        (
            "cli with a malformed tenant",
            AzureConfig {
                subscription_id: SUB.into(),
                tenant_id: Some("x; rm -rf /".into()),
                ..AzureConfig::default()
            },
            &none,
            Want::Error("not a valid tenant ID"),
        ),
        (
            "nothing configured",
            base(),
            &none,
            Want::Error("no authentication method"),
        ),
    ];
    for (name, config, env, want) in rows {
        let got = select_credential(&config, &|k| env.get(k).map(|v| v.to_string()));
        match (want, got) {
            (Want::Method(m), Ok(plan)) => assert_eq!(plan.method(), m, "{name}"),
            (Want::Error(text), Err(e)) => {
                assert!(e.is_config(), "{name}: {e}");
                assert!(e.to_string().contains(text), "{name}: {e}");
                assert!(!e.to_string().contains(SECRET), "{name}: secret leaked");
            }
            (Want::Method(m), Err(e)) => panic!("{name}: wanted {m}, got error {e}"),
            (Want::Error(text), Ok(plan)) => panic!(
                "{name}: wanted an error with {text:?}, got {:?}",
                plan.method()
            ),
        }
    }
}

fn token_json(token: &str) -> serde_json::Value {
    json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})
}

fn instance() -> BackupInstanceId {
    format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi-1")
        .parse()
        .unwrap()
}

fn get_target() -> String {
    format!("{}?api-version=2025-07-01", instance())
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

async fn client_for(
    server: &ScriptServer,
    pki: &TestPki,
    mut config: AzureConfig,
) -> DataProtectionClient {
    config.subscription_id = SUB.into();
    config.resource_manager_endpoint = Some(format!("{}/", server.base));
    config.active_directory_authority_host = Some(format!("{}/", server.base));
    DataProtectionClient::builder(config)
        .http_client(pki.client())
        .build()
        .await
        .expect("client")
}

fn op() -> OpOptions {
    OpOptions::with_timeout(Duration::from_secs(60))
}

/// A client secret exchanged at a local https token endpoint through the real credential code
/// (azure_identity with our transport), then used, and cached for the next call.
#[tokio::test]
async fn client_secret_token_from_local_endpoint() {
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    server.push(
        Step::new("POST", format!("/{TENANT}/oauth2/v2.0/token"), 200)
            .json(token_json("token-from-secret")),
    );
    server.push(
        Step::new("GET", get_target(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    server.push(
        Step::new("GET", get_target(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    let client = client_for(
        &server,
        &pki,
        sp(AzureConfig {
            client_secret: Some(SECRET.into()),
            ..base()
        }),
    )
    .await;
    assert!(!format!("{client:?}").contains(SECRET));
    assert!(
        client
            .get_backup_instance(&instance(), &op())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        client
            .get_backup_instance(&instance(), &op())
            .await
            .unwrap()
            .is_none()
    );
    server.assert_done();
    let seen = server.seen();
    let f = form(&seen[0].body);
    assert_eq!(f.get("client_id").map(String::as_str), Some(CLIENT));
    assert_eq!(f.get("client_secret").map(String::as_str), Some(SECRET));
    assert_eq!(
        f.get("grant_type").map(String::as_str),
        Some("client_credentials")
    );
    assert_eq!(
        f.get("scope").map(String::as_str),
        Some("https://management.azure.com/.default")
    );
    assert_eq!(
        seen[1].header("authorization"),
        Some("Bearer token-from-secret")
    );
    assert_eq!(
        seen[2].header("authorization"),
        Some("Bearer token-from-secret")
    );
}

/// A rejected secret is an auth error without the secret in it.
#[tokio::test]
async fn rejected_secret_is_a_typed_auth_error() {
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    server.push(
        Step::new("POST", format!("/{TENANT}/oauth2/v2.0/token"), 401)
            .json(json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})),
    );
    let client = client_for(
        &server,
        &pki,
        sp(AzureConfig {
            client_secret: Some(SECRET.into()),
            ..base()
        }),
    )
    .await;
    let err = client
        .get_backup_instance(&instance(), &op())
        .await
        .unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert!(
        err.to_string().contains("AADSTS7000215"),
        "the service explanation reaches the user: {err}"
    );
    assert!(!err.to_string().contains(SECRET) && !err.details().contains(SECRET));
    server.assert_done();
}

/// An unreachable token endpoint fails within seconds (bounded identity retries), not minutes.
#[tokio::test]
async fn unreachable_token_endpoint_fails_fast() {
    let pki = TestPki::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = sp(AzureConfig {
        subscription_id: SUB.into(),
        client_secret: Some(SECRET.into()),
        resource_manager_endpoint: Some(format!("https://127.0.0.1:{port}/")),
        active_directory_authority_host: Some(format!("https://127.0.0.1:{port}/")),
        ..base()
    });
    let client = DataProtectionClient::builder(config)
        .http_client(pki.client())
        .build()
        .await
        .unwrap();
    let start = std::time::Instant::now();
    let err = client
        .get_backup_instance(
            &instance(),
            &OpOptions::with_timeout(Duration::from_secs(600)),
        )
        .await
        .unwrap_err();
    assert!(err.is_auth(), "{err}");
    // It names the host it could not reach and why, not the retry policy's give-up text.
    let text = err.details();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(!text.contains("retry policy expired"), "{text}");
    eprintln!(
        "unreachable token endpoint: failed after {:?}: {text}",
        start.elapsed()
    );
    // Two quick identity retries (0.2 s, 0.4 s), never the crate default's minute.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

/// A Resource Manager endpoint that refuses connections (the token is fine): the error names
/// the host and "connection refused".
#[tokio::test]
async fn unreachable_resource_manager_names_the_host_and_the_cause() {
    use terraform_provider_azurebackup::azure::http::retry::RetryConfig;
    let pki = TestPki::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = sp(AzureConfig {
        subscription_id: SUB.into(),
        resource_manager_endpoint: Some(format!("https://127.0.0.1:{port}/")),
        active_directory_authority_host: Some(format!("https://127.0.0.1:{port}/")),
        ..base()
    });
    let client = DataProtectionClient::builder(config)
        .http_client(pki.client())
        .credential(Arc::new(StaticTokenProvider(Secret::new("t".to_string()))))
        .retry(RetryConfig {
            max_attempts: 1,
            ..RetryConfig::default()
        })
        .build()
        .await
        .unwrap();
    let err = client
        .get_backup_instance(
            &instance(),
            &OpOptions::with_timeout(Duration::from_secs(60)),
        )
        .await
        .unwrap_err();
    let text = err.details();
    assert!(
        text.contains(&format!(
            "could not connect to 127.0.0.1:{port} (connection refused)"
        )),
        "{text}"
    );
}

struct TestCert {
    der: Vec<u8>,
    key_pkcs8: Vec<u8>,
    pem_bundle: String,
}

fn rsa_cert() -> TestCert {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("rsa key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "terraform test sp");
    let cert = params.self_signed(&key).unwrap();
    TestCert {
        der: cert.der().to_vec(),
        key_pkcs8: key.serialize_der(),
        pem_bundle: format!("{}{}", cert.pem(), key.serialize_pem()),
    }
}

/// Checks a client assertion: header x5t = SHA-1 thumbprint, claims, and an RS256 signature
/// that verifies with the certificate's public key.
fn verify_assertion(jwt: &str, cert_der: &[u8], audience: &str) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    let thumb = sha1_smol::Sha1::from(cert_der).digest().bytes();
    assert_eq!(header["x5t"], URL_SAFE_NO_PAD.encode(thumb));
    assert_eq!(claims["aud"], audience);
    assert_eq!(claims["iss"], CLIENT);
    assert_eq!(claims["sub"], CLIENT);
    assert!(claims["exp"].as_i64().unwrap() > claims["nbf"].as_i64().unwrap());
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let cert_der = rustls::pki_types::CertificateDer::from(cert_der.to_vec());
    let ee = webpki::EndEntityCert::try_from(&cert_der).unwrap();
    ee.verify_signature(
        webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &sig,
    )
    .expect("assertion signature verifies with the certificate");
}

/// PEM (certificate + key in one file) and PFX (password protected) both give assertions that
/// verify; a wrong PFX password is a config error that does not echo the password.
#[test]
fn certificate_files_sign_assertions() {
    let c = rsa_cert();
    let dir = tempfile::tempdir().unwrap();
    let pem_path = dir.path().join("sp.pem");
    std::fs::write(&pem_path, &c.pem_bundle).unwrap();
    let signer = CertificateSigner::from_file(&pem_path, None).unwrap();
    let aud = "https://login.example/tenant/oauth2/v2.0/token";
    verify_assertion(signer.assertion(CLIENT, aud).unwrap().expose(), &c.der, aud);

    let mut ks = p12_keystore::KeyStore::new();
    let chain = p12_keystore::PrivateKeyChain::new(
        b"sp".to_vec(),
        p12_keystore::PrivateKey::from_der(&c.key_pkcs8).unwrap(),
        [p12_keystore::Certificate::from_der(&c.der).unwrap()],
    );
    ks.add_entry("sp", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    let pfx = ks.writer("pfx-password").write().unwrap();
    let pfx_path = dir.path().join("sp.pfx");
    std::fs::write(&pfx_path, &pfx).unwrap();
    let signer =
        CertificateSigner::from_file(&pfx_path, Some(&Secret::new("pfx-password"))).unwrap();
    verify_assertion(signer.assertion(CLIENT, aud).unwrap().expose(), &c.der, aud);

    let err =
        CertificateSigner::from_file(&pfx_path, Some(&Secret::new("wrong-password"))).unwrap_err();
    assert!(err.is_config(), "{err}");
    assert!(!err.to_string().contains("wrong-password"));
    let err = CertificateSigner::from_bytes(b"not a certificate", None, "junk").unwrap_err();
    assert!(err.is_config());
}

/// Certificate authentication end to end: the token endpoint receives a verifiable assertion.
#[tokio::test]
async fn client_certificate_token_from_local_endpoint() {
    let c = rsa_cert();
    let dir = tempfile::tempdir().unwrap();
    let pem_path: PathBuf = dir.path().join("sp.pem");
    std::fs::write(&pem_path, &c.pem_bundle).unwrap();
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    server.push(
        Step::new("POST", format!("/{TENANT}/oauth2/v2.0/token"), 200)
            .json(token_json("token-from-cert")),
    );
    server.push(
        Step::new("GET", get_target(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    let client = client_for(
        &server,
        &pki,
        sp(AzureConfig {
            client_certificate_path: Some(pem_path),
            ..base()
        }),
    )
    .await;
    assert!(
        client
            .get_backup_instance(&instance(), &op())
            .await
            .unwrap()
            .is_none()
    );
    server.assert_done();
    let seen = server.seen();
    let f = form(&seen[0].body);
    assert_eq!(
        f.get("client_assertion_type").map(String::as_str),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    verify_assertion(
        &f["client_assertion"],
        &c.der,
        &format!("{}/{TENANT}/oauth2/v2.0/token", server.base),
    );
    assert_eq!(
        seen[1].header("authorization"),
        Some("Bearer token-from-cert")
    );
}

/// GitHub Actions OIDC: the ID token is fetched with the request token and exchanged.
#[tokio::test]
async fn github_oidc_token_exchange() {
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    server.push(
        Step::new(
            "GET",
            "/gh/idtoken?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange",
            200,
        )
        .json(json!({"value": "gh-id-token"})),
    );
    server.push(
        Step::new("POST", format!("/{TENANT}/oauth2/v2.0/token"), 200)
            .json(token_json("token-from-github")),
    );
    server.push(
        Step::new("GET", get_target(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    let config = sp(AzureConfig {
        use_oidc: true,
        oidc_request_url: Some(format!("{}/gh/idtoken?api-version=2.0", server.base)),
        oidc_request_token: Some("gh-request-token".into()),
        ..base()
    });
    let client = client_for(&server, &pki, config).await;
    assert!(
        client
            .get_backup_instance(&instance(), &op())
            .await
            .unwrap()
            .is_none()
    );
    server.assert_done();
    let seen = server.seen();
    assert_eq!(
        seen[0].header("authorization"),
        Some("Bearer gh-request-token")
    );
    assert_eq!(
        form(&seen[1].body)
            .get("client_assertion")
            .map(String::as_str),
        Some("gh-id-token")
    );
    assert_eq!(
        seen[2].header("authorization"),
        Some("Bearer token-from-github")
    );
}

/// Managed identity at an explicit `msi_endpoint` (IMDS protocol).
#[tokio::test]
async fn managed_identity_at_msi_endpoint() {
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    server.push(
        Step::new("GET", format!("/msi/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com&client_id={CLIENT}"), 200)
            .json(json!({"access_token": "token-from-msi", "expires_on": expires.to_string(), "token_type": "Bearer"})),
    );
    server.push(
        Step::new("GET", get_target(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    let config = AzureConfig {
        use_msi: true,
        client_id: Some(CLIENT.into()),
        msi_endpoint: Some(format!("{}/msi/token", server.base)),
        ..base()
    };
    let client = client_for(&server, &pki, config).await;
    assert!(
        client
            .get_backup_instance(&instance(), &op())
            .await
            .unwrap()
            .is_none()
    );
    server.assert_done();
    let seen = server.seen();
    assert_eq!(seen[0].header("metadata"), Some("true"));
    assert_eq!(
        seen[1].header("authorization"),
        Some("Bearer token-from-msi")
    );
}

/// `metadata_host` discovery sets the ARM endpoint and audience from the metadata document.
#[tokio::test]
async fn metadata_host_discovery() {
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    server.push(Step::new("GET", "/metadata/endpoints?api-version=2022-09-01", 200).json(json!({
        "name": "AzureStackLab",
        "resourceManager": format!("{}/", server.base),
        "authentication": {"loginEndpoint": format!("{}/", server.base), "audiences": ["https://management.stack.local/"], "tenant": "adfs"},
        "suffixes": {"keyVaultDns": "vault.stack.local"}
    })));
    server.push(
        Step::new("GET", get_target(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    let host = server.base.trim_start_matches("https://").to_string();
    let clock = VirtualClock::new();
    let config = AzureConfig {
        subscription_id: SUB.into(),
        metadata_host: Some(host),
        use_cli: false,
        ..AzureConfig::default()
    };
    let client = DataProtectionClient::builder(config)
        .http_client(pki.client())
        .credential(Arc::new(StaticTokenProvider("t".into())))
        .clock(clock.clone())
        .build()
        .await
        .expect("client");
    assert_eq!(
        client.endpoints().scope(),
        "https://management.stack.local/.default"
    );
    assert_eq!(
        client.endpoints().resource_manager.as_str(),
        format!("{}/", server.base)
    );
    let opts = OpOptions {
        deadline: clock.now() + Duration::from_secs(60),
        cancel: CancellationToken::new(),
    };
    assert!(
        client
            .get_backup_instance(&instance(), &opts)
            .await
            .unwrap()
            .is_none()
    );
    server.assert_done();
}

/// Discovery from a host that does not answer with metadata is a config error.
#[tokio::test]
async fn metadata_host_failure_is_a_config_error() {
    let pki = TestPki::new();
    let server = ScriptServer::start(&pki).await;
    server.push(Step::new(
        "GET",
        "/metadata/endpoints?api-version=2022-09-01",
        404,
    ));
    let config = AzureConfig {
        subscription_id: SUB.into(),
        metadata_host: Some(server.base.clone()),
        use_cli: false,
        ..AzureConfig::default()
    };
    let err = DataProtectionClient::builder(config)
        .http_client(pki.client())
        .credential(Arc::new(StaticTokenProvider("t".into())))
        .build()
        .await
        .unwrap_err();
    assert!(err.is_config() && err.to_string().contains("404"), "{err}");
    server.assert_done();
}

/// The CLI gets `--tenant` or `--subscription`, never both (the CLI refuses the pair).
#[test]
fn cli_plan_passes_tenant_or_subscription() {
    use terraform_provider_azurebackup::azure::auth::CredentialPlan;
    let with_tenant = AzureConfig {
        subscription_id: SUB.into(),
        tenant_id: Some(TENANT.into()),
        ..AzureConfig::default()
    };
    match select_credential(&with_tenant, &|_| None).unwrap() {
        CredentialPlan::AzureCli {
            tenant_id,
            subscription_id,
        } => {
            assert_eq!(tenant_id.as_deref(), Some(TENANT));
            assert_eq!(subscription_id, None);
        }
        other => panic!("{:?}", other.method()),
    }
    let without = AzureConfig {
        subscription_id: SUB.into(),
        ..AzureConfig::default()
    };
    match select_credential(&without, &|_| None).unwrap() {
        CredentialPlan::AzureCli {
            tenant_id,
            subscription_id,
        } => {
            assert_eq!(tenant_id, None);
            assert_eq!(subscription_id.as_deref(), Some(SUB));
        }
        other => panic!("{:?}", other.method()),
    }
}

/// Against a plain-http loopback emulator (which azure_identity refuses), the client secret
/// and OIDC token flows go through the provider's own token client.
#[tokio::test]
async fn loopback_http_token_endpoint() {
    let pki = TestPki::new();
    let server = ScriptServer::start_plain().await;
    server.push(
        Step::new("POST", format!("/{TENANT}/oauth2/v2.0/token"), 200)
            .json(token_json("token-over-http")),
    );
    server.push(
        Step::new("GET", get_target(), 404).json(
            json!({"error": {"code": "UserErrorGenericResourceNotFound", "message": "gone"}}),
        ),
    );
    let client = client_for(
        &server,
        &pki,
        sp(AzureConfig {
            client_secret: Some(SECRET.into()),
            ..base()
        }),
    )
    .await;
    assert!(
        client
            .get_backup_instance(&instance(), &op())
            .await
            .unwrap()
            .is_none()
    );
    server.assert_done();
    let seen = server.seen();
    let f = form(&seen[0].body);
    assert_eq!(f.get("client_secret").map(String::as_str), Some(SECRET));
    assert_eq!(
        f.get("scope").map(String::as_str),
        Some("https://management.azure.com/.default")
    );
    assert_eq!(
        seen[1].header("authorization"),
        Some("Bearer token-over-http")
    );

    server.push(
        Step::new("POST", format!("/{TENANT}/oauth2/v2.0/token"), 400)
            .json(json!({"error": "invalid_client", "error_description": "AADSTS700024: Client assertion is not within its valid time range."})),
    );
    let client = client_for(
        &server,
        &pki,
        sp(AzureConfig {
            use_oidc: true,
            oidc_token: Some("fed-jwt".into()),
            ..base()
        }),
    )
    .await;
    let err = client
        .get_backup_instance(&instance(), &op())
        .await
        .unwrap_err();
    assert!(
        err.is_auth() && err.to_string().contains("AADSTS700024"),
        "{err}"
    );
    server.assert_done();
    let last = server.seen().pop().unwrap();
    assert_eq!(
        form(&last.body).get("client_assertion").map(String::as_str),
        Some("fed-jwt")
    );
}
