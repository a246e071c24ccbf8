//! Black-box tests of the emulator's Data Protection API, identity endpoints and admin API,
//! against an in-process emulator over HTTPS with its own CA.

#[path = "emulator_support.rs"]
mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::*;

/// Client-credentials tokens: right secret works; wrong secret, unknown tenant and unknown
/// client get the Entra errors; a well-formed client assertion for the client id works.
#[tokio::test]
async fn token_endpoint_accepts_the_secret_and_rejects_bad_credentials() {
    let emu = start_fast().await;
    let ep = &emu.handle.endpoint;
    let form = |tenant: &str, fields: &[(&str, &str)]| {
        let mut f: Vec<(String, String)> = fields
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        f.push(("grant_type".into(), "client_credentials".into()));
        f.push((
            "scope".into(),
            "https://management.azure.com/.default".into(),
        ));
        emu.client
            .post(format!("{ep}/{tenant}/oauth2/v2.0/token"))
            .form(&f)
            .send()
    };
    let ok = form(
        TENANT,
        &[("client_id", CLIENT_ID), ("client_secret", SECRET)],
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    let v: Value = ok.json().await.unwrap();
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["expires_in"].as_u64().unwrap() > 0);

    let bad = form(
        TENANT,
        &[("client_id", CLIENT_ID), ("client_secret", "wrong")],
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 401);
    let v: Value = bad.json().await.unwrap();
    assert_eq!(v["error"], "invalid_client");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215: Invalid client secret provided")
    );
    assert!(
        !v.to_string().contains("wrong"),
        "the rejected secret must not be echoed"
    );

    let tenant = form(
        "99999999-9999-9999-9999-999999999999",
        &[("client_id", CLIENT_ID), ("client_secret", SECRET)],
    )
    .await
    .unwrap();
    assert_eq!(tenant.status(), 400);
    let v: Value = tenant.json().await.unwrap();
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS90002")
    );

    let client = form(
        TENANT,
        &[
            ("client_id", "00000000-0000-0000-0000-000000000000"),
            ("client_secret", SECRET),
        ],
    )
    .await
    .unwrap();
    assert_eq!(client.status(), 400);

    let b64 = |v: Value| {
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            v.to_string(),
        )
    };
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let jwt = |iss: &str| {
        format!(
            "{}.{}.c2ln",
            b64(json!({"alg": "RS256", "typ": "JWT"})),
            b64(json!({"iss": iss, "sub": iss, "aud": "x", "exp": exp}))
        )
    };
    let assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    let good = jwt(CLIENT_ID);
    let ok = form(
        TENANT,
        &[
            ("client_id", CLIENT_ID),
            ("client_assertion", &good),
            ("client_assertion_type", assertion_type),
        ],
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    let other = jwt("someone-else");
    let bad = form(
        TENANT,
        &[
            ("client_id", CLIENT_ID),
            ("client_assertion", &other),
            ("client_assertion_type", assertion_type),
        ],
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 401);
    let garbage = form(
        TENANT,
        &[
            ("client_id", CLIENT_ID),
            ("client_assertion", "not-a-jwt"),
            ("client_assertion_type", assertion_type),
        ],
    )
    .await
    .unwrap();
    assert_eq!(garbage.status(), 401);
}

/// ARM calls without a valid bearer token get 401 with ARM's codes; every answer carries
/// request ids and echoes the client's correlation id.
#[tokio::test]
async fn arm_requires_a_valid_bearer_token_and_sets_request_ids() {
    let emu = start_fast().await;
    let url = emu.url(&format!("{}/backupInstances?api-version={NEW}", vault()));
    let none = emu.client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers().contains_key("www-authenticate"));
    let v: Value = none.json().await.unwrap();
    assert_eq!(v["error"]["code"], "AuthenticationFailed");

    let bogus = emu
        .client
        .get(&url)
        .bearer_auth("bogus")
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), 401);
    let v: Value = bogus.json().await.unwrap();
    assert_eq!(v["error"]["code"], "InvalidAuthenticationToken");

    let ok = emu
        .client
        .get(&url)
        .bearer_auth(&emu.token)
        .header("x-ms-correlation-request-id", "corr-123")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["x-ms-correlation-request-id"], "corr-123");
    assert!(!ok.headers()["x-ms-request-id"].is_empty());
}

