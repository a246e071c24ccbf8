//! Logging to stderr (never stdout, which belongs to the handshake), at the level Terraform's
//! users ask for with `TF_LOG_PROVIDER` or `TF_LOG`. Terraform copies plugin stderr into its
//! own log, so the output is plain text without colours.

use tracing_subscriber::EnvFilter;

/// What a TF_LOG-style value asks for: a tracing level directive, or nothing at all.
fn level(value: Option<&str>) -> Option<&'static str> {
    match value.map(|v| v.trim().to_ascii_uppercase()).as_deref() {
        Some("OFF") => None,
        // Terraform's JSON means "everything"; hclog JSON itself is not reproduced here.
        Some("TRACE" | "JSON") => Some("trace"),
        Some("DEBUG") => Some("debug"),
        Some("INFO") => Some("info"),
        Some("ERROR") => Some("error"),
        _ => Some("warn"),
    }
}

/// The value that decides: TF_LOG_PROVIDER when set, else TF_LOG.
fn choose(provider: Option<String>, core: Option<String>) -> Option<String> {
    provider
        .filter(|v| !v.is_empty())
        .or(core.filter(|v| !v.is_empty()))
}

pub(crate) fn init() {
    let chosen = choose(
        std::env::var("TF_LOG_PROVIDER").ok(),
        std::env::var("TF_LOG").ok(),
    );
    let Some(lvl) = level(chosen.as_deref()) else {
        return;
    };
    // Transport crates are chatty at debug/trace and say nothing about the provider.
    let quiet = if matches!(lvl, "trace" | "debug") {
        "info"
    } else {
        lvl
    };
    let directives = format!(
        "{lvl},h2={quiet},hyper={quiet},hyper_util={quiet},tower={quiet},tonic={quiet},rustls={quiet}"
    );
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(EnvFilter::new(directives))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_as_terraform_spells_them() {
        assert_eq!(level(None), Some("warn"));
        assert_eq!(level(Some("TRACE")), Some("trace"));
        assert_eq!(level(Some("debug")), Some("debug"));
        assert_eq!(level(Some("JSON")), Some("trace"));
        assert_eq!(level(Some("OFF")), None);
        assert_eq!(level(Some("ERROR")), Some("error"));
        assert_eq!(level(Some("nonsense")), Some("warn"));
    }

    #[test]
    fn provider_level_wins_over_core() {
        assert_eq!(
            choose(Some("ERROR".into()), Some("TRACE".into())).as_deref(),
            Some("ERROR")
        );
        assert_eq!(
            choose(Some(String::new()), Some("TRACE".into())).as_deref(),
            Some("TRACE")
        );
        assert_eq!(choose(None, None), None);
    }
}
