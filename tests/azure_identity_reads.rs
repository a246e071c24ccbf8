//! The identity reads behind `azurebackup_role_assignments`, against a scripted server: the
//! vault GET (system-assigned and attached user-assigned principals) and the AKS cluster GET
//! (its own API version); a 404 is "not there", an answer for another resource is refused, a
//! service error keeps its message and correlation ID, and the bearer token goes only to the
//! Resource Manager endpoint, never for a name that would change the URL's path.

mod azure_support;

use std::time::Duration;

use azure_support::{Harness, SUB, Step, TOKEN};
use serde_json::json;
use terraform_provider_azurebackup::azure::arm_id::{BackupVaultId, ManagedClusterId};
use terraform_provider_azurebackup::azure::client::identity::CONTAINER_SERVICE_API_VERSION;

const API: &str = "2025-07-01";
const VAULT_PRINCIPAL: &str = "44444444-4444-4444-4444-444444444444";
const CLUSTER_PRINCIPAL: &str = "55555555-5555-5555-5555-555555555555";

fn vault() -> BackupVaultId {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
    )
    .parse()
    .unwrap()
}

fn uami() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-backup"
    )
}

fn cluster() -> ManagedClusterId {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.ContainerService/managedClusters/aks-demo"
    )
    .parse()
    .unwrap()
}

fn vault_body(id: &str) -> serde_json::Value {
    json!({
        "id": id,
        "name": "vault-demo",
        "type": "Microsoft.DataProtection/backupVaults",
        "location": "westeurope",
        "identity": {
            "type": "SystemAssigned,UserAssigned",
            "principalId": VAULT_PRINCIPAL,
            "tenantId": "22222222-2222-2222-2222-222222222222",
            "userAssignedIdentities": {
                uami(): {"principalId": "77777777-7777-7777-7777-777777777777", "clientId": "88888888-8888-8888-8888-888888888888"}
            }
        },
        "properties": {"provisioningState": "Succeeded"}
    })
}

/// Every request carried the bearer token and went to the scripted Resource Manager endpoint
/// (the only server there is; a request anywhere else would not reach it).
fn assert_token_went_to_rm_only(h: &Harness) {
    for s in h.server.seen() {
        assert_eq!(
            s.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{} {}",
            s.method,
            s.target
        );
    }
}

#[tokio::test]
async fn vault_identity_has_the_system_and_user_assigned_principals() {
    let h = Harness::new(API).await;
    let v = vault();
    h.server.push(
        Step::new("GET", format!("{v}?api-version={API}"), 200)
            .json(vault_body(&v.to_string().to_ascii_lowercase())),
    );
    let id = h
        .client
        .get_vault_identity(&v, &h.op(Duration::from_secs(60)))
        .await
        .expect("read")
        .expect("a vault");
    h.server.assert_done();
    assert_eq!(id.system_assigned.as_deref(), Some(VAULT_PRINCIPAL));
    let u = id
        .user_assigned(&uami().to_ascii_uppercase())
        .expect("attached identity");
    assert_eq!(
        u.principal_id.as_deref(),
        Some("77777777-7777-7777-7777-777777777777")
    );
    assert_token_went_to_rm_only(&h);
}

