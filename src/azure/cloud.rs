//! Cloud environments and endpoints: the built-in clouds, `metadata_host` discovery, explicit
//! overrides, the https-unless-loopback rule, and the one shared HTTPS client (with extra trust
//! roots from `SSL_CERT_FILE`).

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::azure::config::AzureConfig;
use crate::azure::error::AzureError;

const OP: &str = "configure";

/// Where to send ARM calls and how to get tokens for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudEndpoints {
    /// A short name for logs: `public`, `usgovernment`, `china`, `metadata:<host>` or `custom`.
    pub name: String,
    /// ARM base URL, e.g. `https://management.azure.com/`.
    pub resource_manager: Url,
    /// Entra ID authority host, e.g. `https://login.microsoftonline.com/`.
    pub authority_host: Url,
    /// Token audience, e.g. `https://management.azure.com/`.
    pub audience: String,
}

impl CloudEndpoints {
    /// The storage DNS suffix of this cloud (`core.windows.net` in the public cloud), for the
    /// blob URLs a files restore names. A custom or discovered cloud is taken as public.
    pub fn storage_suffix(&self) -> &'static str {
        match self.name.as_str() {
            "usgovernment" => "core.usgovcloudapi.net",
            "china" => "core.chinacloudapi.cn",
            _ => "core.windows.net",
        }
    }

    /// The OAuth scope for ARM: the audience followed by `/.default`.
    pub fn scope(&self) -> String {
        let a = self.audience.trim_end_matches('/');
        format!("{a}/.default")
    }
}

/// The built-in clouds by name (`public`, `usgovernment`, `china`; a few aliases accepted).
pub fn known_cloud(environment: &str) -> Result<CloudEndpoints, AzureError> {
    let (name, arm, login) = match environment.trim().to_ascii_lowercase().as_str() {
        "" | "public" | "azurecloud" | "azurepubliccloud" => (
            "public",
            "https://management.azure.com/",
            "https://login.microsoftonline.com/",
        ),
        "usgovernment" | "azureusgovernment" | "azureusgovernmentcloud" => (
            "usgovernment",
            "https://management.usgovcloudapi.net/",
            "https://login.microsoftonline.us/",
        ),
        "china" | "azurechinacloud" => (
            "china",
            "https://management.chinacloudapi.cn/",
            "https://login.chinacloudapi.cn/",
        ),
        other => {
            return Err(AzureError::config(
                OP,
                format!(
                    "unknown environment {other:?} (ARM_ENVIRONMENT): expected public, usgovernment or china"
                ),
            ));
        }
    };
    let audience = arm.to_string();
    Ok(CloudEndpoints {
        name: name.to_string(),
        resource_manager: parse_url(arm, "resource manager endpoint")?,
        authority_host: parse_url(login, "authority host")?,
        audience,
    })
}

fn parse_url(s: &str, what: &str) -> Result<Url, AzureError> {
    Url::parse(s.trim())
        .map_err(|e| AzureError::config(OP, format!("the {what} {s:?} is not a valid URL: {e}")))
}

/// True for 127.0.0.0/8, ::1 and `localhost`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Parses an endpoint and enforces https; plain http only to a loopback host (emulators).
pub fn check_endpoint(s: &str, what: &str) -> Result<Url, AzureError> {
    let url = parse_url(s, what)?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => {
            return Err(AzureError::config(
                OP,
                format!(
                    "the {what} {s:?} uses plain http; only https is allowed except for a loopback host (127.0.0.1, ::1, localhost)"
                ),
            ));
        }
        other => {
            return Err(AzureError::config(
                OP,
                format!("the {what} {s:?} has unsupported scheme {other:?}"),
            ));
        }
    }
    if url.host().is_none() {
        return Err(AzureError::config(
            OP,
            format!("the {what} {s:?} has no host"),
        ));
    }
    Ok(url)
}

/// The parts of `GET /metadata/endpoints?api-version=2022-09-01` this provider uses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataResponse {
    #[serde(default)]
    name: Option<String>,
    resource_manager: Option<String>,
    authentication: Option<MetadataAuthentication>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataAuthentication {
    login_endpoint: Option<String>,
    #[serde(default)]
    audiences: Vec<String>,
}

/// The discovery URL for a `metadata_host` (a bare host, `host:port`, or an explicit URL).
pub fn metadata_url(metadata_host: &str) -> Result<Url, AzureError> {
    let h = metadata_host.trim().trim_end_matches('/');
    let base = if h.contains("://") {
        h.to_string()
    } else {
        format!("https://{h}")
    };
    let mut url = check_endpoint(&base, "metadata host")?;
    url.set_path("/metadata/endpoints");
    url.set_query(Some("api-version=2022-09-01"));
    Ok(url)
}

