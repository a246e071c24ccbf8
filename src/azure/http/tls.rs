//! The transport for token requests: recognises a TLS certificate this client does not trust
//! anywhere in an error's chain (and a managed identity endpoint that does not answer), so it
//! is reported as exactly that (which host, why, how to trust it) at once instead of being
//! retried and then blamed on credentials.

use std::error::Error;
use std::sync::Arc;

use async_trait::async_trait;

use crate::azure::error::AzureError;

/// The certificate problem (`UnknownIssuer`, `Expired`, ...) if `err` or any error it wraps is
/// a rejected peer certificate. io errors hide their payload from `source()`, so they are
/// opened explicitly.
pub fn certificate_problem(err: &(dyn Error + 'static)) -> Option<String> {
    let mut cur = Some(err);
    // Error chains are short; bound the walk anyway.
    for _ in 0..16 {
        let e = cur?;
        if let Some(p) = rustls_problem(e) {
            return Some(p);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(p) = certificate_problem(inner)
        {
            return Some(p);
        }
        cur = e.source();
    }
    None
}

fn rustls_problem(e: &(dyn Error + 'static)) -> Option<String> {
    match e.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(c) => Some(match c {
            rustls::CertificateError::UnknownIssuer => {
                "issued by a certificate authority that is not trusted: UnknownIssuer".into()
            }
            rustls::CertificateError::BadSignature => {
                "not signed by the trusted certificate authority it names: BadSignature".into()
            }
            rustls::CertificateError::Expired | rustls::CertificateError::ExpiredContext { .. } => {
                "expired".into()
            }
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. } => {
                "not valid for this host name".into()
            }
            other => format!("{other:?}"),
        }),
        rustls::Error::NoCertificatesPresented => Some("no certificate presented".into()),
        _ => None,
    }
}

/// The error for an untrusted certificate of `host`.
pub fn untrusted(operation: &str, host: &str, problem: &str) -> AzureError {
    AzureError::untrusted_certificate(
        operation,
        format!("the TLS certificate of {host} is not trusted ({problem})"),
    )
}

/// The host of `url` for messages (never the path or query: they may carry signatures).
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_string();
            Some(match u.port() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            })
        })
        .unwrap_or_else(|| "the server".into())
}

/// `azure_identity`'s transport: our reqwest client, except that an untrusted certificate is an
/// error its retry policy does not retry (it retries every I/O error, which turned one
/// certificate problem into a slow "retry policy expired" credentials failure).
#[derive(Debug)]
pub struct CertificateAwareClient(pub reqwest::Client);

#[async_trait]
impl azure_core::http::HttpClient for CertificateAwareClient {
    async fn execute_request(
        &self,
        request: &azure_core::http::Request,
    ) -> azure_core::Result<azure_core::http::AsyncRawResponse> {
        let url = request.url();
        // The managed identity endpoint (IMDS, link-local) answers in milliseconds on Azure and
        // never anywhere else: bound the wait and do not retry, so a machine without managed
        // identity fails fast with the endpoint it tried instead of waiting a minute.
        let link_local = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_link_local());
        let sent = azure_core::http::HttpClient::execute_request(&self.0, request);
        let result = if link_local {
            match tokio::time::timeout(IMDS_WAIT, sent).await {
                Ok(r) => r,
                Err(_) => Err(unreachable_endpoint(url, "no answer", IMDS_WAIT)),
            }
        } else {
            sent.await
        };
        match result {
            Err(e) if link_local && certificate_problem(&e).is_none() => {
                Err(unreachable_endpoint(url, "could not connect", IMDS_WAIT))
            }
            Err(e) => match certificate_problem(&e) {
                Some(problem) => Err(azure_core::Error::with_error(
                    azure_core::error::ErrorKind::Other,
                    UntrustedCertificate {
                        host: host_of(request.url().as_str()),
                        problem,
                    },
                    "untrusted TLS certificate",
                )),
                None => Err(e),
            },
            ok => ok,
        }
    }
}