#[tokio::test]
async fn a_vault_with_only_user_assigned_identities_has_no_system_principal() {
    let h = Harness::new(API).await;
    let v = vault();
    let mut body = vault_body(&v.to_string());
    body["identity"]["type"] = json!("UserAssigned");
    body["identity"]
        .as_object_mut()
        .unwrap()
        .remove("principalId");
    h.server
        .push(Step::new("GET", format!("{v}?api-version={API}"), 200).json(body));
    let id = h
        .client
        .get_vault_identity(&v, &h.op(Duration::from_secs(60)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id.system_assigned, None);
    assert_eq!(id.user_assigned.len(), 1);
}

#[tokio::test]
async fn a_missing_vault_is_none() {
    let h = Harness::new(API).await;
    let v = vault();
    h.server.push(
        Step::new("GET", format!("{v}?api-version={API}"), 404).json(json!({
            "error": {"code": "ResourceNotFound", "message": "The Resource 'Microsoft.DataProtection/backupVaults/vault-demo' under resource group 'rg-backup' was not found."}
        })),
    );
    let got = h
        .client
        .get_vault_identity(&v, &h.op(Duration::from_secs(60)))
        .await
        .expect("a 404 is not an error");
    assert_eq!(got, None);
    h.server.assert_done();
}

#[tokio::test]
async fn an_answer_for_another_vault_is_refused() {
    let h = Harness::new(API).await;
    let v = vault();
    let other = v.to_string().replace("vault-demo", "vault-other");
    h.server
        .push(Step::new("GET", format!("{v}?api-version={API}"), 200).json(vault_body(&other)));
    let err = h
        .client
        .get_vault_identity(&v, &h.op(Duration::from_secs(60)))
        .await
        .expect_err("another vault's identity must not be used");
    let text = format!("{err}\n{}", err.details());
    assert!(text.contains("vault-other"), "{text}");
    assert!(text.contains("was not used"), "{text}");
    assert!(err.correlation_id().is_some());
}

#[tokio::test]
async fn a_service_error_keeps_its_message_and_correlation_id() {
    let h = Harness::new(API).await;
    let v = vault();
    h.server.push(
        Step::new("GET", format!("{v}?api-version={API}"), 403)
            .header("x-ms-request-id", "req-403")
            .json(json!({"error": {"code": "AuthorizationFailed", "message": "The client does not have authorization to perform action 'Microsoft.DataProtection/backupVaults/read'."}})),
    );
    let err = h
        .client
        .get_vault_identity(&v, &h.op(Duration::from_secs(60)))
        .await
        .expect_err("403");
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("AuthorizationFailed"));
    assert!(err.message().contains("backupVaults/read"), "{err}");
    let sent = h.server.seen();
    let corr = sent[0]
        .header("x-ms-correlation-request-id")
        .expect("a correlation id is sent");
    assert_eq!(err.correlation_id(), Some(corr));
    assert!(!format!("{err}\n{}", err.details()).contains(TOKEN));
}

#[tokio::test]
async fn cluster_identity_is_read_with_the_container_service_api_version() {
    let h = Harness::new(API).await;
    let c = cluster();
    h.server.push(
        Step::new(
            "GET",
            format!("{c}?api-version={CONTAINER_SERVICE_API_VERSION}"),
            200,
        )
        .json(json!({
            "id": c.to_string(),
            "name": "aks-demo",
            "type": "Microsoft.ContainerService/ManagedClusters",
            "location": "westeurope",
            "identity": {"type": "SystemAssigned", "principalId": CLUSTER_PRINCIPAL, "tenantId": "22222222-2222-2222-2222-222222222222"}
        })),
    );
    h.server.push(
        Step::new(
            "GET",
            format!(
                "{}?api-version={CONTAINER_SERVICE_API_VERSION}",
                c.to_string().replace("aks-demo", "aks-gone")
            ),
            404,
        )
        .json(json!({"error": {"code": "ResourceNotFound", "message": "not found"}})),
    );
    let op = h.op(Duration::from_secs(60));
    let id = h
        .client
        .get_cluster_identity(&c, &op)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id.system_assigned.as_deref(), Some(CLUSTER_PRINCIPAL));
    let gone = ManagedClusterId {
        name: "aks-gone".into(),
        ..c.clone()
    };
    assert_eq!(
        h.client.get_cluster_identity(&gone, &op).await.unwrap(),
        None
    );
    h.server.assert_done();
    assert_token_went_to_rm_only(&h);
}

#[tokio::test]
async fn an_answer_for_another_cluster_is_refused() {
    let h = Harness::new(API).await;
    let c = cluster();
    h.server.push(
        Step::new(
            "GET",
            format!("{c}?api-version={CONTAINER_SERVICE_API_VERSION}"),
            200,
        )
        .json(json!({
            "id": c.to_string().replace("aks-demo", "aks-other"),
            "identity": {"type": "SystemAssigned", "principalId": CLUSTER_PRINCIPAL}
        })),
    );
    let err = h
        .client
        .get_cluster_identity(&c, &h.op(Duration::from_secs(60)))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("aks-other") || err.details().contains("aks-other"));
}

/// A name that would change the URL's path (`..` resolves to the resource group) is refused
/// before anything is sent, so the token never goes to another resource's URL.
#[tokio::test]
async fn a_name_that_would_change_the_path_sends_nothing() {
    let h = Harness::new(API).await;
    let bad = ManagedClusterId {
        name: "..".into(),
        ..cluster()
    };
    let err = h
        .client
        .get_cluster_identity(&bad, &h.op(Duration::from_secs(60)))
        .await
        .expect_err("refused");
    assert!(err.is_config(), "{err}");
    let mut v = vault();
    v.name = "vault-demo/../../x".into();
    let err = h
        .client
        .get_vault_identity(&v, &h.op(Duration::from_secs(60)))
        .await
        .expect_err("refused");
    assert!(err.is_config(), "{err}");
    assert!(h.server.seen().is_empty(), "{:?}", h.server.sequence());
}
