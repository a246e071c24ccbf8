//! The provider block: its schema, its validation, and how explicit settings are laid over the
//! `ARM_*` environment to give the Azure side its plain [`AzureConfig`].

use std::path::PathBuf;
use std::time::Duration;

use crate::azure::config::{AzureConfig, Secret};
use crate::tfplugin::{Attribute, AttributePath, Block, Diagnostics, Schema, Type, Value};

/// The API versions this provider has been tested against. Others are accepted with a warning,
/// because Azure adds versions faster than we release.
pub const KNOWN_API_VERSIONS: &[&str] = &["2021-01-01", "2025-07-01"];
pub const DEFAULT_API_VERSION: &str = "2025-07-01";
/// How long apply keeps re-checking a permission failure: role assignments made in the same
/// apply take minutes to reach the Backup service.
pub const DEFAULT_ROLE_PROPAGATION_TIMEOUT: Duration = Duration::from_secs(5 * 60);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Secret,
    Bool,
}

/// One provider argument: the schema, the docs and the environment overlay all come from here,
/// so an argument cannot be documented with one variable and read from another.
struct Setting {
    name: &'static str,
    env: &'static [&'static str],
    kind: Kind,
    description: &'static str,
}

const SETTINGS: &[Setting] = &[
    Setting {
        name: "subscription_id",
        env: &["ARM_SUBSCRIPTION_ID"],
        kind: Kind::Str,
        description: "The Subscription ID used for provider-level calls. Resource IDs in this provider are full ARM IDs, so this is optional.",
    },
    Setting {
        name: "tenant_id",
        env: &["ARM_TENANT_ID"],
        kind: Kind::Str,
        description: "The Tenant ID (Entra ID directory) to authenticate against.",
    },
    Setting {
        name: "client_id",
        env: &["ARM_CLIENT_ID"],
        kind: Kind::Str,
        description: "The Client ID of the service principal or user-assigned managed identity.",
    },
    Setting {
        name: "client_id_file_path",
        env: &["ARM_CLIENT_ID_FILE_PATH"],
        kind: Kind::Str,
        description: "Path to a file holding the Client ID.",
    },
    Setting {
        name: "client_secret",
        env: &["ARM_CLIENT_SECRET"],
        kind: Kind::Secret,
        description: "The client secret of the service principal.",
    },
    Setting {
        name: "client_secret_file_path",
        env: &["ARM_CLIENT_SECRET_FILE_PATH"],
        kind: Kind::Str,
        description: "Path to a file holding the client secret.",
    },
    Setting {
        name: "client_certificate_path",
        env: &["ARM_CLIENT_CERTIFICATE_PATH"],
        kind: Kind::Str,
        description: "Path to a PKCS#12 (`.pfx`) or PEM client certificate for service principal authentication.",
    },
    Setting {
        name: "client_certificate_password",
        env: &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
        kind: Kind::Secret,
        description: "The password of the client certificate, if any.",
    },
    Setting {
        name: "use_oidc",
        env: &["ARM_USE_OIDC"],
        kind: Kind::Bool,
        description: "Authenticate with an OpenID Connect token (workload identity federation), e.g. from GitHub Actions or a token file.",
    },
    Setting {
        name: "oidc_token",
        env: &["ARM_OIDC_TOKEN"],
        kind: Kind::Secret,
        description: "An OIDC ID token to exchange for an Azure token.",
    },
    Setting {
        name: "oidc_token_file_path",
        env: &["ARM_OIDC_TOKEN_FILE_PATH"],
        kind: Kind::Str,
        description: "Path to a file holding an OIDC ID token.",
    },
    Setting {
        name: "oidc_request_url",
        env: &["ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"],
        kind: Kind::Str,
        description: "The URL to request an OIDC token from (GitHub Actions sets it).",
    },
    Setting {
        name: "oidc_request_token",
        env: &["ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
        kind: Kind::Secret,
        description: "The bearer token for `oidc_request_url` (GitHub Actions sets it).",
    },
    Setting {
        name: "ado_pipeline_service_connection_id",
        env: &[
            "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
            "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
        ],
        kind: Kind::Str,
        description: "The Azure DevOps service connection ID, for OIDC in Azure Pipelines (uses `SYSTEM_ACCESSTOKEN`).",
    },
    Setting {
        name: "use_aks_workload_identity",
        env: &["ARM_USE_AKS_WORKLOAD_IDENTITY"],
        kind: Kind::Bool,
        description: "Authenticate with AKS workload identity (`AZURE_FEDERATED_TOKEN_FILE`, `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`).",
    },
    Setting {
        name: "use_msi",
        env: &["ARM_USE_MSI"],
        kind: Kind::Bool,
        description: "Authenticate with a managed identity.",
    },
    Setting {
        name: "msi_endpoint",
        env: &["ARM_MSI_ENDPOINT"],
        kind: Kind::Str,
        description: "A custom managed identity endpoint; by default IMDS or `IDENTITY_ENDPOINT` is used.",
    },
    Setting {
        name: "use_cli",
        env: &["ARM_USE_CLI"],
        kind: Kind::Bool,
        description: "Authenticate with the Azure CLI's signed-in account when no other method is configured. Defaults to `true`.",
    },
    Setting {
        name: "environment",
        env: &["ARM_ENVIRONMENT"],
        kind: Kind::Str,
        description: "The Azure cloud: `public`, `usgovernment` or `china`. Defaults to `public`.",
    },
    Setting {
        name: "metadata_host",
        env: &["ARM_METADATA_HOSTNAME"],
        kind: Kind::Str,
        description: "A hostname serving `/metadata/endpoints` (Azure Stack, private clouds); endpoints are discovered from it.",
    },
    Setting {
        name: "resource_manager_endpoint",
        env: &["ARM_RESOURCE_MANAGER_ENDPOINT"],
        kind: Kind::Str,
        description: "An explicit Azure Resource Manager endpoint, e.g. the emulator's. Plain `http` is accepted for loopback hosts only.",
    },
    Setting {
        name: "active_directory_authority_host",
        env: &["ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"],
        kind: Kind::Str,
        description: "An explicit Entra ID authority host.",
    },
    Setting {
        name: "resource_manager_audience",
        env: &["ARM_RESOURCE_MANAGER_AUDIENCE"],
        kind: Kind::Str,
        description: "An explicit token audience for Resource Manager.",
    },
    Setting {
        name: "api_version",
        env: &["ARM_DATAPROTECTION_API_VERSION"],
        kind: Kind::Str,
        description: "The Data Protection API version. Defaults to `2025-07-01`; `2021-01-01` (the version of the product documentation) is fully supported but has no Key Vault credentials and no tags.",
    },
    Setting {
        name: "partner_id",
        env: &["ARM_PARTNER_ID"],
        kind: Kind::Str,
        description: "A GUID appended to the User-Agent for partner attribution.",
    },
    Setting {
        name: "validate_on_plan",
        env: &["ARM_DATAPROTECTION_VALIDATE_ON_PLAN"],
        kind: Kind::Bool,
        description: "Run the service's `validateForBackup` check during `plan` for new instances, so that problems show before apply. Defaults to `true`.",
    },
    Setting {
        name: "role_propagation_timeout",
        env: &["ARM_DATAPROTECTION_ROLE_PROPAGATION_TIMEOUT"],
        kind: Kind::Str,
        description: "How long `apply` keeps re-checking a missing-permission failure, to let role assignments made in the same apply propagate. A duration such as `5m` (the default) or `90s`; `0s` turns waiting off.",
    },
];

/// Settings the resource needs besides the Azure client.
#[derive(Debug, Clone)]
pub struct ResourceSettings {
    pub validate_on_plan: bool,
    pub role_propagation_timeout: Duration,
}

pub fn schema() -> Schema {
    let attributes = SETTINGS
        .iter()
        .map(|s| {
            let ty = if s.kind == Kind::Bool {
                Type::Bool
            } else {
                Type::String
            };
            let vars = s
                .env
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            let mut a = Attribute::optional(s.name, ty)
                .description(format!("{} Environment variable: {vars}.", s.description));
            if s.kind == Kind::Secret {
                a = a.sensitive();
            }
            a
        })
        .collect();
    Schema {
        version: 0,
        block: Block {
            description: "Configures access to Azure Backup (the Data Protection API). Every argument can also come from its environment variable; an argument set here wins over its variable.".into(),
            attributes,
            ..Default::default()
        },
    }
}

/// Checks what can be checked without the environment. Unknown values (from other resources) are
/// skipped: they are checked again at configure time.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let str_of = |name: &str| config.get(name).as_str().map(str::to_owned);
    if let Some(env) = str_of("environment")
        && !matches!(
            env.to_ascii_lowercase().as_str(),
            "public" | "usgovernment" | "china"
        )
    {
        diags.error_at(
                AttributePath::root("environment"),
                "Invalid Azure Environment",
                format!("`environment` is {env:?}; use one of \"public\", \"usgovernment\" or \"china\" (or `metadata_host` for other clouds)."),
            );
    }
    if let Some(v) = str_of("api_version") {
        check_api_version(&v, Some(AttributePath::root("api_version")), &mut diags);
    }
    if let Some(v) = str_of("role_propagation_timeout")
        && let Err(e) = parse_duration(&v)
    {
        diags.error_at(
            AttributePath::root("role_propagation_timeout"),
            "Invalid Duration",
            e,
        );
    }
    for name in [
        "resource_manager_endpoint",
        "active_directory_authority_host",
        "msi_endpoint",
        "oidc_request_url",
    ] {
        if let Some(v) = str_of(name)
            && let Err(e) = check_endpoint(&v)
        {
            diags.error_at(
                AttributePath::root(name),
                "Invalid Endpoint URL",
                format!("`{name}` {e}"),
            );
        }
    }
    for name in ["tenant_id", "client_id", "subscription_id", "partner_id"] {
        if let Some(v) = str_of(name)
            && !v.is_empty()
            && uuid::Uuid::parse_str(&v).is_err()
        {
            diags.error_at(
                    AttributePath::root(name),
                    "Invalid GUID",
                    format!("`{name}` must be a GUID such as 00000000-0000-0000-0000-000000000000, got {v:?}."),
                );
        }
    }
    for (a, b) in [
        ("client_secret", "client_secret_file_path"),
        ("client_id", "client_id_file_path"),
        ("oidc_token", "oidc_token_file_path"),
    ] {
        if config.get(a).as_str().is_some() && config.get(b).as_str().is_some() {
            diags.error_at(
                AttributePath::root(b),
                "Conflicting Arguments",
                format!("Set only one of `{a}` and `{b}`."),
            );
        }
    }
    diags
}

