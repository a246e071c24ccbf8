//! Black-box tests of what the emulator offers around the API: seeded faults, per-pattern
//! rules and knobs, the admin API, identity and metadata endpoints, the state file,
//! concurrency and the latency knob.

#[path = "emulator_support.rs"]
mod support;

use reqwest::Method;
use serde_json::{Value, json};
use support::*;

async fn fault_sequence(emu: &Emu, seed: u64, n: usize) -> Vec<String> {
    emu.knobs(json!({"seed": seed, "faults": {"throttle_rate": 0.25, "server_error_rate": 0.2, "drop_rate": 0.15}})).await;
    let mut seq = Vec::new();
    for _ in 0..n {
        let url = emu.url(&format!("{}/backupInstances?api-version={NEW}", vault()));
        // A fresh connection per request: a dropped one must not poison the next.
        let client = client_for(&emu.handle);
        match client.get(url).bearer_auth(&emu.token).send().await {
            Ok(r) => {
                if r.status() == 429 {
                    assert!(r.headers().contains_key("retry-after"));
                }
                seq.push(r.status().as_u16().to_string());
            }
            Err(_) => seq.push("dropped".into()),
        }
    }
    seq
}

/// The same seed gives the same sequence of 429s, 5xx and dropped connections.
#[tokio::test]
async fn faults_are_reproducible_from_the_seed() {
    let emu = start_fast().await;
    let a = fault_sequence(&emu, 42, 40).await;
    let b = fault_sequence(&emu, 42, 40).await;
    let c = fault_sequence(&emu, 7, 40).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    for kind in ["200", "429", "dropped"] {
        assert!(a.iter().any(|s| s == kind), "{kind} missing from {a:?}");
    }
    assert!(a.iter().any(|s| s == "500" || s == "503"), "{a:?}");
    let counters = emu.admin(Method::GET, "/counters", None).await;
    assert!(
        counters.body["operations"]["listBackupInstances"]["count"]
            .as_u64()
            .unwrap()
            >= 120
    );
}

/// Operation and protection rules: a matching PUT fails, a matching instance ends in
/// ProtectionError with details, a matching validation never finishes.
#[tokio::test]
async fn operation_and_protection_rules_apply_per_pattern() {
    let emu = start_fast().await;
    emu.knobs(json!({
        "protection": [{"pattern": "*disk-2*", "outcome": "ProtectionError"}],
        "operation_rules": [{"pattern": "bi-fail", "operation": "put", "outcome": "fail"}, {"pattern": "*disk-3*", "operation": "validate", "outcome": "never_finish"}]
    }))
    .await;
    emu.protect("bi-err", &disk_props("disk-2", "policy-disk"), NEW)
        .await;
    let g = emu.get(&emu.instance_path("bi-err", NEW)).await;
    assert_eq!(
        g.body["properties"]["currentProtectionState"],
        "ProtectionError"
    );
    assert_eq!(
        g.body["properties"]["protectionStatus"]["status"],
        "ConfiguringProtectionFailed"
    );
    assert!(g.body["properties"]["protectionErrorDetails"]["code"].is_string());
    let p = emu
        .put(
            &emu.instance_path("bi-fail", NEW),
            &json!({"properties": disk_props("disk-1", "policy-disk")}),
        )
        .await;
    let st = emu.poll(&p.header("azure-asyncoperation").unwrap()).await;
    assert_eq!(st["status"], "Failed");
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": disk_props("disk-3", "policy-disk")}),
        )
        .await;
    let ao = v.header("azure-asyncoperation").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    assert_eq!(emu.get(&ao).await.body["status"], "Inprogress");
}

