//! Serving the gRPC services on a local socket: listener (TCP in a port range, or a unix
//! socket), TLS acceptance with the pinned client certificate, TCP_NODELAY, the handshake
//! line, and shutdown.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::PluginIdentity;
use super::Provider;
use super::server::Server;
use super::tls::{self, TlsError};

/// Where to listen.
#[derive(Debug, Clone)]
pub enum Transport {
    /// 127.0.0.1, the first free port in `min..=max` (both 0: any free port).
    Tcp { min_port: u16, max_port: u16 },
    /// A fresh socket file inside `dir`, removed again on shutdown.
    Unix { dir: PathBuf },
}

/// How to serve: transport and (optionally) the client certificate to pin.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Who is serving: names the unix socket and the server certificate.
    pub identity: PluginIdentity,
    pub transport: Transport,
    /// Terraform's client certificate (PEM, from PLUGIN_CLIENT_CERT). `None` serves plain
    /// gRPC, as with TF_DISABLE_PLUGIN_TLS or in `--debug` mode.
    pub client_cert_pem: Option<String>,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            identity: PluginIdentity::default(),
            transport: Transport::Tcp {
                min_port: 0,
                max_port: 0,
            },
            client_cert_pem: None,
        }
    }
}

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("no free port in {min}..={max} on 127.0.0.1: {source}")]
    NoPort {
        min: u16,
        max: u16,
        source: io::Error,
    },
    #[error("could not listen on {path}: {source}")]
    Unix { path: String, source: io::Error },
    #[error("gRPC server failed: {0}")]
    Grpc(String),
}

/// The address Terraform must dial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// A running server.
pub struct Serving {
    pub address: Address,
    /// DER of the server certificate, when serving TLS.
    pub server_cert_der: Option<Vec<u8>>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), ServeError>>,
}

impl Serving {
    /// go-plugin's handshake line: `1|6|NETWORK|ADDRESS|grpc|CERT`, where CERT is the server
    /// certificate's DER in standard base64 without padding (Go's decoder rejects padding
    /// there), or empty without TLS.
    pub fn handshake_line(&self) -> String {
        let (network, addr) = match &self.address {
            Address::Tcp(a) => ("tcp", a.to_string()),
            Address::Unix(p) => ("unix", p.display().to_string()),
        };
        let cert = self
            .server_cert_der
            .as_ref()
            .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
            .unwrap_or_default();
        format!("1|6|{network}|{addr}|grpc|{cert}")
    }

    /// Cancelled when Terraform calls GRPCController/Shutdown; cancelling it stops the server.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until the server stops by itself (an error) or is shut down (GRPCController/Shutdown
    /// or [`Serving::shutdown`]); after a shutdown request in-flight calls get at most 2 s to
    /// finish, so the process always exits promptly.
    ///
    /// # Errors
    /// When the gRPC server failed.
    pub async fn wait(mut self) -> Result<(), ServeError> {
        let flatten = |r: Result<Result<(), ServeError>, tokio::task::JoinError>| match r {
            Ok(r) => r,
            Err(e) => Err(ServeError::Grpc(e.to_string())),
        };
        let result = tokio::select! {
            r = &mut self.task => flatten(r),
            () = self.shutdown.cancelled() => {
                match tokio::time::timeout(Duration::from_secs(2), &mut self.task).await {
                    Ok(r) => flatten(r),
                    Err(_) => {
                        tracing::debug!("in-flight calls did not finish within 2 s of shutdown");
                        self.task.abort();
                        Ok(())
                    }
                }
            }
        };
        if let Address::Unix(p) = &self.address {
            let _ = std::fs::remove_file(p);
        }
        result
    }

    /// Stops serving and waits (bounded) for the server to wind down.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.wait().await;
    }
}

/// Starts serving `provider`. Returns once the socket is listening, so the handshake line can
/// be printed; the server runs on the current tokio runtime until shut down.
///
/// # Errors
/// When no socket could be bound or TLS could not be set up.
pub async fn serve_with(
    provider: Arc<dyn Provider>,
    opts: ServeOptions,
) -> Result<Serving, ServeError> {
    let shutdown = CancellationToken::new();
    serve_inner(
        Arc::new(Server::new(provider)),
        opts,
        shutdown.clone(),
        shutdown,
    )
    .await
}

