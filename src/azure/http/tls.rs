//! Recognises a TLS certificate this client does not trust anywhere in an error's chain, so it
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
        match azure_core::http::HttpClient::execute_request(&self.0, request).await {
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
