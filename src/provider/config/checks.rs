//! The validators behind [`Check`]: one per concept (GUID, file path, boolean, endpoint URL,
//! cloud name, API version, duration), each turning a setting's text into its value or into a
//! problem that says where the text came from.

use std::time::Duration;

use super::table::Check;
use crate::azure::cloud;
use crate::azure::config::check_known_api_version;

/// A value that passed its check.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Parsed {
    Text(String),
    Bool(bool),
    Duration(Duration),
}

/// What is wrong with a value. `origin` in the detail is the argument (`` `api_version` ``) or
/// the variable (`` `ARM_DATAPROTECTION_API_VERSION` ``) it came from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Problem {
    pub summary: &'static str,
    pub detail: String,
}

impl Check {
    /// The value of `text`, or why it is not acceptable.
    pub(super) fn parse(self, text: &str, origin: &str) -> Result<Parsed, Problem> {
        let problem = |summary, detail| Err(Problem { summary, detail });
        match self {
            Check::Text => {}
            Check::Guid => {
                if !text.is_empty() && uuid::Uuid::parse_str(text).is_err() {
                    return problem(
                        "Invalid GUID",
                        format!(
                            "{origin} must be a GUID such as 00000000-0000-0000-0000-000000000000, got {text:?}."
                        ),
                    );
                }
            }
            Check::FilePath => {
                if text.trim().is_empty() {
                    return problem(
                        "Invalid File Path",
                        format!("{origin} is blank; name a file or leave it unset."),
                    );
                }
            }
            Check::Bool => {
                return match parse_bool(text) {
                    Some(b) => Ok(Parsed::Bool(b)),
                    None => problem(
                        "Invalid Boolean",
                        format!("{origin} is {text:?}; use true or false."),
                    ),
                };
            }
            Check::Endpoint => {
                if let Err(e) = cloud::check_endpoint(text, origin) {
                    return problem("Invalid Endpoint URL", e.message());
                }
            }
            Check::Environment => {
                // The Azure side's own list, so every name it accepts (aliases included) passes.
                if cloud::known_cloud(text).is_err() {
                    return problem(
                        "Invalid Azure Environment",
                        format!(
                            "{origin} is {text:?}; use one of \"public\", \"usgovernment\" or \"china\" (or `metadata_host` for other clouds)."
                        ),
                    );
                }
                return Ok(Parsed::Text(text.to_ascii_lowercase()));
            }
            Check::ApiVersion => {
                if let Err(e) = check_known_api_version(text) {
                    return problem("Invalid API Version", format!("{origin}: {e}."));
                }
            }
            Check::Duration => {
                return match parse_duration(text) {
                    Ok(d) => Ok(Parsed::Duration(d)),
                    Err(e) => problem("Invalid Duration", format!("{origin}: {e}")),
                };
            }
        }
        Ok(Parsed::Text(text.to_owned()))
    }
}

/// The boolean spellings Terraform users put in environment variables: the union of what the
/// provider and the Azure side each accepted before they shared one table.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// The longest duration any timeout or wait accepts: a week is far past any Azure operation,
/// and bounding it keeps every deadline computed from it representable.
pub const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// The duration `timeouts.{name}` of a resource's configuration or state, or `default` when
/// unset; a value that is no duration, or zero, is an error on that attribute (and `default`).
pub fn timeout_arg(
    v: &crate::tfplugin::Value,
    name: &str,
    default: Duration,
    diags: &mut crate::tfplugin::Diagnostics,
) -> Duration {
    const TIMEOUTS: &str = "timeouts";
    let path = || crate::tfplugin::AttributePath::root(TIMEOUTS).attr(name);
    match v.get(TIMEOUTS).get(name).as_str() {
        None => default,
        Some(text) => match parse_duration(text) {
            Ok(d) if d.is_zero() => {
                diags.error_at(
                    path(),
                    "Invalid Timeout",
                    format!("`{TIMEOUTS}.{name}` must be greater than zero."),
                );
                default
            }
            Ok(d) => d,
            Err(e) => {
                diags.error_at(path(), "Invalid Timeout", e);
                default
            }
        },
    }
}

/// Durations as Terraform users write them (`30m`, `1h30m`, `90s`), at most [`MAX_DURATION`].
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(v.trim()).map_err(|e| {
        format!("{v:?} is not a duration ({e}); write it like \"30m\", \"1h30m\" or \"90s\".")
    })?;
    if d > MAX_DURATION {
        return Err(format!(
            "{v:?} is longer than {}, the longest duration accepted; use a shorter one such as \"2h\".",
            humantime::format_duration(MAX_DURATION)
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_boolean_spelling_either_parser_took_still_works() {
        for t in ["1", "true", "TRUE", "True", "t", "yes", "Y", "on", " true "] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
            assert_eq!(Check::Bool.parse(t, "x"), Ok(Parsed::Bool(true)), "{t}");
        }
        for f in ["0", "false", "FALSE", "f", "no", "N", "off"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
            assert_eq!(Check::Bool.parse(f, "x"), Ok(Parsed::Bool(false)), "{f}");
        }
        for bad in ["", "maybe", "2", "enabled"] {
            let p = Check::Bool.parse(bad, "`ARM_USE_CLI`").unwrap_err();
            assert_eq!(p.summary, "Invalid Boolean");
            assert!(p.detail.contains("`ARM_USE_CLI`"), "{}", p.detail);
        }
    }

    #[test]
    fn loopback_http_is_allowed_and_other_http_is_not() {
        let ok = |v: &str| Check::Endpoint.parse(v, "`x`").is_ok();
        assert!(ok("http://127.0.0.1:8443/"));
        assert!(ok("http://localhost/"));
        assert!(ok("https://management.azure.com/"));
        assert!(!ok("http://10.0.0.1/"));
        assert!(!ok("ftp://127.0.0.1/"));
    }

    #[test]
    fn environment_accepts_the_azure_sides_names_and_lowercases() {
        assert_eq!(
            Check::Environment.parse("China", "x"),
            Ok(Parsed::Text("china".into()))
        );
        assert!(Check::Environment.parse("AzureUSGovernment", "x").is_ok());
        let p = Check::Environment
            .parse("mars", "`environment`")
            .unwrap_err();
        assert_eq!(p.summary, "Invalid Azure Environment");
    }

    #[test]
    fn durations_past_the_bound_are_rejected() {
        assert_eq!(parse_duration("168h"), Ok(MAX_DURATION));
        for huge in ["169h", "10000000000000000000s", "1000000y"] {
            let e = parse_duration(huge).unwrap_err();
            assert!(
                e.contains("longest duration") || e.contains("not a duration"),
                "{huge}: {e}"
            );
        }
        let p = Check::Duration
            .parse("10000000000000000000s", "`role_propagation_timeout`")
            .unwrap_err();
        assert_eq!(p.summary, "Invalid Duration");
    }

    #[test]
    fn api_version_errors_and_warnings() {
        assert!(Check::ApiVersion.parse("2025-07-01", "x").is_ok());
        // Unknown versions are errors now (they used to be warnings and reach Azure).
        for bad in ["yesterday", "2020-01-01", "2024-04-01"] {
            let p = Check::ApiVersion.parse(bad, "`api_version`").unwrap_err();
            assert_eq!(p.summary, "Invalid API Version", "{bad}");
            assert!(p.detail.contains("`api_version`"), "{}", p.detail);
        }
        let p = Check::ApiVersion
            .parse("2024-04-01", "`api_version`")
            .unwrap_err();
        assert!(p.detail.contains("known: "), "{}", p.detail);
    }
}
