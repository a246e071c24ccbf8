//! End to end through real Terraform (1.11.4 on PATH and 1.0.3): the plugin foundation — handshake,
//! schema, provider validation and configuration — without touching a resource.

mod common;

use common::{Workdir, terraforms};

const PROVIDER_ONLY: &str = r#"
terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
  }
}
provider "azurebackup" {
  tenant_id     = "22222222-2222-2222-2222-222222222222"
  client_id     = "33333333-3333-3333-3333-333333333333"
  client_secret = "not-used-by-a-plan-without-resources"
  use_cli       = false
}
"#;

const RESOURCE: &str = r#"
resource "azurebackup_instance" "x" {
  vault_id                   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo"
  datasource_id              = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
  location                   = "westeurope"
  policy_id                  = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-disk"
  snapshot_resource_group_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots"
}
"#;

/// A plan of a configuration with only a provider block succeeds with no changes. Terraform prunes
/// a provider no resource uses, so this exercises start-up, handshake, schema and shutdown; the
/// resource tests exercise validation and configuration.
#[test]
fn plan_with_only_a_provider_block_succeeds() {
    for tf in terraforms() {
        let wd = Workdir::new(&tf);
        wd.write("main.tf", PROVIDER_ONLY);
        let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        out.assert_success();
        assert!(
            out.stdout.contains("No changes"),
            "terraform {}: {}",
            tf.version,
            out.combined()
        );
    }
}

/// A wrong provider setting is refused with a diagnostic that names the attribute, and every
/// wrong setting is reported in the same run.
#[test]
fn bad_provider_settings_name_their_attributes() {
    for tf in terraforms() {
        let wd = Workdir::new(&tf);
        // A resource makes Terraform validate the provider block (an unused provider is pruned).
        let config = PROVIDER_ONLY.replace(
            "use_cli       = false",
            "use_cli       = false\n  environment = \"mars\"\n  resource_manager_endpoint = \"http://example.com/\"",
        ) + RESOURCE;
        wd.write("main.tf", &config);
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(
            !out.success(),
            "terraform {} accepted a bad environment",
            tf.version
        );
        out.assert_contains("Invalid Azure Environment");
        out.assert_contains("environment = \"mars\"");
        out.assert_contains("Invalid Endpoint URL");
    }
}

/// `terraform providers schema -json` shows the provider and resource schemas with their
/// descriptions and sensitivity.
#[test]
fn providers_schema_json_shows_the_schema() {
    for tf in terraforms() {
        let wd = Workdir::new(&tf);
        wd.write("main.tf", PROVIDER_ONLY);
        // `providers schema` needs an initialised directory: use the filesystem mirror.
        let wd = {
            drop(wd);
            let w = Workdir::with_mirror(&tf);
            w.write("main.tf", PROVIDER_ONLY);
            w.run(&["init", "-input=false", "-no-color"])
                .assert_success();
            w
        };
        let out = wd.run(&["providers", "schema", "-json"]);
        out.assert_success();
        let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("schema JSON");
        let p = &v["provider_schemas"]["registry.terraform.io/azurebackup/azurebackup"];
        assert_eq!(
            p["provider"]["block"]["attributes"]["client_secret"]["sensitive"], true,
            "terraform {}",
            tf.version
        );
        let r = &p["resource_schemas"]["azurebackup_instance"]["block"];
        assert_eq!(r["attributes"]["vault_id"]["required"], true);
        assert_eq!(r["attributes"]["protection_state"]["computed"], true);
        assert!(r["block_types"]["timeouts"].is_object());
    }
}

/// Only the documented variable sets the API version: through real Terraform against the
/// emulator, a plan (whose `validateForBackup` call is the only request) carries the default
/// `api-version=2025-07-01` under the undocumented `ARM_API_VERSION=2021-01-01`, and
/// `2021-01-01` under `ARM_DATAPROTECTION_API_VERSION=2021-01-01`.
#[test]
fn only_the_documented_variable_sets_the_api_version() {
    use common::emu::{self, Emu};

    let resource = format!(
        r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
resource "azurebackup_instance" "x" {{
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "westeurope"
  policy_id                  = "{policy}"
  snapshot_resource_group_id = "{rg}"
}}
"#,
        vault = emu::vault(),
        disk = emu::disk("disk-1"),
        policy = emu::policy("policy-disk"),
        rg = emu::rg("rg-snapshots"),
    );
    for tf in terraforms() {
        let emu = Emu::start();
        for (var, want) in [
            ("ARM_API_VERSION", "2025-07-01"),
            ("ARM_DATAPROTECTION_API_VERSION", "2021-01-01"),
        ] {
            emu.admin("DELETE", "/requests", None);
            let mut wd = emu.workdir(&tf);
            wd.env(var, "2021-01-01");
            wd.write("main.tf", &resource);
            let out = wd.run(&["plan", "-input=false", "-no-color"]);
            out.assert_success();
            let log = emu.admin("GET", "/requests", None);
            let versions: Vec<&str> = log["requests"]
                .as_array()
                .expect("request log")
                .iter()
                .filter_map(|e| e["api_version"].as_str())
                .collect();
            assert!(
                !versions.is_empty(),
                "terraform {} with {var}: no Data Protection request: {log}",
                tf.version
            );
            assert!(
                versions.iter().all(|v| *v == want),
                "terraform {} with {var}=2021-01-01: want api-version={want}, got {versions:?}",
                tf.version
            );
        }
    }
}

