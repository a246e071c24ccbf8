//! The built plugin binary, started with the environment Terraform would give it: refusal
//! without the magic cookie or protocol 6, and the real handshake over mTLS followed by
//! GRPCController/Shutdown.

mod tfplugin_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tfplugin_support::{ControllerClient, ProviderClient, pb, plugin};

const COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);

fn plugin_cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_terraform-provider-azurebackup"));
    for var in [
        "TF_PLUGIN_MAGIC_COOKIE",
        "PLUGIN_PROTOCOL_VERSIONS",
        "PLUGIN_CLIENT_CERT",
        "TF_DISABLE_PLUGIN_TLS",
        "TF_PLUGIN_UNIX_SOCKET_DIR",
        "PLUGIN_MIN_PORT",
        "PLUGIN_MAX_PORT",
        "TF_LOG",
        "TF_LOG_PROVIDER",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Run by hand, the binary explains itself on stderr, prints nothing on stdout and fails.
#[test]
fn refuses_to_run_without_magic_cookie() {
    let out = plugin_cmd().output().unwrap();
    assert!(!out.status.success());
    assert!(
        out.stdout.is_empty(),
        "stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("plugin for Terraform") && err.contains("not meant"),
        "{err}"
    );
    assert!(
        err.contains("terraform-provider-azurebackup")
            && err.contains("\"azurebackup/azurebackup\""),
        "the message names this provider: {err}"
    );
}

/// A client that cannot speak protocol 6 is told so, and nothing is served.
#[test]
fn refuses_clients_without_protocol_6() {
    let out = plugin_cmd()
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .env("TF_DISABLE_PLUGIN_TLS", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

/// With Terraform's environment the binary prints exactly one handshake line, serves a
/// client holding Terraform's certificate, and exits promptly on GRPCController/Shutdown
/// without writing anything else to stdout.
#[tokio::test]
async fn handshake_serve_and_shutdown() {
    let terraform = tfplugin_support::terraform_client_cert();
    let mut child = plugin_cmd()
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", &terraform.pem)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).map(|_| (line, stdout))
    });
    let (line, mut stdout) = tokio::time::timeout(Duration::from_secs(10), line)
        .await
        .expect("handshake within 10 s")
        .unwrap()
        .unwrap();
    let line = line.strip_suffix('\n').expect("newline-terminated line");
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(parts.len(), 6, "{line}");
    assert_eq!(&parts[..3], &["1", "6", "tcp"]);
    assert_eq!(parts[4], "grpc");
    let addr: std::net::SocketAddr = parts[3].parse().unwrap();
    assert!(addr.ip().is_loopback());
    assert!((10000..=25000).contains(&addr.port()));
    assert!(
        !parts[5].contains('='),
        "certificate must be unpadded base64"
    );
    use base64::Engine as _;
    let cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(parts[5])
        .unwrap();

    let ch = tfplugin_support::tls_channel(addr, cert, Some(&terraform))
        .await
        .unwrap();
    let schema = ProviderClient::new(ch.clone())
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(schema.server_capabilities.unwrap().plan_destroy);

    let t = Instant::now();
    ControllerClient::new(ch)
        .shutdown(plugin::Empty {})
        .await
        .unwrap();
    let status = tokio::task::spawn_blocking(move || {
        // Bounded wait: 50 polls of 100 ms.
        for _ in 0..50 {
            if let Some(s) = child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        None
    })
    .await
    .unwrap();
    let status = status.expect("plugin exits after Shutdown");
    assert!(status.success());
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.is_empty(), "stdout after the handshake: {rest:?}");
}