/// Only 2021-01-01 and 2025-07-01 are served; others get ARM's 400s naming the supported list.
#[tokio::test]
async fn unsupported_api_versions_are_refused_like_arm() {
    let emu = start_fast().await;
    let a = emu
        .get(&format!(
            "{}/backupInstances?api-version=2024-04-01",
            vault()
        ))
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.code(), "NoRegisteredProviderFound");
    let msg = a.body["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("2021-01-01") && msg.contains("2025-07-01"),
        "{msg}"
    );
    let a = emu.get(&format!("{}/backupInstances", vault())).await;
    assert_eq!((a.status, a.code()), (400, "MissingApiVersionParameter"));
    let a = emu
        .get(&format!(
            "{}/backupInstances?api-version=yesterday",
            vault()
        ))
        .await;
    assert_eq!((a.status, a.code()), (400, "InvalidApiVersionParameter"));
    for api in [OLD, NEW] {
        assert_eq!(
            emu.get(&format!("{}/backupInstances?api-version={api}", vault()))
                .await
                .status,
            200
        );
    }
}

/// validate → 202, `Inprogress` with the zero endTime while running, then PUT → 201 with
/// Provisioning/ConfiguringProtection and a vault-scoped Azure-AsyncOperation, polled to
/// Succeeded, after which protection reaches ProtectionConfigured.
#[tokio::test]
async fn create_returns_201_and_polls_to_succeeded_then_protection_configured() {
    let emu = start_fast().await;
    // Long durations, ended explicitly through the admin API: no timing windows in the test.
    emu.knobs(json!({"validate_ms": 60000, "protection_ms": 60000, "retry_after": 2}))
        .await;
    let props = disk_props("disk-1", "policy-disk");
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": props}),
        )
        .await;
    assert_eq!(v.status, 202);
    assert_eq!(v.header("retry-after").as_deref(), Some("2"));
    let ao = v.header("azure-asyncoperation").unwrap();
    assert!(
        ao.contains("/backupVaults/vault-demo/operationStatus/"),
        "{ao}"
    );
    assert!(
        ao.contains("&t=") && ao.contains("&h="),
        "newer versions carry opaque signed parameters: {ao}"
    );
    let loc = v.header("location").unwrap();
    assert!(
        loc.contains("/providers/Microsoft.DataProtection/locations/westeurope/operationResults/"),
        "{loc}"
    );
    let running = emu.get(&ao).await;
    assert_eq!(running.body["status"], "Inprogress");
    assert_eq!(running.body["endTime"], "0001-01-01T00:00:00Z");
    assert_eq!(running.header("retry-after").as_deref(), Some("2"));
    let result = emu.get(&loc).await;
    assert_eq!(result.status, 202);
    assert!(result.text.is_empty());
    emu.admin(Method::POST, "/operations/finish", None).await;
    let done = emu.poll(&ao).await;
    assert_eq!(done["status"], "Succeeded");
    assert!(!done["endTime"].as_str().unwrap().starts_with("0001"));
    let result = emu.get(&loc).await;
    assert_eq!(result.status, 200);
    assert_eq!(result.body["objectType"], "OperationJobExtendedInfo");

    let p = emu
        .put(
            &emu.instance_path("bi-disk-1", NEW),
            &json!({"properties": props, "tags": {"team": "a"}}),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.text);
    assert_eq!(p.body["properties"]["provisioningState"], "Provisioning");
    assert_eq!(
        p.body["properties"]["protectionStatus"]["status"],
        "ConfiguringProtection"
    );
    assert_eq!(
        p.body["properties"]["currentProtectionState"],
        "ConfiguringProtection"
    );
    assert_eq!(p.body["tags"]["team"], "a");
    assert_eq!(
        p.body["type"],
        "Microsoft.DataProtection/backupVaults/backupInstances"
    );
    let ao = p.header("azure-asyncoperation").unwrap();
    assert!(p.header("retry-after").is_some());
    assert_eq!(emu.poll(&ao).await["status"], "Succeeded");
    let g = emu.get(&emu.instance_path("bi-disk-1", NEW)).await;
    assert_eq!(g.body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        g.body["properties"]["currentProtectionState"],
        "ConfiguringProtection"
    );
    emu.admin(Method::POST, "/operations/finish", None).await;
    let g = emu.get(&emu.instance_path("bi-disk-1", NEW)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"],
        "ProtectionConfigured"
    );
    assert_eq!(
        g.body["properties"]["protectionStatus"]["status"],
        "ProtectionConfigured"
    );

    // And by the clock alone, with a short protection time.
    emu.knobs(json!({"validate_ms": 0, "protection_ms": 20}))
        .await;
    emu.protect("bi-disk-2", &disk_props("disk-2", "policy-disk"), NEW)
        .await;
    let mut state = String::new();
    for _ in 0..400 {
        let g = emu.get(&emu.instance_path("bi-disk-2", NEW)).await;
        state = g.body["properties"]["currentProtectionState"]
            .as_str()
            .unwrap()
            .to_string();
        if state == "ProtectionConfigured" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(state, "ProtectionConfigured");
}

