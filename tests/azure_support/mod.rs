//! Test support for the Azure side: a scripted HTTPS server on 127.0.0.1 with its own test CA,
//! a virtual clock, and a client wired to both.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use terraform_provider_azurebackup::azure::auth::StaticTokenProvider;
use terraform_provider_azurebackup::azure::client::{DataProtectionClient, OpOptions};
use terraform_provider_azurebackup::azure::config::AzureConfig;
use terraform_provider_azurebackup::azure::http::Clock;
use terraform_provider_azurebackup::azure::http::retry::{NoJitter, RetryConfig};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "test-access-token";
pub const SUB: &str = "11111111-1111-1111-1111-111111111111";

/// A test CA and a server certificate for 127.0.0.1/localhost signed by it.
pub struct TestPki {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

impl TestPki {
    pub fn new() -> TestPki {
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "azure tests CA");
        let ca_key = rcgen::KeyPair::generate().expect("ca key");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca cert");
        let leaf_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("leaf params");
        let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
        let leaf = leaf_params.signed_by(&leaf_key, &ca).expect("leaf cert");
        let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("tls versions")
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key_der)
            .expect("server cert");
        cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        TestPki {
            ca_pem: ca.pem(),
            server_config: Arc::new(cfg),
        }
    }

    /// A reqwest client trusting only this CA (plus the platform roots), no process env.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).expect("ca pem"),
            )
            .build()
            .expect("reqwest client")
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query exactly as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Hook = Box<dyn Fn() + Send + Sync>;

/// One scripted exchange: the request expected next and the answer to give.
pub struct Step {
    pub method: String,
    /// Expected path and query. The path compares case-insensitively (ARM is case-insensitive
    /// there), the query exactly (signed status URLs must arrive byte for byte).
    pub target: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub on_hit: Option<Hook>,
    /// Close the connection instead of answering (a dropped connection mid-request).
    pub drop_connection: bool,
}

impl Step {
    pub fn new(method: &str, target: impl Into<String>, status: u16) -> Step {
        Step {
            method: method.into(),
            target: target.into(),
            status,
            headers: Vec::new(),
            body: Vec::new(),
            on_hit: None,
            drop_connection: false,
        }
    }
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Step {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    pub fn json(mut self, v: serde_json::Value) -> Step {
        self.body = v.to_string().into_bytes();
        self.headers
            .push(("content-type".into(), "application/json".into()));
        self
    }
    pub fn raw_body(mut self, b: impl Into<Vec<u8>>) -> Step {
        self.body = b.into();
        self
    }
    /// The request is read, then the connection is closed with no answer.
    pub fn drop_connection(mut self) -> Step {
        self.drop_connection = true;
        self
    }
    pub fn on_hit(mut self, f: impl Fn() + Send + Sync + 'static) -> Step {
        self.on_hit = Some(Box::new(f));
        self
    }
}

fn target_matches(expected: &str, got: &str) -> bool {
    let (ep, eq) = expected.split_once('?').unwrap_or((expected, ""));
    let (gp, gq) = got.split_once('?').unwrap_or((got, ""));
    ep.eq_ignore_ascii_case(gp) && eq == gq
}

#[derive(Default)]
struct State {
    steps: VecDeque<Step>,
    seen: Vec<Seen>,
    problems: Vec<String>,
}

/// The scripted server. Dropping it stops the accept loop.
pub struct ScriptServer {
    pub base: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptServer {
    pub async fn start(pki: &TestPki) -> ScriptServer {
        Self::start_with(Some(tokio_rustls::TlsAcceptor::from(
            pki.server_config.clone(),
        )))
        .await
    }

    /// Plain HTTP on 127.0.0.1 (emulators may serve that on loopback).
    pub async fn start_plain() -> ScriptServer {
        Self::start_with(None).await
    }

    async fn start_with(tls: Option<tokio_rustls::TlsAcceptor>) -> ScriptServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let task = tokio::spawn(async move {
            // Ends when the server is dropped (task aborted).
            while let Ok((tcp, _)) = listener.accept().await {
                let tls = tls.clone();
                let st = st.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| handle(st.clone(), req));
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    match tls {
                        Some(acceptor) => {
                            let Ok(stream) = acceptor.accept(tcp).await else {
                                return;
                            };
                            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                        }
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(tcp), svc).await;
                        }
                    }
                });
            }
        });
        ScriptServer {
            base: format!("{scheme}://127.0.0.1:{}", addr.port()),
            state,
            task,
        }
    }

    pub fn push(&self, step: Step) {
        self.state.lock().unwrap().steps.push_back(step);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Fails the test unless every step was used and nothing unexpected arrived.
    #[track_caller]
    pub fn assert_done(&self) {
        let st = self.state.lock().unwrap();
        assert!(
            st.problems.is_empty(),
            "unexpected requests: {:#?}",
            st.problems
        );
        let left: Vec<String> = st
            .steps
            .iter()
            .map(|s| format!("{} {}", s.method, s.target))
            .collect();
        assert!(left.is_empty(), "scripted requests never made: {left:#?}");
    }

    /// `(method, target)` of every request, in order.
    pub fn sequence(&self) -> Vec<(String, String)> {
        self.seen()
            .into_iter()
            .map(|s| (s.method, s.target))
            .collect()
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let mut st = state.lock().unwrap();
    st.seen.push(Seen {
        method: method.clone(),
        target: target.clone(),
        headers,
        body,
    });
    let step = match st.steps.front() {
        Some(s) if s.method == method && target_matches(&s.target, &target) => st.steps.pop_front(),
        Some(s) => {
            let msg = format!("got {method} {target}, expected {} {}", s.method, s.target);
            st.problems.push(msg.clone());
            return Ok(teapot(msg));
        }
        None => {
            let msg = format!("got {method} {target} after the script ended");
            st.problems.push(msg.clone());
            return Ok(teapot(msg));
        }
    };
    drop(st);
    let Some(step) = step else {
        return Ok(teapot("no step".into()));
    };
    if let Some(h) = &step.on_hit {
        h();
    }
    if step.drop_connection {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "scripted drop",
        ));
    }
    let mut resp = Response::builder().status(step.status);
    for (k, v) in &step.headers {
        resp = resp.header(k.as_str(), v.as_str());
    }
    Ok(resp
        .body(Full::new(Bytes::from(step.body)))
        .unwrap_or_else(|_| teapot("bad scripted response".into())))
}

