//! Logging to stderr (never stdout, which belongs to the handshake), at the level Terraform's
//! users ask for with `TF_LOG_PROVIDER` or `TF_LOG`. Under Terraform the lines are hclog JSON:
//! go-plugin files a plain-text stderr line under DEBUG whatever it says, so only JSON with
//! `@level` makes an INFO line visible at `TF_LOG=INFO`. Run by hand (`--debug`), plain text.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// One event as the JSON line go-plugin parses (`@level`, `@message`, `@timestamp` with exactly
/// six fractional digits, `@module`, then the event's fields as key/value pairs).
struct HclogJson {
    module: &'static str,
}

#[derive(Default)]
struct Fields {
    message: String,
    extra: serde_json::Map<String, serde_json::Value>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.extra.insert(field.name().to_owned(), value.into());
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.extra.insert(field.name().to_owned(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.extra.insert(field.name().to_owned(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.extra.insert(field.name().to_owned(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.extra.insert(field.name().to_owned(), text.into());
        }
    }
}

impl<S, N> FormatEvent<S, N> for HclogJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let meta = event.metadata();
        let level = match *meta.level() {
            tracing::Level::TRACE => "trace",
            tracing::Level::DEBUG => "debug",
            tracing::Level::INFO => "info",
            tracing::Level::WARN => "warn",
            tracing::Level::ERROR => "error",
        };
        let now = time::OffsetDateTime::now_utc();
        let timestamp = now
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ))
            .unwrap_or_default();
        let mut line = serde_json::Map::new();
        line.insert("@level".into(), level.into());
        line.insert("@message".into(), fields.message.into());
        line.insert("@timestamp".into(), timestamp.into());
        line.insert(
            "@module".into(),
            format!("{}.{}", self.module, meta.target()).into(),
        );
        line.extend(fields.extra);
        writeln!(writer, "{}", serde_json::Value::Object(line))
    }
}

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

/// `module` prefixes every hclog `@module` (`{module}.{target}`), as Terraform's own providers do.
pub(crate) fn init(module: &'static str) {
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
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(EnvFilter::new(directives));
    if under_terraform() {
        let _ = builder.event_format(HclogJson { module }).try_init();
    } else {
        let _ = builder.try_init();
    }
}

/// Terraform sets the magic cookie when it launches a plugin; `--debug` runs do not have it.
fn under_terraform() -> bool {
    std::env::var_os("TF_PLUGIN_MAGIC_COOKIE").is_some()
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
    fn hclog_lines_carry_level_message_timestamp_and_fields() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .event_format(HclogJson { module: "example" })
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(instance = "bi-1", attempt = 2u64, "waiting for protection");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["@level"], "info");
        assert_eq!(v["@message"], "waiting for protection");
        assert_eq!(v["instance"], "bi-1");
        assert_eq!(v["attempt"], 2);
        assert!(
            v["@module"].as_str().unwrap().starts_with("example."),
            "{v}"
        );
        // go-plugin parses "2006-01-02T15:04:05.000000Z07:00": six fractional digits.
        let ts = v["@timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), "2026-01-01T00:00:00.000000Z".len(), "{ts}");
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
