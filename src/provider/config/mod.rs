//! The provider block: its schema, its validation, and how explicit settings are laid over the
//! `ARM_*` environment to give the Azure side its plain [`AzureConfig`]. Everything is driven by
//! the one settings table in [`table`]; the validators live in [`checks`].

pub(crate) mod checks;
mod table;

use std::path::PathBuf;
use std::time::Duration;

use crate::azure::config::{AzureConfig, DEFAULT_API_VERSION, Secret};
use crate::tfplugin::{Attribute, AttributePath, Block, Diagnostics, Schema, Type, Value};

pub use checks::{parse_bool, parse_duration, timeout_arg};
pub use table::DEFAULT_ROLE_PROPAGATION_TIMEOUT;

use checks::{Parsed, Problem};
use table::{Check, SETTINGS, Setting};

/// Settings the resource needs besides the Azure client.
#[derive(Debug, Clone)]
pub struct ResourceSettings {
    pub validate_on_plan: bool,
    pub role_propagation_timeout: Duration,
    pub coalesce_reads: bool,
}

impl Default for ResourceSettings {
    /// The table's defaults.
    fn default() -> Self {
        ResourceSettings {
            validate_on_plan: true,
            role_propagation_timeout: DEFAULT_ROLE_PROPAGATION_TIMEOUT,
            coalesce_reads: true,
        }
    }
}

/// Pairs of arguments of which only one may be set.
const CONFLICTS: &[(&str, &str)] = &[
    ("client_secret", "client_secret_file_path"),
    ("client_id", "client_id_file_path"),
    ("oidc_token", "oidc_token_file_path"),
];

/// The argument's full description: the table's text, its default and its variables.
fn description(s: &Setting) -> String {
    let mut d = s.description.to_owned();
    if let Some(default) = s.default {
        d.push_str(&format!(" Defaults to `{default}`."));
    }
    let vars = s
        .env
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    d.push_str(&format!(" Environment variable: {vars}."));
    d
}