/// 2021-01-01: operation status at subscription/location scope, running endTime without `Z`,
/// no signed parameters, tags and credentials not echoed, update answered 200.
#[tokio::test]
async fn api_2021_01_01_uses_location_scope_and_its_own_shapes() {
    let emu = start_fast().await;
    emu.knobs(json!({"validate_ms": 60000})).await;
    let props = disk_props("disk-2", "policy-disk");
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={OLD}", vault()),
            &json!({"backupInstance": props}),
        )
        .await;
    let ao = v.header("azure-asyncoperation").unwrap();
    assert!(ao.contains(&format!("/subscriptions/{SUB}/providers/Microsoft.DataProtection/locations/westeurope/operationStatus/")), "{ao}");
    assert!(!ao.contains("&t="));
    let running = emu.get(&ao).await;
    assert_eq!(running.body["endTime"], "0001-01-01T00:00:00");
    emu.admin(Method::POST, "/operations/finish", None).await;
    assert_eq!(emu.poll(&ao).await["status"], "Succeeded");
    emu.knobs(json!({"validate_ms": 0})).await;
    let p = emu
        .put(
            &emu.instance_path("bi-old", OLD),
            &json!({"properties": props, "tags": {"x": "y"}}),
        )
        .await;
    assert_eq!(p.status, 201);
    assert!(p.body.get("tags").is_none());
    emu.poll(&p.header("azure-asyncoperation").unwrap()).await;
    let u = emu
        .put(
            &emu.instance_path("bi-old", OLD),
            &json!({"properties": props}),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.text);
    assert_eq!(
        u.body["properties"]["currentProtectionState"],
        "UpdatingProtection"
    );
    assert!(u.header("azure-asyncoperation").is_some());
}

/// Updating an existing instance: 202 + Azure-AsyncOperation + Location; the Location answers
/// 202 without a body while running and 200 with the resource when done.
#[tokio::test]
async fn update_returns_202_with_location_that_ends_in_the_resource() {
    let emu = start_fast().await;
    let props = disk_props("disk-3", "policy-disk");
    emu.protect("bi-upd", &props, NEW).await;
    emu.knobs(json!({"put_ms": 60000})).await;
    let u = emu
        .put(
            &emu.instance_path("bi-upd", NEW),
            &json!({"properties": props}),
        )
        .await;
    assert_eq!(u.status, 202, "{}", u.text);
    assert!(u.text.is_empty());
    let loc = u.header("location").unwrap();
    assert!(
        loc.contains("/backupInstances/bi-upd/operationResults/"),
        "{loc}"
    );
    assert!(u.header("azure-asyncoperation").is_some() && u.header("retry-after").is_some());
    let r = emu.get(&loc).await;
    assert_eq!(r.status, 202);
    assert!(r.text.is_empty());
    let g = emu.get(&emu.instance_path("bi-upd", NEW)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"],
        "UpdatingProtection"
    );
    emu.admin(Method::POST, "/operations/finish", None).await;
    let r = emu.get(&loc).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "bi-upd");
    assert_eq!(r.body["properties"]["provisioningState"], "Succeeded");
}