fn check_api_version(v: &str, path: Option<AttributePath>, diags: &mut Diagnostics) {
    let well_formed = v.len() >= 10
        && v.as_bytes()[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    let (sev_err, summary, detail) = if !well_formed {
        (
            true,
            "Invalid API Version",
            format!(
                "`api_version` is {v:?}; it must look like 2025-07-01 (supported: {}).",
                KNOWN_API_VERSIONS.join(", ")
            ),
        )
    } else if v < "2021-01-01" {
        (
            true,
            "Unsupported API Version",
            format!(
                "`api_version` {v} predates the Data Protection API's first stable version, 2021-01-01."
            ),
        )
    } else if !KNOWN_API_VERSIONS.contains(&v) {
        (
            false,
            "Untested API Version",
            format!(
                "`api_version` {v} has not been tested with this provider (tested: {}). Since 2025-09-01 the service rejects vaults whose soft delete is not \"Always-On\".",
                KNOWN_API_VERSIONS.join(", ")
            ),
        )
    } else {
        return;
    };
    match (sev_err, path) {
        (true, Some(p)) => diags.error_at(p, summary, detail),
        (true, None) => diags.error(summary, detail),
        (false, Some(p)) => diags.warning_at(p, summary, detail),
        (false, None) => diags.warning(summary, detail),
    }
}

/// `https` anywhere; `http` only on this machine, so a typo cannot send tokens in clear text.
pub fn check_endpoint(v: &str) -> Result<(), String> {
    let url = url::Url::parse(v).map_err(|e| format!("is not a URL ({e}): {v:?}"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(format!(
                    "uses plain http to a non-loopback host ({v:?}); use https"
                ))
            }
        }
        other => Err(format!("has scheme {other:?}; use https")),
    }
}