/// Admin: out-of-band delete makes GET 404; flipping the protection state shows in GET; the
/// request log records api-versions; the world can be read and replaced.
#[tokio::test]
async fn admin_api_changes_the_world_and_instances() {
    let emu = start_fast().await;
    emu.protect("bi-admin", &disk_props("disk-1", "policy-disk"), NEW)
        .await;
    let id = format!("{}/backupInstances/bi-admin", vault());
    let list = emu.admin(Method::GET, "/instances", None).await;
    assert_eq!(list.body["instances"][0]["id"], id.as_str());
    let flip = emu
        .admin(
            Method::POST,
            "/instances/protection-state",
            Some(&json!({"id": id, "state": "ProtectionStopped"})),
        )
        .await;
    assert_eq!(flip.status, 200);
    assert_eq!(
        emu.get(&emu.instance_path("bi-admin", NEW)).await.body["properties"]["currentProtectionState"],
        "ProtectionStopped"
    );
    let enc: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    assert_eq!(
        emu.admin(Method::DELETE, &format!("/instances/{enc}"), None)
            .await
            .status,
        204
    );
    assert_eq!(
        emu.get(&emu.instance_path("bi-admin", NEW)).await.status,
        404
    );
    let log = emu.admin(Method::GET, "/requests", None).await;
    let entries = log.body["requests"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["operation"] == "putBackupInstance"
        && e["api_version"] == NEW
        && e["status"] == 201));
    assert_eq!(
        emu.admin(Method::DELETE, "/requests", None).await.status,
        204
    );
    assert_eq!(
        emu.admin(Method::GET, "/requests", None).await.body["requests"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let mut world = emu.admin(Method::GET, "/world", None).await.body;
    world["vaults"][0]["location"] = json!("eastus");
    assert_eq!(
        emu.admin(Method::PUT, "/world", Some(&world)).await.status,
        200
    );
    let v = emu
        .post(
            &format!("{}/validateForBackup?api-version={NEW}", vault()),
            &json!({"backupInstance": disk_props("disk-1", "policy-disk")}),
        )
        .await;
    assert_eq!(
        v.code(),
        "UserErrorDatasourceAndBackupVaultLocationMismatch"
    );
    world["grants"] = json!([{"principal_id": "x", "scope": "/subscriptions/x"}]);
    assert_eq!(
        emu.admin(Method::PUT, "/world", Some(&world)).await.status,
        400,
        "a grant needs a role or action"
    );
}

/// Managed identity (App Service style) and the cloud metadata document.
#[tokio::test]
async fn managed_identity_and_metadata_endpoints() {
    let emu = start_fast().await;
    let ep = &emu.handle.endpoint;
    let r = emu
        .client
        .get(format!(
            "{ep}/msi/token?resource=https://management.azure.com/&api-version=2019-08-01"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = emu
        .client
        .get(format!(
            "{ep}/msi/token?resource=https://management.azure.com/&api-version=2019-08-01"
        ))
        .header("X-IDENTITY-HEADER", "emulator-identity-header")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let token = v["access_token"].as_str().unwrap();
    let ok = emu
        .client
        .get(emu.url(&format!("{}/backupInstances?api-version={NEW}", vault())))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let m: Value = emu
        .client
        .get(format!("{ep}/metadata/endpoints?api-version=2022-09-01"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m[0]["resourceManager"], format!("{ep}/"));
    assert_eq!(m[0]["authentication"]["loginEndpoint"], format!("{ep}/"));
    let oidc: Value = emu
        .client
        .get(format!(
            "{ep}/{TENANT}/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        oidc["token_endpoint"],
        format!("{ep}/{TENANT}/oauth2/v2.0/token")
    );
}

/// World, instances, tokens and an in-flight operation survive a restart from `--state`.
#[tokio::test]
async fn state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let opts = azurebackup_emulator::EmulatorOptions {
        state_file: Some(state.clone()),
        knobs: Some(fast_knobs()),
        ..Default::default()
    };
    let emu = start_with(opts).await;
    emu.protect("bi-keep", &disk_props("disk-1", "policy-disk"), NEW)
        .await;
    emu.admin(
        Method::POST,
        "/datasources",
        Some(&json!({"id": disk("added-disk"), "location": "westeurope"})),
    )
    .await;
    emu.knobs(json!({"delete_ms": 60000})).await;
    let d = emu.delete(&emu.instance_path("bi-keep", NEW)).await;
    let ao = d.header("azure-asyncoperation").unwrap();
    let token = emu.token.clone();
    let ca = emu.handle.ca_pem.clone();
    emu.handle.shutdown().await;
    assert!(state.exists());
    assert!(dir.path().join("emulator-ca.pem").exists());

    let handle = azurebackup_emulator::start(azurebackup_emulator::EmulatorOptions {
        state_file: Some(state.clone()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        handle.ca_pem, ca,
        "the CA is kept so clients keep trusting the emulator"
    );
    let client = client_for(&handle);
    let emu2 = Emu {
        client,
        token,
        handle,
    };
    let old_port = url::Url::parse(&ao).unwrap().port().unwrap();
    let ao = ao.replace(
        &format!(":{old_port}/"),
        &format!(":{}/", emu2.handle.addr.port()),
    );
    assert_eq!(
        emu2.get(&emu2.instance_path("bi-keep", NEW)).await.status,
        200,
        "instance and token survived"
    );
    assert_eq!(emu2.get(&ao).await.body["status"], "Inprogress");
    assert_eq!(
        emu2.admin(Method::POST, "/operations/finish", None)
            .await
            .body["finished"],
        1
    );
    assert_eq!(emu2.poll(&ao).await["status"], "Succeeded");
    assert_eq!(
        emu2.get(&emu2.instance_path("bi-keep", NEW)).await.status,
        404
    );
    let world = emu2.admin(Method::GET, "/world", None).await.body;
    assert!(world.to_string().contains("added-disk"));
    assert_eq!(
        emu2.admin(Method::GET, "/knobs", None).await.body["delete_ms"],
        60000
    );
    emu2.handle.shutdown().await;
}

/// Concurrent requests are safe: many parallel creates of distinct instances all succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_are_safe() {
    let emu = std::sync::Arc::new(start_fast().await);
    let ds: Vec<Value> = (0..20)
        .map(|i| json!({"id": disk(&format!("c-disk-{i}")), "location": "westeurope"}))
        .collect();
    emu.admin(Method::POST, "/datasources", Some(&json!(ds)))
        .await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let emu = emu.clone();
        tasks.push(tokio::spawn(async move {
            emu.protect(
                &format!("c-{i}"),
                &disk_props(&format!("c-disk-{i}"), "policy-disk"),
                NEW,
            )
            .await
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap()["status"], "Succeeded");
    }
    assert_eq!(
        emu.admin(Method::GET, "/instances", None).await.body["instances"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
}

/// The `latency_ms` knob holds every ARM request at least that long (the request log's `ms` says
/// so too), while the admin API answers at once; 0 is the default. Only lower bounds are checked.
#[tokio::test]
async fn latency_knob_delays_arm_requests() {
    let emu = start_fast().await;
    assert_eq!(azurebackup_emulator::Knobs::default().latency_ms, 0);
    assert_eq!(azurebackup_emulator::Knobs::default().page_size, 200);
    emu.knobs(json!({"latency_ms": 150})).await;
    let url = format!("{}/backupInstances?api-version={NEW}", vault());
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(emu.get(&url), emu.get(&url));
    assert_eq!((a.status, b.status), (200, 200));
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    let log = emu.admin(Method::GET, "/requests", None).await;
    let listed: Vec<f64> = log.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["operation"] == "listBackupInstances")
        .map(|r| r["ms"].as_f64().unwrap())
        .collect();
    assert_eq!(listed.len(), 2, "{}", log.text);
    assert!(listed.iter().all(|ms| *ms >= 150.0), "{listed:?}");
    assert!(
        emu.admin(Method::PUT, "/knobs", Some(&json!({"latency_ms": 600_000})))
            .await
            .status
            >= 400
    );
}
