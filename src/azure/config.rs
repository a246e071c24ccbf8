//! Plain configuration for the Azure side ([`AzureConfig`]), read from `ARM_*` variables, and the
//! redacting [`Secret`] wrapper.

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

/// Each field with the variables it is read from, first non-empty wins. Kept as data so the
/// documentation and the tests can list them.
pub const ENV_VARS: &[(&str, &[&str])] = &[
    ("subscription_id", &["ARM_SUBSCRIPTION_ID"]),
    ("tenant_id", &["ARM_TENANT_ID"]),
    ("client_id", &["ARM_CLIENT_ID"]),
    ("client_secret", &["ARM_CLIENT_SECRET"]),
    ("client_certificate_path", &["ARM_CLIENT_CERTIFICATE_PATH"]),
    (
        "client_certificate_password",
        &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
    ),
    ("use_oidc", &["ARM_USE_OIDC"]),
    ("oidc_token", &["ARM_OIDC_TOKEN"]),
    ("oidc_token_file_path", &["ARM_OIDC_TOKEN_FILE_PATH"]),
    (
        "oidc_request_url",
        &["ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"],
    ),
    (
        "oidc_request_token",
        &["ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
    ),
    (
        "ado_pipeline_service_connection_id",
        &[
            "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
            "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
        ],
    ),
    (
        "use_aks_workload_identity",
        &["ARM_USE_AKS_WORKLOAD_IDENTITY"],
    ),
    ("use_msi", &["ARM_USE_MSI"]),
    ("msi_endpoint", &["ARM_MSI_ENDPOINT"]),
    ("use_cli", &["ARM_USE_CLI"]),
    ("environment", &["ARM_ENVIRONMENT"]),
    (
        "metadata_host",
        &["ARM_METADATA_HOSTNAME", "ARM_METADATA_HOST"],
    ),
    (
        "resource_manager_endpoint",
        &["ARM_RESOURCE_MANAGER_ENDPOINT"],
    ),
    (
        "active_directory_authority_host",
        &["ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"],
    ),
    (
        "resource_manager_audience",
        &["ARM_RESOURCE_MANAGER_AUDIENCE"],
    ),
    ("api_version", &["ARM_API_VERSION"]),
    ("partner_id", &["ARM_PARTNER_ID"]),
];

/// Parses the boolean spellings Terraform users put in environment variables.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

impl AzureConfig {
    /// Every field from its `ARM_*` variable (see [`ENV_VARS`]); unset fields keep the
    /// [`Default`]. Explicit provider configuration is applied on top by the caller.
    pub fn from_env() -> AzureConfig {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Like [`AzureConfig::from_env`] with an injected lookup, so tests need not touch the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> AzureConfig {
        let get = |field: &str| -> Option<String> {
            let vars = ENV_VARS
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, v)| *v)
                .unwrap_or(&[]);
            vars.iter()
                .filter_map(|v| lookup(v))
                .find(|v| !v.trim().is_empty())
        };
        let flag =
            |field: &str, default: bool| get(field).and_then(|v| parse_bool(&v)).unwrap_or(default);
        let d = AzureConfig::default();
        AzureConfig {
            subscription_id: get("subscription_id").unwrap_or_default(),
            tenant_id: get("tenant_id"),
            client_id: get("client_id"),
            client_secret: get("client_secret").map(Secret),
            client_certificate_path: get("client_certificate_path").map(PathBuf::from),
            client_certificate_password: get("client_certificate_password").map(Secret),
            use_oidc: flag("use_oidc", d.use_oidc),
            oidc_token: get("oidc_token").map(Secret),
            oidc_token_file_path: get("oidc_token_file_path").map(PathBuf::from),
            oidc_request_url: get("oidc_request_url"),
            oidc_request_token: get("oidc_request_token").map(Secret),
            ado_pipeline_service_connection_id: get("ado_pipeline_service_connection_id"),
            use_aks_workload_identity: flag(
                "use_aks_workload_identity",
                d.use_aks_workload_identity,
            ),
            use_msi: flag("use_msi", d.use_msi),
            msi_endpoint: get("msi_endpoint"),
            use_cli: flag("use_cli", d.use_cli),
            environment: get("environment").unwrap_or(d.environment),
            metadata_host: get("metadata_host"),
            resource_manager_endpoint: get("resource_manager_endpoint"),
            active_directory_authority_host: get("active_directory_authority_host"),
            resource_manager_audience: get("resource_manager_audience"),
            api_version: get("api_version").unwrap_or(d.api_version),
            partner_id: get("partner_id"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
    fn from_lookup_reads_every_variable_and_fallbacks() {
        let env: HashMap<&str, &str> = [
            ("ARM_SUBSCRIPTION_ID", "sub"),
            ("ARM_TENANT_ID", "ten"),
            ("ARM_USE_CLI", "false"),
            ("ARM_USE_OIDC", "true"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh.example/token"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ghtok"),
            ("ARM_OIDC_REQUEST_URL", ""),
            ("ARM_ENVIRONMENT", "china"),
            ("ARM_METADATA_HOSTNAME", "management.example"),
            ("ARM_API_VERSION", "2021-01-01"),
        ]
        .into_iter()
        .collect();
        let c = AzureConfig::from_lookup(|k| env.get(k).map(|v| v.to_string()));
        assert_eq!(c.subscription_id, "sub");
        assert_eq!(c.tenant_id.as_deref(), Some("ten"));
        assert!(!c.use_cli);
        assert!(c.use_oidc);
        assert_eq!(
            c.oidc_request_url.as_deref(),
            Some("https://gh.example/token")
        );
        assert_eq!(
            c.oidc_request_token.as_ref().map(Secret::expose),
            Some("ghtok")
        );
        assert_eq!(c.environment, "china");
        assert_eq!(c.metadata_host.as_deref(), Some("management.example"));
        assert_eq!(c.api_version, "2021-01-01");
        let empty = AzureConfig::from_lookup(|_| None);
        assert_eq!(empty, AzureConfig::default());
        assert!(empty.use_cli);
        assert_eq!(empty.api_version, DEFAULT_API_VERSION);
    }
}