/// DELETE: 202 + Azure-AsyncOperation + Location + Retry-After, then GET is 404 with
/// `UserErrorGenericResourceNotFound` (body and `x-ms-error-code`), and DELETE again is 204.
#[tokio::test]
async fn delete_returns_202_then_404_and_204() {
    let emu = start_fast().await;
    emu.protect("bi-del", &disk_props("disk-1", "policy-disk"), NEW)
        .await;
    let d = emu.delete(&emu.instance_path("bi-del", NEW)).await;
    assert_eq!(d.status, 202);
    assert!(d.header("location").is_some() && d.header("retry-after").is_some());
    assert_eq!(
        emu.poll(&d.header("azure-asyncoperation").unwrap()).await["status"],
        "Succeeded"
    );
    let g = emu.get(&emu.instance_path("bi-del", NEW)).await;
    assert_eq!(g.status, 404);
    assert_eq!(g.code(), "UserErrorGenericResourceNotFound");
    assert_eq!(
        g.header("x-ms-error-code").as_deref(),
        Some("UserErrorGenericResourceNotFound")
    );
    assert_eq!(
        g.body["error"]["additionalInfo"][0]["type"],
        "UserFacingError"
    );
    let again = emu.delete(&emu.instance_path("bi-del", NEW)).await;
    assert_eq!(again.status, 204);
    assert!(again.text.is_empty());
}

/// Unknown subscription, resource group and vault get ARM's own 404s.
#[tokio::test]
async fn unknown_scopes_get_arm_404s() {
    let emu = start_fast().await;
    let a = emu.get(&format!("/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances?api-version={NEW}")).await;
    assert_eq!((a.status, a.code()), (404, "SubscriptionNotFound"));
    let a = emu.get(&format!("/subscriptions/{SUB}/resourceGroups/nope/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances?api-version={NEW}")).await;
    assert_eq!((a.status, a.code()), (404, "ResourceGroupNotFound"));
    let a = emu.get(&format!("/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/nope/backupInstances/x?api-version={NEW}")).await;
    assert_eq!((a.status, a.code()), (404, "ResourceNotFound"));
    // Segment names are case-insensitive, as in ARM.
    let a = emu.get(&format!("/SUBSCRIPTIONS/{SUB}/resourcegroups/RG-BACKUP/PROVIDERS/microsoft.dataprotection/BACKUPVAULTS/VAULT-DEMO/backupinstances?api-version={NEW}")).await;
    assert_eq!(a.status, 200, "{}", a.text);
}

/// LIST is paged by the `page_size` knob and follows `nextLink` to the end.
#[tokio::test]
async fn list_is_paged_with_next_link() {
    let emu = start_fast().await;
    let mut ds = Vec::new();
    for i in 0..7 {
        ds.push(json!({"id": disk(&format!("page-disk-{i}")), "location": "westeurope"}));
    }
    assert_eq!(
        emu.admin(
            Method::POST,
            "/datasources",
            Some(&json!({"datasources": ds}))
        )
        .await
        .status,
        201
    );
    for i in 0..7 {
        emu.protect(
            &format!("bi-page-{i}"),
            &disk_props(&format!("page-disk-{i}"), "policy-disk"),
            NEW,
        )
        .await;
    }
    emu.knobs(json!({"page_size": 3})).await;
    let mut url = format!("{}/backupInstances?api-version={NEW}", vault());
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 10);
        let a = emu.get(&url).await;
        assert_eq!(a.status, 200);
        let value = a.body["value"].as_array().unwrap();
        assert!(value.len() <= 3);
        names.extend(
            value
                .iter()
                .map(|v| v["name"].as_str().unwrap().to_string()),
        );
        match a.body["nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "{names:?}");
}