pub fn schema() -> Schema {
    let attributes = SETTINGS
        .iter()
        .map(|s| {
            let ty = if s.check == Check::Bool {
                Type::Bool
            } else {
                Type::String
            };
            let a = Attribute::optional(s.name, ty).description(description(s));
            if s.sensitive { a.sensitive() } else { a }
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

/// An explicit argument's text: strings as written, booleans as `true`/`false`. Null and unknown
/// (from other resources) give `None`.
fn explicit_text(config: &Value, name: &str) -> Option<String> {
    match config.get(name) {
        Value::Bool(b) => Some(b.to_string()),
        Value::String(v) => Some(v.clone()),
        _ => None,
    }
}

fn report(diags: &mut Diagnostics, path: Option<AttributePath>, error: bool, p: Problem) {
    match (error, path) {
        (true, Some(path)) => diags.error_at(path, p.summary, p.detail),
        (true, None) => diags.error(p.summary, p.detail),
        (false, Some(path)) => diags.warning_at(path, p.summary, p.detail),
        (false, None) => diags.warning(p.summary, p.detail),
    }
}

fn check_conflicts(config: &Value, diags: &mut Diagnostics) {
    for (a, b) in CONFLICTS {
        if config.get(a).as_str().is_some() && config.get(b).as_str().is_some() {
            diags.error_at(
                AttributePath::root(*b),
                "Conflicting Arguments",
                format!("Set only one of `{a}` and `{b}`."),
            );
        }
    }
}

/// Checks what can be checked without the environment: every explicit argument against its
/// validator, all problems at once. Unknown values are skipped: they are checked again at
/// configure time.
pub fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for s in SETTINGS {
        let Some(text) = explicit_text(config, s.name) else {
            continue;
        };
        let origin = format!("`{}`", s.name);
        let path = || Some(AttributePath::root(s.name));
        if let Err(p) = s.check.parse(&text, &origin) {
            report(&mut diags, path(), true, p);
        }
    }
    check_conflicts(config, &mut diags);
    diags
}

/// Reads the environment, lays the explicit settings over it, and returns the Azure side's config
/// plus what the resource needs.
pub fn resolve(config: &Value) -> Result<(AzureConfig, ResourceSettings), Diagnostics> {
    resolve_with(config, &|k| std::env::var(k).ok())
}

/// Where a setting's text came from, for diagnostics.
enum Origin {
    Argument,
    Variable(&'static str),
    Default,
}

/// The setting's text: the explicit argument, else the first non-blank variable, else the
/// table's default.
fn lookup(
    s: &Setting,
    config: &Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, Origin)> {
    if let Some(text) = explicit_text(config, s.name) {
        return Some((text, Origin::Argument));
    }
    let from_env = s.env.iter().find_map(|k| {
        env(k)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, Origin::Variable(k)))
    });
    from_env.or_else(|| s.default.map(|d| (d.to_owned(), Origin::Default)))
}

/// The provider's resolved settings while they are being assembled.
struct Resolved {
    az: AzureConfig,
    resource: ResourceSettings,
    /// `(argument, file, variable)` of the `*_file_path` settings, read after the loop.
    files: Vec<(&'static str, String, &'static str)>,
}

fn resolve_with(
    config: &Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(AzureConfig, ResourceSettings), Diagnostics> {
    let mut diags = Diagnostics::new();
    check_conflicts(config, &mut diags);
    let mut r = Resolved {
        az: AzureConfig::default(),
        resource: ResourceSettings::default(),
        files: Vec::new(),
    };
    for s in SETTINGS {
        let Some((text, origin)) = lookup(s, config, env) else {
            continue;
        };
        let (label, path) = match origin {
            Origin::Argument => (format!("`{}`", s.name), Some(AttributePath::root(s.name))),
            Origin::Variable(v) => (format!("`{v}`"), None),
            Origin::Default => (format!("the default of `{}`", s.name), None),
        };
        match s.check.parse(&text, &label) {
            Ok(v) => apply(&mut r, s, v),
            Err(p) => report(&mut diags, path, true, p),
        }
    }

    // Secrets in files are read here so a missing file is reported against the argument that
    // named it, not later as an authentication failure.
    let mut az = r.az;
    for (name, file, var) in r.files {
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
    Ok((az, r.resource))
}

/// Stores one checked value where it belongs. The table's names are matched here and nowhere
/// else; `every_setting_lands_somewhere` proves no row is forgotten.
fn apply(r: &mut Resolved, s: &Setting, v: Parsed) {
    let az = &mut r.az;
    let text = match v {
        Parsed::Bool(b) => {
            match s.name {
                "use_oidc" => az.use_oidc = b,
                "use_aks_workload_identity" => az.use_aks_workload_identity = b,
                "use_msi" => az.use_msi = b,
                "use_cli" => az.use_cli = b,
                "validate_on_plan" => r.resource.validate_on_plan = b,
                "coalesce_reads" => r.resource.coalesce_reads = b,
                other => unreachable!("boolean setting {other} has no field"),
            }
            return;
        }
        Parsed::Duration(d) => {
            match s.name {
                "role_propagation_timeout" => r.resource.role_propagation_timeout = d,
                other => unreachable!("duration setting {other} has no field"),
            }
            return;
        }
        Parsed::Text(t) => t,
    };
    let secret = || Some(Secret::new(text.clone()));
    match s.name {
        "subscription_id" => az.subscription_id = text,
        "tenant_id" => az.tenant_id = Some(text),
        "client_id" => az.client_id = Some(text),
        "client_secret" => az.client_secret = secret(),
        "client_certificate_path" => az.client_certificate_path = Some(PathBuf::from(text)),
        "client_certificate_password" => az.client_certificate_password = secret(),
        "oidc_token" => az.oidc_token = secret(),
        "oidc_token_file_path" => az.oidc_token_file_path = Some(PathBuf::from(text)),
        "oidc_request_url" => az.oidc_request_url = Some(text),
        "oidc_request_token" => az.oidc_request_token = secret(),
        "ado_pipeline_service_connection_id" => az.ado_pipeline_service_connection_id = Some(text),
        "msi_endpoint" => az.msi_endpoint = Some(text),
        "environment" => az.environment = text,
        "metadata_host" => az.metadata_host = Some(text),
        "resource_manager_endpoint" => az.resource_manager_endpoint = Some(text),
        "active_directory_authority_host" => az.active_directory_authority_host = Some(text),
        "resource_manager_audience" => az.resource_manager_audience = Some(text),
        "api_version" => az.api_version = text,
        "partner_id" => az.partner_id = Some(text),
        "client_id_file_path" | "client_secret_file_path" => r.files.push((s.name, text, s.env[0])),
        other => unreachable!("setting {other} has no field"),
    }
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
        let (az, _) = resolve_with(&c, &env).unwrap();
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
    fn missing_secret_file_names_the_argument() {
        let c = cfg(&[(
            "client_secret_file_path",
            Value::string("/nonexistent/secret"),
        )]);
        let err = resolve_with(&c, &|_| None).unwrap_err();
        let d = err.iter().next().unwrap();
        assert_eq!(
            d.attribute.as_ref().unwrap().to_string(),
            "client_secret_file_path"
        );
    }

    #[test]
    fn unknown_api_version_is_an_error_on_its_attribute() {
        let c = cfg(&[("api_version", Value::string("2024-04-01"))]);
        let d = validate(&c);
        assert!(d.has_errors());
        assert_eq!(d.len(), 1);
        let e = d.iter().next().unwrap();
        assert_eq!(e.attribute.as_ref().unwrap().to_string(), "api_version");
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

    fn lookup_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    /// Only the documented variables take effect: `ARM_API_VERSION` and `ARM_METADATA_HOST`
    /// (read by an older, second table) are ignored.
    #[test]
    fn only_documented_variables_take_effect() {
        let none = cfg(&[]);
        let (az, _) = resolve_with(
            &none,
            &lookup_of(&[
                ("ARM_API_VERSION", "2021-01-01"),
                ("ARM_METADATA_HOST", "management.example"),
            ]),
        )
        .unwrap();
        assert_eq!(az.api_version, DEFAULT_API_VERSION);
        assert_eq!(az.metadata_host, None);
        let (az, _) = resolve_with(
            &none,
            &lookup_of(&[
                ("ARM_DATAPROTECTION_API_VERSION", "2021-01-01"),
                ("ARM_METADATA_HOSTNAME", "management.example"),
            ]),
        )
        .unwrap();
        assert_eq!(az.api_version, "2021-01-01");
        assert_eq!(az.metadata_host.as_deref(), Some("management.example"));
        // The explicit argument still wins over the variable.
        let explicit = cfg(&[("api_version", Value::string("2025-07-01"))]);
        let (az, _) = resolve_with(
            &explicit,
            &lookup_of(&[("ARM_DATAPROTECTION_API_VERSION", "2021-01-01")]),
        )
        .unwrap();
        assert_eq!(az.api_version, "2025-07-01");
    }

    /// Each argument's description names every variable it is read from, and its default.
    #[test]
    fn every_variable_is_named_in_its_description() {
        let s = schema();
        for setting in SETTINGS {
            let a = s
                .block
                .attributes
                .iter()
                .find(|a| a.name == setting.name)
                .unwrap_or_else(|| panic!("{} missing from the schema", setting.name));
            assert!(!setting.env.is_empty(), "{} has no variable", setting.name);
            for var in setting.env {
                assert!(
                    a.description.contains(&format!("`{var}`")),
                    "{}: {}",
                    setting.name,
                    a.description
                );
            }
            if let Some(d) = setting.default {
                assert!(a.description.contains(&format!("Defaults to `{d}`")));
            }
            assert_eq!(a.sensitive, setting.sensitive, "{}", setting.name);
        }
        assert_eq!(s.block.attributes.len(), SETTINGS.len());
    }

    /// With nothing configured, the table's defaults give exactly the Azure side's defaults.
    #[test]
    fn table_defaults_match_the_azure_defaults() {
        let (az, rs) = resolve_with(&cfg(&[]), &|_| None).unwrap();
        assert_eq!(az, AzureConfig::default());
        assert!(rs.validate_on_plan);
        assert_eq!(
            rs.role_propagation_timeout,
            DEFAULT_ROLE_PROPAGATION_TIMEOUT
        );
    }

    /// The variables of both former tables, with their fallbacks and blank values skipped.
    #[test]
    fn environment_reads_every_variable_and_fallbacks() {
        let env = lookup_of(&[
            (
                "ARM_SUBSCRIPTION_ID",
                "11111111-1111-1111-1111-111111111111",
            ),
            ("ARM_TENANT_ID", "22222222-2222-2222-2222-222222222222"),
            ("ARM_USE_CLI", "no"),
            ("ARM_USE_OIDC", "yes"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh.example/token"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ghtok"),
            ("ARM_OIDC_REQUEST_URL", " "),
            ("ARM_ENVIRONMENT", "China"),
            ("ARM_METADATA_HOSTNAME", "management.example"),
            ("ARM_DATAPROTECTION_API_VERSION", "2021-01-01"),
            ("ARM_DATAPROTECTION_VALIDATE_ON_PLAN", "off"),
            ("ARM_DATAPROTECTION_ROLE_PROPAGATION_TIMEOUT", "90s"),
        ]);
        let (c, rs) = resolve_with(&cfg(&[]), &env).unwrap();
        assert_eq!(c.subscription_id, "11111111-1111-1111-1111-111111111111");
        assert_eq!(
            c.tenant_id.as_deref(),
            Some("22222222-2222-2222-2222-222222222222")
        );
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
        assert!(!rs.validate_on_plan);
        assert_eq!(rs.role_propagation_timeout, Duration::from_secs(90));
    }

    /// A bad variable is reported by its name, and every bad one at once.
    #[test]
    fn bad_variables_are_reported_by_name() {
        let env = lookup_of(&[
            ("ARM_USE_MSI", "maybe"),
            ("ARM_DATAPROTECTION_API_VERSION", "latest"),
            ("ARM_RESOURCE_MANAGER_ENDPOINT", "http://example.com/"),
        ]);
        let d = resolve_with(&cfg(&[]), &env).unwrap_err();
        let all: Vec<String> = d.iter().map(|d| d.detail.clone()).collect();
        for var in [
            "ARM_USE_MSI",
            "ARM_DATAPROTECTION_API_VERSION",
            "ARM_RESOURCE_MANAGER_ENDPOINT",
        ] {
            assert!(all.iter().any(|x| x.contains(var)), "{var}: {all:?}");
        }
    }

    /// Every row of the table is stored somewhere: applying a non-default value changes the
    /// result (and does not reach the `unreachable!` arms).
    #[test]
    fn every_setting_lands_somewhere() {
        for s in SETTINGS {
            let text = match s.check {
                Check::Guid => "44444444-4444-4444-4444-444444444444",
                Check::Bool if s.default == Some("true") => "false",
                Check::Bool => "true",
                Check::Endpoint => "https://x.example/",
                Check::Environment => "china",
                Check::ApiVersion => "2021-01-01",
                Check::Duration => "1m",
                Check::Text | Check::FilePath => "some-value",
            };
            let fresh = || Resolved {
                az: AzureConfig::default(),
                resource: ResourceSettings::default(),
                files: Vec::new(),
            };
            let mut r = fresh();
            apply(&mut r, s, s.check.parse(text, "x").unwrap());
            let before = fresh();
            let changed = r.az != before.az
                || r.resource.validate_on_plan != before.resource.validate_on_plan
                || r.resource.coalesce_reads != before.resource.coalesce_reads
                || r.resource.role_propagation_timeout != before.resource.role_propagation_timeout
                || r.files.len() != before.files.len();
            assert!(changed, "{} was not stored", s.name);
        }
    }
}
