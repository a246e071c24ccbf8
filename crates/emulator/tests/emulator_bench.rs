//! Throughput and memory of the emulator binary on loopback (HTTPS). Ignored by default; run:
//!
//! ```text
//! cargo test --release -p azurebackup-emulator --test emulator_bench -- --ignored --nocapture
//! ```
//!
//! Prints GET requests/s, full validate→poll→PUT→poll cycles/s (and their requests/s), and the
//! emulator's resident memory after 10,000 backup instances.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_azurebackup-emulator");
const INSTANCES: usize = 10_000;
const CONCURRENCY: usize = 16;

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn disk_body(sub: &str, disk: &str) -> Value {
    let rg = format!("/subscriptions/{sub}/resourceGroups");
    json!({"objectType": "BackupInstance", "friendlyName": disk,
        "dataSourceInfo": {"objectType": "Datasource", "resourceID": format!("{rg}/rg-data/providers/Microsoft.Compute/disks/{disk}"),
            "resourceName": disk, "resourceType": "Microsoft.Compute/disks", "resourceUri": "", "resourceLocation": "westeurope",
            "datasourceType": "Microsoft.Compute/disks"},
        "policyInfo": {"policyId": format!("{rg}/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-disk"),
            "policyParameters": {"dataStoreParametersList": [{"objectType": "AzureOperationalStoreParameters", "dataStoreType": "OperationalStore",
                "resourceGroupId": format!("{rg}/rg-snapshots")}]}}})
}

async fn poll(client: &reqwest::Client, token: &str, url: &str) -> u64 {
    let mut n = 0;
    for _ in 0..1000 {
        n += 1;
        let v: Value = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["status"] != "Inprogress" {
            assert_eq!(v["status"], "Succeeded", "{v}");
            return n;
        }
    }
    panic!("operation did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run explicitly with --ignored --nocapture (preferably --release)"]
async fn emulator_throughput_and_memory() {
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--validate-ms",
            "0",
            "--put-ms",
            "0",
            "--protection-ms",
            "0",
            "--delete-ms",
            "0",
            "--retry-after",
            "0",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let start: Value = serde_json::from_str(&line).unwrap();
    let pid = child.id();
    let endpoint = start["endpoint"].as_str().unwrap().to_string();
    let env = &start["env"];
    let sub = env["ARM_SUBSCRIPTION_ID"].as_str().unwrap().to_string();
    let pem = std::fs::read(start["ca_file"].as_str().unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let token: Value = client
        .post(format!(
            "{endpoint}/{}/oauth2/v2.0/token",
            env["ARM_TENANT_ID"].as_str().unwrap()
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", env["ARM_CLIENT_ID"].as_str().unwrap()),
            ("client_secret", env["ARM_CLIENT_SECRET"].as_str().unwrap()),
            ("scope", "x/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = Arc::new(token["access_token"].as_str().unwrap().to_string());
    let (rss0, _) = rss_kib(pid);

    let disks: Vec<Value> = (0..INSTANCES)
        .map(|i| json!({"id": format!("/subscriptions/{sub}/resourceGroups/rg-data/providers/Microsoft.Compute/disks/bench-{i}"), "location": "westeurope"}))
        .collect();
    let r = client
        .post(format!("{endpoint}/admin/datasources"))
        .json(&disks)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (rss_world, _) = rss_kib(pid);
    let vault = format!(
        "{endpoint}/subscriptions/{sub}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
    );

    // Full cycles: validate → poll → PUT → poll, CONCURRENCY at a time.
    let next = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, token, next, requests, vault, sub) = (
            client.clone(),
            token.clone(),
            next.clone(),
            requests.clone(),
            vault.clone(),
            sub.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= INSTANCES {
                    break;
                }
                let body = disk_body(&sub, &format!("bench-{i}"));
                let v = client
                    .post(format!("{vault}/validateForBackup?api-version=2025-07-01"))
                    .bearer_auth(&*token)
                    .json(&json!({"backupInstance": body}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(v.status(), 202);
                let ao = v.headers()["azure-asyncoperation"]
                    .to_str()
                    .unwrap()
                    .to_string();
                let mut n = 1 + poll(&client, &token, &ao).await;
                let p = client
                    .put(format!(
                        "{vault}/backupInstances/bench-{i}?api-version=2025-07-01"
                    ))
                    .bearer_auth(&*token)
                    .json(&json!({"properties": body}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(p.status(), 201);
                let ao = p.headers()["azure-asyncoperation"]
                    .to_str()
                    .unwrap()
                    .to_string();
                n += 1 + poll(&client, &token, &ao).await;
                requests.fetch_add(n, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let cycle_secs = t0.elapsed().as_secs_f64();
    let cycle_requests = requests.load(Ordering::Relaxed);
    let (rss, hwm) = rss_kib(pid);

    // GETs of one instance, CONCURRENCY at a time, for a fixed time.
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(5);
    let t1 = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..CONCURRENCY {
        let (client, token, count, vault) =
            (client.clone(), token.clone(), count.clone(), vault.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let r = client
                    .get(format!(
                        "{vault}/backupInstances/bench-{w}?api-version=2025-07-01"
                    ))
                    .bearer_auth(&*token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await.unwrap();
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let get_rate = count.load(Ordering::Relaxed) as f64 / t1.elapsed().as_secs_f64();

    println!(
        "emulator bench (HTTPS, loopback, {CONCURRENCY} concurrent clients, 2-core machine shared with the client):"
    );
    println!("  GET backup instance:            {get_rate:.0} requests/s");
    println!(
        "  validate→poll→PUT→poll cycles:  {:.0} cycles/s ({:.0} requests/s, {INSTANCES} cycles in {cycle_secs:.1} s)",
        INSTANCES as f64 / cycle_secs,
        cycle_requests as f64 / cycle_secs
    );
    println!(
        "  RSS: {rss0} KiB at start, {rss_world} KiB with {INSTANCES} more datasources, {rss} KiB with {INSTANCES} instances (peak {hwm} KiB)"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = child.wait();
}