/// Like [`serve_with`], but GRPCController/Shutdown cancels `controller` instead of stopping
/// the server (used by `--debug`, where one provider outlives many Terraform commands).
pub(crate) async fn serve_inner(
    server: Arc<Server>,
    opts: ServeOptions,
    controller: CancellationToken,
    shutdown: CancellationToken,
) -> Result<Serving, ServeError> {
    let tls = match &opts.client_cert_pem {
        Some(pem) => Some(tls::server_tls(
            tls::parse_client_cert(pem)?,
            &opts.identity.binary(),
        )?),
        None => None,
    };
    let server_cert_der = tls.as_ref().map(|t| t.cert_der.to_vec());
    let acceptor = tls.map(|t| tokio_rustls::TlsAcceptor::from(t.config));

    let (listener, address) = bind(&opts.transport, opts.identity.name)?;
    let (tx, rx) = mpsc::channel::<io::Result<Io>>(16);
    tokio::spawn(accept_loop(listener, acceptor, tx, shutdown.clone()));

    let routes = super::proto::routes(server, controller);
    let signal = shutdown.clone().cancelled_owned();
    let unix_path = match &address {
        Address::Unix(p) => Some(p.clone()),
        Address::Tcp(_) => None,
    };
    let task = tokio::spawn(async move {
        let result = tonic::transport::Server::builder()
            .serve_with_incoming_shutdown(
                routes,
                tokio_stream::wrappers::ReceiverStream::new(rx),
                signal,
            )
            .await
            .map_err(|e| ServeError::Grpc(e.to_string()));
        if let Some(p) = unix_path {
            let _ = std::fs::remove_file(p);
        }
        result
    });
    Ok(Serving {
        address,
        server_cert_der,
        shutdown,
        task,
    })
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

fn bind(transport: &Transport, name: &str) -> Result<(Listener, Address), ServeError> {
    match transport {
        Transport::Tcp { min_port, max_port } => {
            let (min, max) = (*min_port, (*max_port).max(*min_port));
            let mut last = io::Error::new(io::ErrorKind::AddrNotAvailable, "empty port range");
            // Bounded: at most 65536 attempts; like go-plugin, the first free port wins.
            for port in min..=max {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                match std::net::TcpListener::bind(addr).and_then(|l| {
                    l.set_nonblocking(true)?;
                    let local = l.local_addr()?;
                    Ok((TcpListener::from_std(l)?, local))
                }) {
                    Ok((l, local)) => return Ok((Listener::Tcp(l), Address::Tcp(local))),
                    Err(e) => last = e,
                }
            }
            Err(ServeError::NoPort {
                min,
                max,
                source: last,
            })
        }
        Transport::Unix { dir } => {
            let path = dir.join(format!(
                "tfprov-{name}-{}.sock",
                uuid::Uuid::new_v4().simple()
            ));
            let l = UnixListener::bind(&path).map_err(|e| ServeError::Unix {
                path: path.display().to_string(),
                source: e,
            })?;
            Ok((Listener::Unix(l), Address::Unix(path)))
        }
    }
}

/// Accepts connections until shutdown. TLS handshakes run in their own tasks so a slow or
/// hostile client cannot hold up others; failures are logged and the socket dropped.
async fn accept_loop(
    listener: Listener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    tx: mpsc::Sender<io::Result<Io>>,
    shutdown: CancellationToken,
) {
    loop {
        let accepted: io::Result<Io> = tokio::select! {
            () = shutdown.cancelled() => return,
            r = accept_one(&listener) => r,
        };
        let io = match accepted {
            Ok(io) => io,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                // Avoid a hot loop when out of file descriptors.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        match &acceptor {
            None => {
                if tx.send(Ok(io)).await.is_err() {
                    return;
                }
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(io)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send(Ok(Io(Box::pin(tls)))).await;
                        }
                        Ok(Err(e)) => tracing::warn!("TLS handshake refused: {e}"),
                        Err(_) => tracing::warn!("TLS handshake timed out"),
                    }
                });
            }
        }
    }
}

async fn accept_one(listener: &Listener) -> io::Result<Io> {
    match listener {
        Listener::Tcp(l) => {
            let (sock, _) = l.accept().await?;
            // tonic's own tcp_nodelay does not apply under serve_with_incoming; without it each
            // call stalls ~40 ms on Nagle + delayed ACK.
            sock.set_nodelay(true)?;
            Ok(Io(Box::pin(sock)))
        }
        Listener::Unix(l) => {
            let (sock, _) = l.accept().await?;
            Ok(Io(Box::pin(sock)))
        }
    }
}

trait Stream: AsyncRead + AsyncWrite + Send {}
impl<T: AsyncRead + AsyncWrite + Send> Stream for T {}

/// Any accepted connection (TCP or unix, plain or TLS), as tonic's incoming stream wants one type.
struct Io(Pin<Box<dyn Stream>>);

impl AsyncRead for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        self.0.as_mut().poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.as_mut().poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

impl tonic::transport::server::Connected for Io {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}