/// How long the link-local managed identity endpoint (IMDS) may take to answer.
const IMDS_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn unreachable_endpoint(
    url: &url::Url,
    what: &str,
    wait: std::time::Duration,
) -> azure_core::Error {
    let mut endpoint = url.clone();
    endpoint.set_query(None);
    azure_core::Error::with_error(
        azure_core::error::ErrorKind::Other,
        UnreachableEndpoint {
            endpoint: endpoint.to_string(),
            detail: format!("{what} within {}", humantime::format_duration(wait)),
        },
        "managed identity endpoint unreachable",
    )
}

/// The managed identity endpoint did not answer; carried like [`UntrustedCertificate`].
#[derive(Debug)]
pub struct UnreachableEndpoint {
    pub endpoint: String,
    pub detail: String,
}

impl std::fmt::Display for UnreachableEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.endpoint, self.detail)
    }
}

impl Error for UnreachableEndpoint {}

/// The [`UnreachableEndpoint`] inside an error chain, if any.
pub fn find_unreachable<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a UnreachableEndpoint> {
    let mut cur = Some(err);
    for _ in 0..16 {
        let e = cur?;
        if let Some(u) = e.downcast_ref::<UnreachableEndpoint>() {
            return Some(u);
        }
        cur = e.source();
    }
    None
}

/// Carried through `azure_identity`'s error so the token source can report the host.
#[derive(Debug)]
pub struct UntrustedCertificate {
    pub host: String,
    pub problem: String,
}

impl std::fmt::Display for UntrustedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the TLS certificate of {} is not trusted ({})",
            self.host, self.problem
        )
    }
}

impl Error for UntrustedCertificate {}

/// The [`UntrustedCertificate`] inside an error chain, if any.
pub fn find_untrusted<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a UntrustedCertificate> {
    let mut cur = Some(err);
    for _ in 0..16 {
        let e = cur?;
        if let Some(u) = e.downcast_ref::<UntrustedCertificate>() {
            return Some(u);
        }
        cur = e.source();
    }
    None
}

/// A transport for `azure_identity` built on `http`.
pub fn identity_transport(http: &reqwest::Client) -> azure_core::http::Transport {
    azure_core::http::Transport::new(Arc::new(CertificateAwareClient(http.clone())))
}

/// A request that never got an answer: the host it was for and why, in a few words
/// ("connection refused", "timed out", a DNS failure's own text), found anywhere in `err`'s
/// chain. `azure_identity` hides this behind "retry policy expired"; the chain still has it.
pub fn find_transport_failure(err: &(dyn Error + 'static)) -> Option<(String, String)> {
    let mut cur = Some(err);
    for _ in 0..16 {
        let e = cur?;
        if let Some(r) = e.downcast_ref::<reqwest::Error>() {
            let host = r
                .url()
                .map(|u| host_of(u.as_str()))
                .unwrap_or_else(|| "the server".into());
            return Some((host, transport_cause(r)));
        }
        cur = e.source();
    }
    None
}

/// Why a request got no answer, in a few words: the I/O error's kind when there is one
/// ("connection refused"), else the innermost error's text.
pub fn transport_cause(err: &(dyn Error + 'static)) -> String {
    use std::io::ErrorKind as K;
    let mut cur = Some(err);
    let mut last = err.to_string();
    for _ in 0..16 {
        let Some(e) = cur else { break };
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            let words = match io.kind() {
                K::ConnectionRefused => "connection refused",
                K::ConnectionReset => "connection reset",
                K::ConnectionAborted => "connection aborted",
                K::TimedOut => "timed out",
                K::HostUnreachable => "host unreachable",
                K::NetworkUnreachable => "network unreachable",
                K::AddrNotAvailable => "address not available",
                K::UnexpectedEof => "connection closed before an answer",
                _ => "",
            };
            if !words.is_empty() {
                return words.to_string();
            }
        }
        last = e.to_string();
        cur = e.source();
    }
    if let Some(r) = err.downcast_ref::<reqwest::Error>()
        && r.is_timeout()
    {
        return "timed out".to_string();
    }
    last
}