/// Parses a metadata document into endpoints.
pub fn parse_metadata(body: &[u8], source: &str) -> Result<CloudEndpoints, AzureError> {
    let doc: MetadataResponse = serde_json::from_slice(body).map_err(|e| {
        AzureError::config(
            OP,
            format!("the metadata from {source} is not valid JSON: {e}"),
        )
    })?;
    let arm = doc.resource_manager.ok_or_else(|| {
        AzureError::config(
            OP,
            format!("the metadata from {source} has no resourceManager"),
        )
    })?;
    let auth = doc.authentication.ok_or_else(|| {
        AzureError::config(
            OP,
            format!("the metadata from {source} has no authentication section"),
        )
    })?;
    let login = auth.login_endpoint.ok_or_else(|| {
        AzureError::config(
            OP,
            format!("the metadata from {source} has no authentication.loginEndpoint"),
        )
    })?;
    let audience = auth
        .audiences
        .into_iter()
        .find(|a| !a.trim().is_empty())
        .ok_or_else(|| {
            AzureError::config(
                OP,
                format!("the metadata from {source} has no authentication.audiences"),
            )
        })?;
    Ok(CloudEndpoints {
        name: doc
            .name
            .map(|n| format!("metadata:{n}"))
            .unwrap_or_else(|| format!("metadata:{source}")),
        resource_manager: check_endpoint(&arm, "resource manager endpoint from metadata")?,
        authority_host: check_endpoint(&login, "login endpoint from metadata")?,
        audience,
    })
}

/// Resolves the endpoints: the named environment or `metadata_host` discovery, then explicit
/// overrides on top. Discovery uses `http` (the shared client).
pub async fn resolve(
    config: &AzureConfig,
    http: &reqwest::Client,
) -> Result<CloudEndpoints, AzureError> {
    let mut ep = match config
        .metadata_host
        .as_deref()
        .filter(|h| !h.trim().is_empty())
    {
        Some(host) => discover(host, http).await?,
        None => known_cloud(&config.environment)?,
    };
    apply_overrides(&mut ep, config)?;
    Ok(ep)
}

/// Applies `resource_manager_endpoint`, `active_directory_authority_host` and
/// `resource_manager_audience`.
pub fn apply_overrides(ep: &mut CloudEndpoints, config: &AzureConfig) -> Result<(), AzureError> {
    let mut custom = false;
    if let Some(arm) = config
        .resource_manager_endpoint
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        ep.resource_manager = check_endpoint(
            arm,
            "resource manager endpoint (ARM_RESOURCE_MANAGER_ENDPOINT)",
        )?;
        custom = true;
    }
    if let Some(aad) = config
        .active_directory_authority_host
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        ep.authority_host =
            check_endpoint(aad, "authority host (ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST)")?;
        custom = true;
    }
    if let Some(aud) = config
        .resource_manager_audience
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        ep.audience = aud.trim().to_string();
        custom = true;
    }
    if custom {
        ep.name = format!("{} (custom)", ep.name);
    }
    Ok(())
}

/// Bounded: a wrong metadata host should fail within seconds, not minutes.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(20);

async fn discover(host: &str, http: &reqwest::Client) -> Result<CloudEndpoints, AzureError> {
    let url = metadata_url(host)?;
    let shown = host.trim().to_string();
    let resp = tokio::time::timeout(
        DISCOVERY_TIMEOUT,
        http.get(url).header("Accept", "application/json").send(),
    )
    .await
    .map_err(|_| AzureError::config(OP, format!("metadata discovery from {shown} timed out")))?
    .map_err(|e| {
        let t = AzureError::transport(OP, e);
        AzureError::config(
            OP,
            format!("metadata discovery from {shown} failed: {}", t.message()),
        )
    })?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| {
        AzureError::config(
            OP,
            format!(
                "reading the metadata from {shown} failed: {}",
                AzureError::transport(OP, e).message()
            ),
        )
    })?;
    if status != 200 {
        return Err(AzureError::config(
            OP,
            format!("metadata discovery from {shown} answered HTTP {status}"),
        ));
    }
    parse_metadata(&body, &shown)
}

/// Reads a PEM bundle of trust roots.
pub fn load_pem_roots(path: &Path) -> Result<Vec<reqwest::Certificate>, AzureError> {
    let pem = std::fs::read(path).map_err(|e| {
        AzureError::config(
            OP,
            format!("cannot read the CA bundle {}: {e}", path.display()),
        )
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        AzureError::config(
            OP,
            format!("the CA bundle {} is not valid PEM: {e}", path.display()),
        )
    })?;
    if certs.is_empty() {
        return Err(AzureError::config(
            OP,
            format!("the CA bundle {} holds no certificate", path.display()),
        ));
    }
    Ok(certs)
}

