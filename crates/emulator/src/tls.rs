//! A throwaway certificate authority and a leaf certificate for 127.0.0.1 and localhost, so that
//! clients trust the emulator through `SSL_CERT_FILE` alone.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA as PEM (certificate, private key): written to the CA file, and kept in `--state` so
/// that a restarted emulator is still trusted by clients that loaded the old file.
pub struct Ca {
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn new_ca() -> Result<Ca, String> {
    let key = KeyPair::generate().map_err(|e| format!("generating CA key: {e}"))?;
    let cert = ca_params()?
        .self_signed(&key)
        .map_err(|e| format!("signing CA: {e}"))?;
    Ok(Ca {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn ca_params() -> Result<CertificateParams, String> {
    let mut p = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(
        DnType::CommonName,
        "terraform-provider-azurebackup emulator CA",
    );
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(p)
}

/// A rustls server configuration with a fresh leaf signed by `ca`.
pub fn server_config(ca: &Ca) -> Result<Arc<rustls::ServerConfig>, String> {
    let ca_key = KeyPair::from_pem(&ca.key_pem).map_err(|e| format!("reading CA key: {e}"))?;
    let issuer = Issuer::new(ca_params()?, ca_key);
    let mut leaf = CertificateParams::new(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ])
    .map_err(|e| e.to_string())?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.use_authority_key_identifier_extension = true;
    let leaf_key = KeyPair::generate().map_err(|e| format!("generating server key: {e}"))?;
    let cert = leaf
        .signed_by(&leaf_key, &issuer)
        .map_err(|e| format!("signing server certificate: {e}"))?;
    let ca_der = rustls::pki_types::pem::PemObject::from_pem_slice(ca.cert_pem.as_bytes())
        .map_err(|e| format!("reading CA certificate: {e:?}"))?;
    let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone(), ca_der];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS certificate: {e}"))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
