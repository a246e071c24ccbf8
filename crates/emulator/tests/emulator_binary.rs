//! The `azurebackup-emulator` binary: one JSON start-up line with working endpoints,
//! CA file and environment; clean exit on SIGTERM; refusal of non-loopback addresses.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_azurebackup-emulator");

/// Kills the child if a test fails half-way.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn spawn(args: &[&str]) -> (Guard, Value) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the binary");
    let stdout = child.stdout.take().expect("stdout");
    let guard = Guard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("start-up line within 60 s");
    let v: Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("start-up line is not JSON ({e}): {line}"));
    (guard, v)
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(s)) = child.try_wait() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The JSON line has endpoint, CA file, admin URL and the ARM_* environment; the environment
/// alone is enough to get a token and call ARM; SIGTERM stops it cleanly and removes the CA.
#[tokio::test]
async fn binary_prints_the_startup_line_and_serves_until_sigterm() {
    let (mut guard, line) = spawn(&["--listen", "127.0.0.1:0"]);
    let endpoint = line["endpoint"].as_str().expect("endpoint");
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{endpoint}");
    assert_eq!(line["admin"], format!("{endpoint}/admin"));
    let env = line["env"].as_object().expect("env");
    for k in [
        "ARM_RESOURCE_MANAGER_ENDPOINT",
        "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST",
        "SSL_CERT_FILE",
        "ARM_TENANT_ID",
        "ARM_CLIENT_ID",
        "ARM_CLIENT_SECRET",
        "ARM_SUBSCRIPTION_ID",
        "ARM_USE_CLI",
    ] {
        assert!(
            env.get(k)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty()),
            "{k} missing"
        );
    }
    assert_eq!(env["ARM_USE_CLI"], "false");
    assert_eq!(env["ARM_RESOURCE_MANAGER_ENDPOINT"], format!("{endpoint}/"));
    let ca_file = line["ca_file"].as_str().expect("ca_file");
    assert_eq!(env["SSL_CERT_FILE"], ca_file);
    let pem = std::fs::read(ca_file).expect("CA file exists");

    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let s = |k: &str| env[k].as_str().unwrap().to_string();
    let token: Value = client
        .post(format!(
            "{}{}/oauth2/v2.0/token",
            s("ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"),
            s("ARM_TENANT_ID")
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &s("ARM_CLIENT_ID")),
            ("client_secret", &s("ARM_CLIENT_SECRET")),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().expect("token");
    let list = client
        .get(format!(
            "{}subscriptions/{}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances?api-version=2025-07-01",
            s("ARM_RESOURCE_MANAGER_ENDPOINT"),
            s("ARM_SUBSCRIPTION_ID")
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);

    let pid = guard.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = wait_exit(&mut guard.0, Duration::from_secs(15)).expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(
        !std::path::Path::new(ca_file).exists(),
        "the temporary CA file is removed"
    );
}

/// `--http` serves plain HTTP and leaves the CA out of the line and the environment.
#[tokio::test]
async fn binary_http_mode_has_no_ca() {
    let (mut guard, line) = spawn(&["--listen", "127.0.0.1:0", "--http"]);
    let endpoint = line["endpoint"].as_str().unwrap();
    assert!(endpoint.starts_with("http://127.0.0.1:"));
    assert!(line["ca_file"].is_null());
    assert!(line["env"].get("SSL_CERT_FILE").is_none());
    let r = reqwest::get(format!(
        "{endpoint}/metadata/endpoints?api-version=2022-09-01"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let _ = Command::new("kill")
        .args(["-INT", &guard.0.id().to_string()])
        .status();
    let status = wait_exit(&mut guard.0, Duration::from_secs(15)).expect("exits after SIGINT");
    assert!(status.success());
}

/// Non-loopback addresses and unknown flags are refused with a non-zero exit.
#[test]
fn binary_refuses_non_loopback_and_bad_flags() {
    for args in [
        &["--listen", "0.0.0.0:0"][..],
        &["--no-such-flag"][..],
        &["--throttle-rate", "7"][..],
    ] {
        let out = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run");
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "nothing on stdout for {args:?}");
        assert!(!out.stderr.is_empty());
    }
    let out = Command::new(BIN)
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}
