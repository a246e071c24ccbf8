//! Certificate loading (PKCS#12 `.pfx` or PEM, without OpenSSL) and the RS256 JWT client
//! assertion signed with it.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

use super::{CONFIG_OP, OP};
use crate::azure::config::Secret;
use crate::azure::error::AzureError;

/// A certificate's signing key and SHA-1 thumbprint, for JWT client assertions (RS256).
pub struct CertificateSigner {
    key: Arc<dyn rustls::sign::SigningKey>,
    thumbprint_sha1: [u8; 20],
}

impl fmt::Debug for CertificateSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateSigner")
            .field("x5t", &URL_SAFE_NO_PAD.encode(self.thumbprint_sha1))
            .finish_non_exhaustive()
    }
}

impl CertificateSigner {
    /// Loads a PFX/PKCS#12 file (password optional) or a PEM file holding the certificate and
    /// its private key. Pure Rust: no OpenSSL.
    pub fn from_file(path: &Path, password: Option<&Secret>) -> Result<Self, AzureError> {
        let data = std::fs::read(path).map_err(|e| {
            AzureError::config(
                CONFIG_OP,
                format!(
                    "cannot read client_certificate_path {}: {e}",
                    path.display()
                ),
            )
        })?;
        Self::from_bytes(&data, password, &path.display().to_string())
    }

    pub fn from_bytes(
        data: &[u8],
        password: Option<&Secret>,
        what: &str,
    ) -> Result<Self, AzureError> {
        let bad =
            |m: String| AzureError::config(CONFIG_OP, format!("client certificate {what}: {m}"));
        let looks_pem = data.windows(11).any(|w| w == b"-----BEGIN ");
        let (cert_der, key_der): (Vec<u8>, rustls_pki_types::PrivateKeyDer<'static>) = if looks_pem
        {
            use rustls_pki_types::pem::PemObject;
            let cert = rustls_pki_types::CertificateDer::pem_slice_iter(data)
                .next()
                .ok_or_else(|| bad("no CERTIFICATE block in the PEM file".into()))?
                .map_err(|e| bad(format!("invalid PEM certificate: {e}")))?;
            let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(data)
                .map_err(|_| bad("no unencrypted PRIVATE KEY block in the PEM file (encrypted PEM keys are not supported; use a PFX)".into()))?;
            (cert.to_vec(), key)
        } else {
            let pw = password.map(Secret::expose).unwrap_or("");
            let ks = p12_keystore::KeyStore::from_pkcs12(
                data,
                pw,
                p12_keystore::Pkcs12ImportPolicy::Relaxed,
            )
            .map_err(|e| {
                bad(format!(
                    "cannot open the PFX (wrong client_certificate_password?): {e}"
                ))
            })?;
            let (_, chain) = ks
                .private_key_chain()
                .ok_or_else(|| bad("the PFX holds no private key".into()))?;
            let cert = chain
                .certs()
                .first()
                .ok_or_else(|| bad("the PFX holds no certificate for its key".into()))?;
            let key = rustls_pki_types::PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into());
            (cert.as_der().to_vec(), key)
        };
        let key = rustls::crypto::aws_lc_rs::sign::any_supported_type(&key_der)
            .map_err(|e| bad(format!("unsupported private key: {e}")))?;
        if key.algorithm() != rustls::SignatureAlgorithm::RSA {
            return Err(bad("Entra ID client assertions need an RSA key".into()));
        }
        let thumbprint_sha1 = sha1_smol::Sha1::from(&cert_der).digest().bytes();
        Ok(CertificateSigner {
            key,
            thumbprint_sha1,
        })
    }

    /// A signed client assertion for `audience` (the token endpoint), valid for ten minutes.
    pub fn assertion(&self, client_id: &str, audience: &str) -> Result<Secret, AzureError> {
        let header = serde_json::json!({
            "alg": "RS256",
            "typ": "JWT",
            "x5t": URL_SAFE_NO_PAD.encode(self.thumbprint_sha1),
        });
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signer = self
            .key
            .choose_scheme(&[rustls::SignatureScheme::RSA_PKCS1_SHA256])
            .ok_or_else(|| AzureError::auth(OP, "the certificate key cannot sign RS256"))?;
        let sig = signer.sign(signing_input.as_bytes()).map_err(|e| {
            AzureError::auth(OP, format!("signing the client assertion failed: {e}"))
        })?;
        Ok(Secret::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(sig)
        )))
    }
}