/// 418 is never retried by the client, so a script error surfaces at once.
fn teapot(msg: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(msg)));
    *r.status_mut() = hyper::StatusCode::IM_A_TEAPOT;
    r
}

/// A clock whose sleeps return at once and advance `now`; records every sleep.
#[derive(Debug)]
pub struct VirtualClock {
    base: Instant,
    offset: Mutex<Duration>,
    pub sleeps: Mutex<Vec<Duration>>,
}

impl VirtualClock {
    pub fn new() -> Arc<VirtualClock> {
        Arc::new(VirtualClock {
            base: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
            sleeps: Mutex::new(Vec::new()),
        })
    }
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
    pub fn elapsed(&self) -> Duration {
        *self.offset.lock().unwrap()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        self.base + *self.offset.lock().unwrap()
    }
    fn sleep(
        &self,
        d: Duration,
    ) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>> {
        self.sleeps.lock().unwrap().push(d);
        *self.offset.lock().unwrap() += d;
        Box::pin(tokio::task::yield_now())
    }
}

/// A server, a client pointed at it with a static token, and the virtual clock.
pub struct Harness {
    pub pki: TestPki,
    pub server: ScriptServer,
    pub clock: Arc<VirtualClock>,
    pub client: DataProtectionClient,
}

impl Harness {
    pub async fn new(api_version: &str) -> Harness {
        Self::with_config(api_version, |_| {}).await
    }

    /// Like [`Harness::new`], with a chance to adjust the configuration.
    pub async fn with_config(api_version: &str, adjust: impl FnOnce(&mut AzureConfig)) -> Harness {
        let pki = TestPki::new();
        let server = ScriptServer::start(&pki).await;
        let clock = VirtualClock::new();
        let mut config = AzureConfig {
            subscription_id: SUB.into(),
            resource_manager_endpoint: Some(format!("{}/", server.base)),
            active_directory_authority_host: Some(format!("{}/", server.base)),
            api_version: api_version.into(),
            use_cli: false,
            ..AzureConfig::default()
        };
        adjust(&mut config);
        let client = DataProtectionClient::builder(config)
            .http_client(pki.client())
            .credential(Arc::new(StaticTokenProvider(TOKEN.into())))
            .clock(clock.clone())
            .jitter(Arc::new(NoJitter))
            .retry(RetryConfig::default())
            .build()
            .await
            .expect("client");
        Harness {
            pki,
            server,
            clock,
            client,
        }
    }

    /// A deadline far in virtual time, and a fresh cancellation token.
    pub fn op(&self, timeout: Duration) -> OpOptions {
        OpOptions {
            deadline: self.clock.now() + timeout,
            cancel: CancellationToken::new(),
        }
    }
}

/// The repository's copies of Microsoft's published examples and recordings
/// (`tests/fixtures/azure`, sources and licences in its README), or a clear failure.
pub fn azure_fixtures() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join("azure");
    assert!(
        p.is_dir(),
        "the reference data directory {} is missing",
        p.display()
    );
    p
}