/// A protected datasource cannot be validated or PUT again under another name: 400 naming the
/// existing instance.
#[tokio::test]
async fn already_protected_is_a_synchronous_400_naming_the_instance() {
    let emu = start_fast().await;
    let props = disk_props("disk-1", "policy-disk");
    emu.protect("bi-first", &props, NEW).await;
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": props}),
        )
        .await;
    assert_eq!(v.status, 400);
    assert_eq!(v.code(), "UserErrorDppDatasourceAlreadyHasBackupInstance");
    assert!(
        v.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bi-first")
    );
    assert_eq!(
        v.body["error"]["additionalInfo"][0]["info"]["code"],
        "UserErrorDppDatasourceAlreadyHasBackupInstance"
    );
    let p = emu
        .put(
            &emu.instance_path("bi-second", NEW),
            &json!({"properties": props}),
        )
        .await;
    assert_eq!(
        (p.status, p.code()),
        (400, "UserErrorDppDatasourceAlreadyHasBackupInstance")
    );
    // The same instance may be PUT again (an update).
    let u = emu
        .put(
            &emu.instance_path("bi-first", NEW),
            &json!({"properties": props}),
        )
        .await;
    assert_eq!(u.status, 202);
}

/// Missing Disk Backup Reader: the validation operation ends Failed (HTTP 200) with the
/// UserFacingError naming action and scope; after a grant, validation succeeds.
#[tokio::test]
async fn missing_permission_fails_validation_until_granted() {
    let emu = start_fast().await;
    let revoke =
        json!({"principal_id": PRINCIPAL, "scope": data_rg(), "role": "Disk Backup Reader"});
    let r = emu.admin(Method::DELETE, "/grants", Some(&revoke)).await;
    assert_eq!(r.body["removed"], 1);
    let props = disk_props("disk-2", "policy-disk");
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": props}),
        )
        .await;
    let st = emu.poll(&v.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(st["status"], "Failed");
    assert_eq!(
        st["error"]["code"],
        "UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent"
    );
    let info = &st["error"]["additionalInfo"][0]["info"];
    let detail = info["innerError"]["additionalInfo"]["DetailedNonLocalisedMessage"]
        .as_str()
        .unwrap();
    assert!(
        detail.contains("Microsoft.Compute/disks/beginGetAccess/action"),
        "{detail}"
    );
    assert!(detail.contains(&disk("disk-2")), "{detail}");
    assert!(!info["recommendedAction"].as_array().unwrap().is_empty());
    // The Location of a failed validation answers with the error.
    let loc = emu.get(&v.header("location").unwrap()).await;
    assert_eq!(
        (loc.status, loc.code()),
        (400, "UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent")
    );
    // PUT re-validates: the operation fails and nothing is left behind.
    let p = emu
        .put(
            &emu.instance_path("bi-noperm", NEW),
            &json!({"properties": props}),
        )
        .await;
    assert_eq!(p.status, 201);
    assert_eq!(
        emu.poll(&p.header("azure-asyncoperation").unwrap()).await["status"],
        "Failed"
    );
    assert_eq!(
        emu.get(&emu.instance_path("bi-noperm", NEW)).await.status,
        404
    );

    let grant =
        json!({"vault": "vault-demo", "scope": disk("disk-2"), "role": "Disk Backup Reader"});
    assert_eq!(
        emu.admin(Method::POST, "/grants", Some(&grant))
            .await
            .status,
        201
    );
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": props}),
        )
        .await;
    assert_eq!(
        emu.poll(&v.header("azure-asyncoperation").unwrap()).await["status"],
        "Succeeded"
    );
}