/// Two data sources and a resource on one provider: what a wrong secret or a dead endpoint
/// would otherwise report once for each of them.
fn three_readers() -> String {
    use common::emu;
    format!(
        r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
provider "azurebackup" {{}}
data "azurebackup_role_assignments" "disk" {{
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  snapshot_resource_group_id = "{rg}"
}}
data "azurebackup_instances" "all" {{
  vault_id = "{vault}"
}}
resource "azurebackup_instance" "x" {{
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "westeurope"
  policy_id                  = "{policy}"
  snapshot_resource_group_id = "{rg}"
}}
"#,
        vault = emu::vault(),
        disk = emu::disk("disk-1"),
        policy = emu::policy("policy-disk"),
        rg = emu::rg("rg-snapshots"),
    )
}

/// A client secret the identity platform refuses is one error, at provider configuration, that
/// says it is about authentication and carries the platform's own explanation (AADSTS code) —
/// not one "Unable to Read ..." per data source and resource — and never shows the secret.
#[test]
fn a_wrong_secret_is_one_error_at_provider_configuration() {
    use common::emu::Emu;
    const WRONG: &str = "not-the-emulator-secret";
    for tf in terraforms() {
        let emu = Emu::start();
        let mut wd = emu.workdir(&tf);
        wd.env("ARM_CLIENT_SECRET", WRONG);
        wd.write("main.tf", &three_readers());
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(
            !out.success(),
            "terraform {}: {}",
            tf.version,
            out.combined()
        );
        let text = out.combined();
        assert_eq!(
            text.matches("Error: ").count(),
            1,
            "terraform {}: want one error:\n{text}",
            tf.version
        );
        assert!(
            text.contains("Unable to Authenticate to Azure"),
            "terraform {}:\n{text}",
            tf.version
        );
        assert!(text.contains("client secret"), "{text}");
        assert!(
            text.contains("AADSTS"),
            "the platform's reason is missing:\n{text}"
        );
        assert!(!text.contains("Unable to Read"), "{text}");
        assert!(!text.contains(WRONG), "the secret leaked:\n{text}");
        assert!(
            emu.instances().is_empty(),
            "nothing may be created without a token"
        );
    }
}

/// An endpoint nothing listens on: the error names the host and port and says "connection
/// refused", instead of "retry policy expired and the request will no longer be retried".
#[test]
fn an_unreachable_endpoint_names_the_host_and_the_cause() {
    // A port that was just free: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("https://127.0.0.1:{port}/");
    for tf in terraforms() {
        let mut wd = Workdir::new(&tf);
        for (k, v) in [
            ("ARM_TENANT_ID", "22222222-2222-2222-2222-222222222222"),
            ("ARM_CLIENT_ID", "33333333-3333-3333-3333-333333333333"),
            ("ARM_CLIENT_SECRET", "a-secret"),
            (
                "ARM_SUBSCRIPTION_ID",
                "11111111-1111-1111-1111-111111111111",
            ),
            ("ARM_USE_CLI", "false"),
            ("ARM_RESOURCE_MANAGER_ENDPOINT", endpoint.as_str()),
            ("ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", endpoint.as_str()),
        ] {
            wd.env(k, v);
        }
        wd.write("main.tf", &three_readers());
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(
            !out.success(),
            "terraform {}: {}",
            tf.version,
            out.combined()
        );
        let text = out.combined();
        assert_eq!(
            text.matches("Error: ").count(),
            1,
            "terraform {}: want one error:\n{text}",
            tf.version
        );
        assert!(
            text.contains(&format!("127.0.0.1:{port}")),
            "terraform {}: the host is not named:\n{text}",
            tf.version
        );
        assert!(text.contains("connection refused"), "{text}");
        assert!(!text.contains("retry policy expired"), "{text}");
        eprintln!(
            "terraform {}: {}",
            tf.version,
            text.lines()
                .filter(|l| l.contains("Error") || l.contains("refused"))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
}
