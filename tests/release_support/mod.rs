//! Test support for the release tests: a static-file HTTPS server on 127.0.0.1 that serves a
//! folder (the provider network mirror `make release` writes) with a certificate from a test CA,
//! and records every request it answered; and a throwaway GPG home with one signing key.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// Serves `root` over HTTPS until dropped. Runs on its own thread and runtime, so the tests
/// that use it stay synchronous.
pub struct StaticServer {
    /// `https://127.0.0.1:PORT/`
    pub url: String,
    log: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StaticServer {
    pub fn start(root: &Path, tls: Arc<rustls::ServerConfig>) -> StaticServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let root = root.to_path_buf();
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        let seen = log.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let tcp = tokio::select! {
                        _ = &mut stopped => return,
                        accepted = listener.accept() => match accepted {
                            Ok((tcp, _)) => tcp,
                            Err(_) => continue,
                        },
                    };
                    let (acceptor, root, seen) = (acceptor.clone(), root.clone(), seen.clone());
                    tokio::spawn(async move {
                        let Ok(stream) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let svc = hyper::service::service_fn(move |req| {
                            let (root, seen) = (root.clone(), seen.clone());
                            async move { Ok::<_, std::io::Error>(answer(&root, &seen, req)) }
                        });
                        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        });
        StaticServer {
            url: format!("https://127.0.0.1:{port}/"),
            log,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `GET /path -> status` for every request answered, in order.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A file under `root` for a GET (HEAD: its headers) of plain path segments (no `..`, no empty
/// segment), else 404.
fn answer(root: &Path, seen: &Mutex<Vec<String>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let head = req.method() == hyper::Method::HEAD;
    let safe = (req.method() == hyper::Method::GET || head)
        && segments
            .iter()
            .all(|s| !s.is_empty() && *s != "." && *s != ".." && !s.contains('\\'));
    let file: Option<PathBuf> = safe.then(|| segments.iter().collect());
    let body = file.and_then(|f| std::fs::read(root.join(f)).ok());
    let status = if body.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    seen.lock()
        .unwrap()
        .push(format!("{} {path} -> {}", req.method(), status.as_u16()));
    let kind = if path.ends_with(".json") {
        "application/json"
    } else {
        "application/zip"
    };
    Response::builder()
        .status(status)
        .header("content-type", kind)
        .body(Full::new(Bytes::from(if head {
            Vec::new()
        } else {
            body.unwrap_or_default()
        })))
        .expect("response")
}

/// A GPG home in a temporary folder with one passphrase-less Ed25519 signing key. Its agent
/// (which gpg starts on demand) is stopped when this is dropped.
pub struct GpgHome {
    pub dir: tempfile::TempDir,
    pub fingerprint: String,
}

impl GpgHome {
    pub fn new() -> GpgHome {
        // Short path: gpg-agent's socket lives in it.
        let dir = tempfile::Builder::new()
            .prefix("gpg-")
            .tempdir_in("/tmp")
            .expect("gpg home");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        run_gpg(
            dir.path(),
            &[
                "--passphrase",
                "",
                "--quick-generate-key",
                "azurebackup release test <release-test@example.invalid>",
                "ed25519",
                "sign",
                "never",
            ],
        );
        let listing = run_gpg(dir.path(), &["--with-colons", "--list-secret-keys"]);
        let fingerprint = listing
            .lines()
            .find(|l| l.starts_with("fpr:"))
            .and_then(|l| l.split(':').nth(9))
            .unwrap_or_else(|| panic!("no fingerprint in {listing}"))
            .to_string();
        GpgHome { dir, fingerprint }
    }

    /// `gpg --batch ARGS` in this home; panics unless it succeeds; returns stdout.
    pub fn gpg(&self, args: &[&str]) -> String {
        run_gpg(self.dir.path(), args)
    }

    /// `gpg --batch ARGS` in this home, whatever its outcome.
    pub fn gpg_output(&self, args: &[&str]) -> std::process::Output {
        gpg_output(self.dir.path(), args)
    }
}

fn run_gpg(home: &Path, args: &[&str]) -> String {
    let out = gpg_output(home, args);
    assert!(
        out.status.success(),
        "gpg {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn gpg_output(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new("gpg")
        .arg("--batch")
        .args(args)
        .env("GNUPGHOME", home)
        .stdin(Stdio::null())
        .output()
        .expect("run gpg")
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
