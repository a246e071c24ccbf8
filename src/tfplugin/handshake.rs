//! Reading go-plugin's launch environment: decide from the variables Terraform sets whether
//! and how to serve, or explain to a human why not.
//!
//! Variables read:
//! - `TF_PLUGIN_MAGIC_COOKIE`: must hold Terraform's cookie; its absence means a person ran
//!   the binary directly.
//! - `PLUGIN_PROTOCOL_VERSIONS`: comma list of protocol versions the client speaks; must
//!   include 6 (absent: assume 6).
//! - `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT`: TCP port range to listen in.
//! - `PLUGIN_CLIENT_CERT`: Terraform's client certificate (PEM) for AutoMTLS.
//! - `TF_DISABLE_PLUGIN_TLS`: when set (non-empty), serve plain gRPC.
//! - `TF_PLUGIN_UNIX_SOCKET_DIR`: this provider's own opt-in: listen on a unix socket created
//!   in that directory instead of TCP (go-plugin clients accept either in the handshake line).

use std::path::PathBuf;

use super::PluginIdentity;
use super::serve::{ServeOptions, Transport};

pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// Why the plugin will not serve; the text is for a human reading stderr.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error(
        "This binary is a plugin for Terraform ({}). It is not meant to be executed directly: \
         Terraform starts it when a configuration uses the \"{}\" provider. To debug it, run \
         it with --debug and export the TF_REATTACH_PROVIDERS value it prints.",
        .0.binary(),
        .0.source()
    )]
    NotTerraform(PluginIdentity),
    #[error(
        "Terraform asked for plugin protocol version(s) {0}, but this provider only speaks \
         protocol 6 (Terraform 1.0 or later). Upgrade Terraform."
    )]
    Protocol(String),
    #[error("{0} is not a valid port number: {1:?}")]
    Port(&'static str, String),
    #[error(
        "PLUGIN_CLIENT_CERT is not set, so the connection cannot be authenticated. Terraform \
         sets it unless TF_DISABLE_PLUGIN_TLS is set; set TF_DISABLE_PLUGIN_TLS=1 to serve \
         without TLS deliberately."
    )]
    NoClientCert,
}

/// Decides how to serve from the environment, looked up through `env` (so tests need not
/// touch the process environment).
pub fn from_env(
    identity: PluginIdentity,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ServeOptions, HandshakeError> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    if get(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::NotTerraform(identity));
    }
    if let Some(versions) = get("PLUGIN_PROTOCOL_VERSIONS")
        && !versions.split(',').any(|v| v.trim() == "6")
    {
        return Err(HandshakeError::Protocol(versions));
    }
    let port = |key: &'static str| -> Result<u16, HandshakeError> {
        match get(key) {
            None => Ok(0),
            Some(v) => v.trim().parse().map_err(|_| HandshakeError::Port(key, v)),
        }
    };
    let transport = match get("TF_PLUGIN_UNIX_SOCKET_DIR") {
        Some(dir) => Transport::Unix {
            dir: PathBuf::from(dir),
        },
        None => Transport::Tcp {
            min_port: port("PLUGIN_MIN_PORT")?,
            max_port: port("PLUGIN_MAX_PORT")?,
        },
    };
    let client_cert_pem = if get("TF_DISABLE_PLUGIN_TLS").is_some() {
        None
    } else {
        Some(get("PLUGIN_CLIENT_CERT").ok_or(HandshakeError::NoClientCert)?)
    };
    Ok(ServeOptions {
        identity,
        transport,
        client_cert_pem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const ID: PluginIdentity = PluginIdentity {
        name: "example",
        address: "registry.terraform.io/acme/example",
    };

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn refuses_without_cookie() {
        assert_eq!(
            from_env(ID, env(&[])).unwrap_err(),
            HandshakeError::NotTerraform(ID)
        );
        assert_eq!(
            from_env(ID, env(&[(MAGIC_COOKIE_KEY, "wrong")])).unwrap_err(),
            HandshakeError::NotTerraform(ID)
        );
        let text = HandshakeError::NotTerraform(ID).to_string();
        assert!(text.contains("not meant to be executed directly"), "{text}");
        assert!(
            text.contains("terraform-provider-example") && text.contains("\"acme/example\""),
            "the message names the plugin it was given: {text}"
        );
    }

    #[test]
    fn requires_protocol_6() {
        let e = from_env(
            ID,
            env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
            ]),
        );
        assert_eq!(e.unwrap_err(), HandshakeError::Protocol("4,5".into()));
    }

    #[test]
    fn reads_ports_tls_and_unix() {
        let o = from_env(
            ID,
            env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("PLUGIN_PROTOCOL_VERSIONS", "5,6"),
                ("PLUGIN_MIN_PORT", "10000"),
                ("PLUGIN_MAX_PORT", "25000"),
                ("PLUGIN_CLIENT_CERT", "PEM"),
            ]),
        )
        .unwrap();
        assert!(matches!(
            o.transport,
            Transport::Tcp {
                min_port: 10000,
                max_port: 25000
            }
        ));
        assert_eq!(o.client_cert_pem.as_deref(), Some("PEM"));

        let o = from_env(
            ID,
            env(&[
                (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                ("TF_DISABLE_PLUGIN_TLS", "1"),
                ("PLUGIN_CLIENT_CERT", "PEM"),
                ("TF_PLUGIN_UNIX_SOCKET_DIR", "/tmp"),
            ]),
        )
        .unwrap();
        assert!(o.client_cert_pem.is_none());
        assert!(matches!(o.transport, Transport::Unix { .. }));

        assert_eq!(
            from_env(ID, env(&[(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)])).unwrap_err(),
            HandshakeError::NoClientCert
        );
        assert!(matches!(
            from_env(
                ID,
                env(&[
                    (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
                    ("PLUGIN_MIN_PORT", "x")
                ])
            ),
            Err(HandshakeError::Port(..))
        ));
    }
}
