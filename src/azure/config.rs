//! Plain configuration for the Azure side: [`AzureConfig`], the redacting [`Secret`] wrapper and
//! the API versions. It reads no environment variables; the provider's settings table does.

use std::fmt;
use std::path::PathBuf;

/// A secret string (client secret, token, password). `Debug` and `Display` never show it; the
/// value is reachable only through [`Secret::expose`], so each use is visible in review.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Never log or format the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

/// The API version used when none is configured. 2025-09-01 and later reject vaults whose soft
/// delete is not "Always-On", so the default stays on the last version without that rule.
pub const DEFAULT_API_VERSION: &str = "2025-07-01";

/// The API versions this provider knows; any other is a configuration error, because request and
/// response shapes differ between versions. Adding a version is adding it here (and to the
/// catalogue's per-version rules if it changes them).
pub const KNOWN_API_VERSIONS: &[&str] = &[
    "2021-01-01",
    DEFAULT_API_VERSION,
    API_2025_09_01,
    "2026-06-01",
];

/// The first version that refuses vaults whose soft delete is not `AlwaysOn`.
pub const API_2025_09_01: &str = "2025-09-01";

/// Whether `v` is one of the versions that require `AlwaysOn` soft delete on the vault.
pub fn requires_always_on(v: &str) -> bool {
    v.get(..10).is_some_and(|d| d >= API_2025_09_01)
}

/// The oldest Data Protection API version, which lacks several properties.
pub const API_2021_01_01: &str = "2021-01-01";

/// The one rule for an API version: `YYYY-MM-DD`, optionally `-preview`, not older than
/// [`API_2021_01_01`]. The error says what is wrong, without naming where the value came from.
pub fn check_api_version(v: &str) -> Result<(), String> {
    let v = v.trim();
    let date = v.get(..10).unwrap_or("");
    let shape_ok = date.len() == 10
        && date.chars().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        })
        && (v.len() == 10 || v[10..].eq_ignore_ascii_case("-preview"));
    if !shape_ok {
        return Err(format!(
            "{v:?} is not an API version like \"{DEFAULT_API_VERSION}\""
        ));
    }
    if date < API_2021_01_01 {
        return Err(format!(
            "{v:?} is older than {API_2021_01_01}, the first Data Protection version"
        ));
    }
    Ok(())
}

/// [`check_api_version`] and one of [`KNOWN_API_VERSIONS`]: the rule for what users configure.
/// (The client itself takes any well-formed version, so recorded traffic of other versions
/// replays.)
pub fn check_known_api_version(v: &str) -> Result<(), String> {
    check_api_version(v)?;
    let v = v.trim();
    if !KNOWN_API_VERSIONS.iter().any(|k| k.eq_ignore_ascii_case(v)) {
        return Err(format!(
            "{v:?} is not an API version this provider knows (known: {})",
            KNOWN_API_VERSIONS.join(", ")
        ));
    }
    Ok(())
}

/// Everything needed to build a [`crate::azure::client::DataProtectionClient`]: plain data, no
/// Terraform types. `Debug` is safe to print: every secret is a [`Secret`].
#[derive(Debug, Clone, PartialEq)]
pub struct AzureConfig {
    pub subscription_id: String,
    pub tenant_id: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub client_certificate_path: Option<PathBuf>,
    pub client_certificate_password: Option<Secret>,
    pub use_oidc: bool,
    pub oidc_token: Option<Secret>,
    pub oidc_token_file_path: Option<PathBuf>,
    pub oidc_request_url: Option<String>,
    pub oidc_request_token: Option<Secret>,
    pub ado_pipeline_service_connection_id: Option<String>,
    pub use_aks_workload_identity: bool,
    pub use_msi: bool,
    pub msi_endpoint: Option<String>,
    pub use_cli: bool,
    /// `public`, `usgovernment` or `china`.
    pub environment: String,
    pub metadata_host: Option<String>,
    pub resource_manager_endpoint: Option<String>,
    pub active_directory_authority_host: Option<String>,
    pub resource_manager_audience: Option<String>,
    pub api_version: String,
    pub partner_id: Option<String>,
}

impl Default for AzureConfig {
    /// Nothing configured except the documented defaults: public cloud, Azure CLI allowed,
    /// [`DEFAULT_API_VERSION`].
    fn default() -> Self {
        AzureConfig {
            subscription_id: String::new(),
            tenant_id: None,
            client_id: None,
            client_secret: None,
            client_certificate_path: None,
            client_certificate_password: None,
            use_oidc: false,
            oidc_token: None,
            oidc_token_file_path: None,
            oidc_request_url: None,
            oidc_request_token: None,
            ado_pipeline_service_connection_id: None,
            use_aks_workload_identity: false,
            use_msi: false,
            msi_endpoint: None,
            use_cli: true,
            environment: "public".to_string(),
            metadata_host: None,
            resource_manager_endpoint: None,
            active_directory_authority_host: None,
            resource_manager_audience: None,
            api_version: DEFAULT_API_VERSION.to_string(),
            partner_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "<redacted>");
        assert!(!format!("{s:?}").contains("hunter2"));
        let c = AzureConfig {
            client_secret: Some(s.clone()),
            oidc_token: Some("tok-123".into()),
            ..AzureConfig::default()
        };
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("hunter2") && !dbg.contains("tok-123"),
            "{dbg}"
        );
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn api_version_rule() {
        for ok in [
            "2021-01-01",
            "2025-07-01",
            "2026-06-01",
            "2024-02-01-preview",
            DEFAULT_API_VERSION,
        ] {
            assert!(check_api_version(ok).is_ok(), "{ok}");
        }
        for bad in ["", "2025-7-1", "latest", "2020-12-01", "2025-07-01-beta"] {
            assert!(check_api_version(bad).is_err(), "{bad}");
            assert!(check_known_api_version(bad).is_err(), "{bad}");
        }
        for ok in KNOWN_API_VERSIONS {
            assert!(check_known_api_version(ok).is_ok(), "{ok}");
        }
        // Well-formed but unknown: refused where users configure it, listing the known ones.
        for unknown in ["2024-02-01-preview", "2024-04-01", "2099-01-01"] {
            let e = check_known_api_version(unknown).unwrap_err();
            assert!(e.contains("known: 2021-01-01"), "{unknown}: {e}");
        }
        assert!(KNOWN_API_VERSIONS.contains(&DEFAULT_API_VERSION));
    }
}