/// PostgreSQL single server: Key Vault access is needed (UserErrorMissingPermissionsOnSecretStore),
/// reader on the server too (UserErrorMissingRequiredPermissions); without credentials (always
/// so with 2021-01-01) the server access alone is checked.
#[tokio::test]
async fn postgres_needs_secret_store_access_and_server_reader() {
    let emu = start_fast().await;
    let props = pg_props("appdb");
    let validate = |api: &'static str, props: Value| {
        let emu = &emu;
        async move {
            let v = emu
                .post(
                    &format!("{}/validateForBackup?api-version={api}", vault()),
                    &json!({"backupInstance": props}),
                )
                .await;
            assert_eq!(v.status, 202, "{}", v.text);
            emu.poll(&v.header("azure-asyncoperation").unwrap()).await
        }
    };
    assert_eq!(validate(NEW, props.clone()).await["status"], "Succeeded");
    // 2021-01-01 drops datasourceAuthCredentials: as in the product documentation, the vault
    // identity's access to the server is enough.
    assert_eq!(validate(OLD, props.clone()).await["status"], "Succeeded");
    let mut no_secret = props.clone();
    no_secret
        .as_object_mut()
        .unwrap()
        .remove("datasourceAuthCredentials");
    assert_eq!(validate(NEW, no_secret).await["status"], "Succeeded");
    let kv = format!("{}/providers/Microsoft.KeyVault/vaults/kv-demo", data_rg());
    emu.admin(
        Method::DELETE,
        "/grants",
        Some(&json!({"principal_id": PRINCIPAL, "scope": kv})),
    )
    .await;
    let st = validate(NEW, props.clone()).await;
    assert_eq!(
        st["error"]["code"],
        "UserErrorMissingPermissionsOnSecretStore"
    );
    let detail = st["error"]["additionalInfo"][0]["info"]["innerError"]["additionalInfo"]["DetailedNonLocalisedMessage"].as_str().unwrap();
    assert!(
        detail.contains("Microsoft.KeyVault/vaults/secrets/getSecret/action")
            && detail.contains("kv-demo"),
        "{detail}"
    );
    emu.admin(
        Method::DELETE,
        "/grants",
        Some(&json!({"principal_id": PRINCIPAL, "scope": data_rg(), "role": "Reader"})),
    )
    .await;
    assert_eq!(
        validate(NEW, props).await["error"]["code"],
        "UserErrorMissingRequiredPermissions"
    );
}

/// A policy for another datasource type is refused synchronously; so is a datasource that does
/// not exist, a policy of another vault, and a flexible server works with its own policy.
#[tokio::test]
async fn policy_type_mismatch_and_unknown_things_are_refused() {
    let emu = start_fast().await;
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": disk_props("disk-1", "policy-postgres")}),
        )
        .await;
    assert_eq!(
        (v.status, v.code()),
        (400, "UserErrorPolicyDatasourceTypeMismatch")
    );
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": disk_props("no-such-disk", "policy-disk")}),
        )
        .await;
    assert_eq!(v.status, 404);
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": disk_props("disk-1", "no-such-policy")}),
        )
        .await;
    assert_eq!(
        (v.status, v.code()),
        (404, "UserErrorGenericResourceNotFound")
    );
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"nothing": 1}),
        )
        .await;
    assert_eq!(v.status, 400);
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": pgflex_props("pgflex-1")}),
        )
        .await;
    assert_eq!(
        emu.poll(&v.header("azure-asyncoperation").unwrap()).await["status"],
        "Succeeded"
    );
    let p = emu
        .put(
            &format!("{}/backupInstances/bad%20name?api-version={NEW}", vault()),
            &json!({"properties": disk_props("disk-1", "policy-disk")}),
        )
        .await;
    assert_eq!((p.status, p.code()), (400, "UserErrorInvalidResourceName"));
    // A datasource in another region than the vault.
    emu.admin(
        Method::POST,
        "/datasources",
        Some(&json!({"id": disk("far-disk"), "location": "eastus"})),
    )
    .await;
    let mut props = disk_props("far-disk", "policy-disk");
    props["dataSourceInfo"]["resourceLocation"] = json!("eastus");
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": props}),
        )
        .await;
    assert_eq!(
        (v.status, v.code()),
        (400, "UserErrorDatasourceAndBackupVaultLocationMismatch")
    );
}