/// Durations as Terraform users write them (`30m`, `1h30m`, `90s`).
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    humantime::parse_duration(v.trim()).map_err(|e| {
        format!("{v:?} is not a duration ({e}); write it like \"30m\", \"1h30m\" or \"90s\".")
    })
}

/// Reads the environment, lays the explicit settings over it, and returns the Azure side's config
/// plus what the resource needs.
pub fn resolve(config: &Value) -> Result<(AzureConfig, ResourceSettings), Diagnostics> {
    resolve_with(config, AzureConfig::from_env(), &|k| std::env::var(k).ok())
}

fn resolve_with(
    config: &Value,
    mut az: AzureConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(AzureConfig, ResourceSettings), Diagnostics> {
    let mut diags = validate(config);
    let mut validate_on_plan = true;
    let mut role_timeout = DEFAULT_ROLE_PROPAGATION_TIMEOUT;
    let mut file_paths: Vec<(&str, String, &str)> = Vec::new();

    for s in SETTINGS {
        let explicit = config.get(s.name);
        let (text, from_config) = match (s.kind, explicit) {
            (Kind::Bool, Value::Bool(b)) => (Some(b.to_string()), true),
            (_, Value::String(v)) => (Some(v.clone()), true),
            _ => (
                s.env.iter().find_map(|k| env(k).filter(|v| !v.is_empty())),
                false,
            ),
        };
        let Some(text) = text else { continue };
        let path = || {
            if from_config {
                AttributePath::root(s.name)
            } else {
                AttributePath::default()
            }
        };
        let origin = if from_config {
            format!("`{}`", s.name)
        } else {
            format!("`{}`", s.env[0])
        };
        let as_bool = || -> Option<bool> {
            match text.to_ascii_lowercase().as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            }
        };
        if s.kind == Kind::Bool {
            let Some(b) = as_bool() else {
                diags.error_at(
                    path(),
                    "Invalid Boolean",
                    format!("{origin} is {text:?}; use true or false."),
                );
                continue;
            };
            match s.name {
                "use_oidc" => az.use_oidc = b,
                "use_aks_workload_identity" => az.use_aks_workload_identity = b,
                "use_msi" => az.use_msi = b,
                "use_cli" => az.use_cli = b,
                "validate_on_plan" => validate_on_plan = b,
                _ => {}
            }
            continue;
        }
        let secret = || Some(Secret::new(text.clone()));
        match s.name {
            "subscription_id" => az.subscription_id = text.clone(),
            "tenant_id" => az.tenant_id = Some(text.clone()),
            "client_id" => az.client_id = Some(text.clone()),
            "client_secret" => az.client_secret = secret(),
            "client_certificate_path" => az.client_certificate_path = Some(PathBuf::from(&text)),
            "client_certificate_password" => az.client_certificate_password = secret(),
            "oidc_token" => az.oidc_token = secret(),
            "oidc_token_file_path" => az.oidc_token_file_path = Some(PathBuf::from(&text)),
            "oidc_request_url" => az.oidc_request_url = Some(text.clone()),
            "oidc_request_token" => az.oidc_request_token = secret(),
            "ado_pipeline_service_connection_id" => {
                az.ado_pipeline_service_connection_id = Some(text.clone())
            }
            "msi_endpoint" => az.msi_endpoint = Some(text.clone()),
            "environment" => az.environment = text.to_ascii_lowercase(),
            "metadata_host" => az.metadata_host = Some(text.clone()),
            "resource_manager_endpoint" => az.resource_manager_endpoint = Some(text.clone()),
            "active_directory_authority_host" => {
                az.active_directory_authority_host = Some(text.clone())
            }
            "resource_manager_audience" => az.resource_manager_audience = Some(text.clone()),
            "api_version" => {
                if !from_config {
                    check_api_version(&text, None, &mut diags);
                }
                az.api_version = text.clone();
            }
            "partner_id" => az.partner_id = Some(text.clone()),
            "role_propagation_timeout" => match parse_duration(&text) {
                Ok(d) => role_timeout = d,
                Err(e) => diags.error_at(path(), "Invalid Duration", format!("{origin}: {e}")),
            },
            "client_id_file_path" | "client_secret_file_path" => {
                file_paths.push((s.name, text.clone(), s.env[0]))
            }
            _ => {}
        }
        let _ = from_config;
    }

    // Secrets in files are read here so a missing file is reported against the argument that
    // named it, not later as an authentication failure.
    for (name, file, var) in file_paths {
        match std::fs::read_to_string(&file) {
            Ok(content) => {
                let content = content.trim().to_owned();
                if name == "client_id_file_path" {
                    if az.client_id.as_deref().is_some_and(|c| c != content) {
                        diags.error_at(AttributePath::root(name), "Conflicting Client IDs", format!("The file named by `{name}` holds a different client ID than `client_id`/`ARM_CLIENT_ID`."));
                    }
                    az.client_id = Some(content);
                } else {
                    az.client_secret = Some(Secret::new(content));
                }
            }
            Err(e) => diags.error_at(
                AttributePath::root(name),
                "Unreadable File",
                format!("`{name}` (or `{var}`) names {file:?}, which cannot be read: {e}."),
            ),
        }
    }
    if az.api_version.is_empty() {
        az.api_version = DEFAULT_API_VERSION.to_owned();
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok((
        az,
        ResourceSettings {
            validate_on_plan,
            role_propagation_timeout: role_timeout,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, Value)]) -> Value {
        Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    #[test]
    fn explicit_setting_wins_over_environment() {
        let env = |k: &str| match k {
            "ARM_TENANT_ID" => Some("11111111-1111-1111-1111-111111111111".to_owned()),
            "ARM_USE_CLI" => Some("false".to_owned()),
            _ => None,
        };
        let c = cfg(&[(
            "tenant_id",
            Value::string("22222222-2222-2222-2222-222222222222"),
        )]);
        let (az, _) = resolve_with(&c, AzureConfig::default(), &env).unwrap();
        assert_eq!(
            az.tenant_id.as_deref(),
            Some("22222222-2222-2222-2222-222222222222")
        );
        assert!(!az.use_cli);
        assert_eq!(az.api_version, DEFAULT_API_VERSION);
    }

    #[test]
    fn every_problem_is_reported_with_its_attribute() {
        let c = cfg(&[
            ("environment", Value::string("mars")),
            ("api_version", Value::string("yesterday")),
            (
                "resource_manager_endpoint",
                Value::string("http://example.com/"),
            ),
            ("tenant_id", Value::string("not-a-guid")),
            ("role_propagation_timeout", Value::string("soon")),
        ]);
        let d = validate(&c);
        let paths: Vec<String> = d
            .iter()
            .filter_map(|d| d.attribute.as_ref().map(|p| p.to_string()))
            .collect();
        for want in [
            "environment",
            "api_version",
            "resource_manager_endpoint",
            "tenant_id",
            "role_propagation_timeout",
        ] {
            assert!(
                paths.iter().any(|p| p == want),
                "no diagnostic for {want}: {paths:?}"
            );
        }
    }

    #[test]
    fn loopback_http_is_allowed_and_other_http_is_not() {
        assert!(check_endpoint("http://127.0.0.1:8443/").is_ok());
        assert!(check_endpoint("http://localhost/").is_ok());
        assert!(check_endpoint("https://management.azure.com/").is_ok());
        assert!(check_endpoint("http://10.0.0.1/").is_err());
        assert!(check_endpoint("ftp://127.0.0.1/").is_err());
    }

    #[test]
    fn missing_secret_file_names_the_argument() {
        let c = cfg(&[(
            "client_secret_file_path",
            Value::string("/nonexistent/secret"),
        )]);
        let err = resolve_with(&c, AzureConfig::default(), &|_| None).unwrap_err();
        let d = err.iter().next().unwrap();
        assert_eq!(
            d.attribute.as_ref().unwrap().to_string(),
            "client_secret_file_path"
        );
    }

    #[test]
    fn untested_api_version_is_a_warning_not_an_error() {
        let c = cfg(&[("api_version", Value::string("2024-04-01"))]);
        let d = validate(&c);
        assert!(!d.has_errors());
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn schema_names_each_environment_variable() {
        let s = schema();
        let a = s
            .block
            .attributes
            .iter()
            .find(|a| a.name == "client_secret")
            .unwrap();
        assert!(a.sensitive);
        assert!(a.description.contains("ARM_CLIENT_SECRET"));
    }
}