/// Builds the one HTTPS client: rustls with the platform's roots, plus `extra_roots`, plus every
/// certificate in `SSL_CERT_FILE` when that variable is set. The variable is honoured here
/// explicitly so an emulator's CA works whatever the platform verifier does with it.
pub fn build_http_client(
    extra_roots: Vec<reqwest::Certificate>,
) -> Result<reqwest::Client, AzureError> {
    let mut roots = extra_roots;
    if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
        roots.extend(load_pem_roots(Path::new(&path))?);
    }
    let mut b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .pool_idle_timeout(Duration::from_secs(60))
        // Redirects would carry the bearer token to another host; ARM does not redirect.
        .redirect(reqwest::redirect::Policy::none());
    for c in roots {
        b = b.add_root_certificate(c);
    }
    b.build().map_err(|e| {
        AzureError::config(
            OP,
            format!(
                "cannot build the HTTPS client: {}",
                AzureError::transport(OP, e).message()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_clouds_and_scopes() {
        let p = known_cloud("public").unwrap();
        assert_eq!(p.scope(), "https://management.azure.com/.default");
        assert_eq!(
            p.authority_host.as_str(),
            "https://login.microsoftonline.com/"
        );
        let g = known_cloud("USGovernment").unwrap();
        assert_eq!(g.scope(), "https://management.usgovcloudapi.net/.default");
        assert_eq!(
            g.authority_host.host_str(),
            Some("login.microsoftonline.us")
        );
        let c = known_cloud("china").unwrap();
        assert_eq!(
            c.resource_manager.as_str(),
            "https://management.chinacloudapi.cn/"
        );
        assert_eq!(c.authority_host.host_str(), Some("login.chinacloudapi.cn"));
        let e = known_cloud("mars").unwrap_err();
        assert!(e.is_config() && e.to_string().contains("usgovernment"));
    }

    #[test]
    fn http_only_for_loopback() {
        for ok in [
            "https://example.com/",
            "http://127.0.0.1:8080/",
            "http://127.5.6.7/",
            "http://[::1]:9/",
            "http://localhost:1/",
        ] {
            assert!(check_endpoint(ok, "x").is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "ftp://127.0.0.1/",
            "not a url",
            "http://localhost.evil.com/",
        ] {
            let e = check_endpoint(bad, "x").unwrap_err();
            assert!(e.is_config(), "{bad}");
        }
    }

    #[test]
    fn overrides_apply_on_top() {
        let mut ep = known_cloud("public").unwrap();
        let cfg = AzureConfig {
            resource_manager_endpoint: Some("https://127.0.0.1:4443/".into()),
            active_directory_authority_host: Some("https://127.0.0.1:4443/".into()),
            resource_manager_audience: Some("https://management.core.windows.net/".into()),
            ..AzureConfig::default()
        };
        apply_overrides(&mut ep, &cfg).unwrap();
        assert_eq!(ep.resource_manager.as_str(), "https://127.0.0.1:4443/");
        assert_eq!(ep.scope(), "https://management.core.windows.net/.default");
        let bad = AzureConfig {
            resource_manager_endpoint: Some("http://management.example/".into()),
            ..AzureConfig::default()
        };
        assert!(apply_overrides(&mut ep, &bad).unwrap_err().is_config());
    }

    #[test]
    fn metadata_parsing() {
        let body = br#"{"name":"AzureCloud","resourceManager":"https://management.azure.com/","authentication":{"loginEndpoint":"https://login.microsoftonline.com/","audiences":["https://management.core.windows.net/","https://management.azure.com/"],"tenant":"common"},"suffixes":{}}"#;
        let ep = parse_metadata(body, "management.azure.com").unwrap();
        assert_eq!(
            ep.resource_manager.as_str(),
            "https://management.azure.com/"
        );
        assert_eq!(ep.scope(), "https://management.core.windows.net/.default");
        assert_eq!(
            metadata_url("management.azure.com").unwrap().as_str(),
            "https://management.azure.com/metadata/endpoints?api-version=2022-09-01"
        );
        assert!(metadata_url("http://example.com").is_err());
        assert!(
            parse_metadata(br#"{"resourceManager":"https://x/"}"#, "h")
                .unwrap_err()
                .to_string()
                .contains("authentication")
        );
        assert!(parse_metadata(br#"{"resourceManager":"http://x/","authentication":{"loginEndpoint":"https://l/","audiences":["a"]}}"#, "h").is_err());
    }
}
