//! go-plugin's AutoMTLS, server side: a fresh self-signed server certificate per process and
//! a client-certificate verifier pinned to the one certificate Terraform announced.
//!
//! Why pinning instead of ordinary chain validation: Terraform's client certificate is a
//! self-signed ECDSA P-521 CA certificate, which webpki refuses to accept as a leaf. Accepting
//! exactly the DER from `PLUGIN_CLIENT_CERT` (and verifying the handshake signature against
//! it) is both simpler and stricter: only the Terraform process that started us can connect.
//! Client authentication is mandatory; otherwise any local process could drive the provider
//! with the user's cloud credentials.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate: {0}")]
    ClientCert(String),
    #[error("could not generate the server certificate: {0}")]
    Generate(String),
    #[error("could not build the TLS configuration: {0}")]
    Config(String),
}

/// The crypto provider everything here uses: aws-lc-rs, because ring cannot verify P-521.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The server side of one plugin process's TLS: its certificate (for the handshake line) and
/// the rustls configuration (for the acceptor).
pub struct ServerTls {
    pub cert_der: CertificateDer<'static>,
    pub config: Arc<rustls::ServerConfig>,
}

/// Parses the first certificate of a PEM document (what Terraform puts in PLUGIN_CLIENT_CERT).
pub fn parse_client_cert(pem: &str) -> Result<CertificateDer<'static>, TlsError> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| TlsError::ClientCert(format!("{e:?}")))
}

/// Builds the server TLS for a pinned client certificate.
/// `organization` names the plugin in the certificate's subject.
pub fn server_tls(
    client_cert: CertificateDer<'static>,
    organization: &str,
) -> Result<ServerTls, TlsError> {
    let provider = crypto_provider();
    let (cert_der, key) = generate_server_cert(organization)?;
    let verifier = Arc::new(PinnedClientCert {
        pinned: client_cert,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![cert_der.clone()], key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls {
        cert_der,
        config: Arc::new(config),
    })
}

/// A self-signed P-256 certificate for `localhost` that verifies against itself as root, as
/// go-plugin's client expects (it uses the certificate from the handshake line as its only CA).
fn generate_server_cert(
    organization: &str,
) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let gen_err = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(gen_err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, organization);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // A little slack for clock skew; the process lives for one Terraform operation, but a
    // long validity costs nothing since the key never leaves memory.
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::minutes(5);
    params.not_after = now + time::Duration::days(365);
    let cert = params.self_signed(&key).map_err(gen_err)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().clone(), key_der))
}

/// Accepts exactly one client certificate, byte for byte, and requires it.
#[derive(Debug)]
struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // No CA hints: Go's client then offers its one certificate.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            tracing::warn!(
                "refused a TLS client whose certificate is not the one Terraform announced"
            );
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    /// Offered in the CertificateRequest; must include ecdsa_secp521r1_sha512 or Go silently
    /// sends no certificate at all.
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_p521_and_requires_a_certificate() {
        let provider = crypto_provider();
        let v = PinnedClientCert {
            pinned: CertificateDer::from(vec![1, 2, 3]),
            algorithms: provider.signature_verification_algorithms,
        };
        assert!(
            v.supported_verify_schemes()
                .contains(&SignatureScheme::ECDSA_NISTP521_SHA512)
        );
        assert!(v.client_auth_mandatory());
        let now = UnixTime::now();
        assert!(
            v.verify_client_cert(&CertificateDer::from(vec![1, 2, 3]), &[], now)
                .is_ok()
        );
        assert!(
            v.verify_client_cert(&CertificateDer::from(vec![1, 2, 4]), &[], now)
                .is_err()
        );
    }

    #[test]
    fn server_certificate_is_a_localhost_ca() {
        use x509_parser::prelude::*;
        let (der, _) = generate_server_cert("terraform-provider-test").unwrap();
        let (_, cert) = X509Certificate::from_der(der.as_ref()).unwrap();
        // Self-signed: go-plugin's client uses it as its only root.
        assert_eq!(cert.subject(), cert.issuer());
        assert!(cert.is_ca());
        let ku = cert.key_usage().unwrap().unwrap().value;
        assert!(ku.key_cert_sign() && ku.digital_signature());
        assert!(
            cert.extended_key_usage()
                .unwrap()
                .unwrap()
                .value
                .server_auth
        );
        let san = cert.subject_alternative_name().unwrap().unwrap();
        assert!(
            san.value
                .general_names
                .iter()
                .any(|n| matches!(n, GeneralName::DNSName("localhost")))
        );
        assert!(parse_client_cert("not pem").is_err());
    }
}
