//! End to end (issue 10): inputs that used to reach Azure are refused at validate on their
//! attribute, `.`/`..` never address another resource (import included), a transient validation
//! failure at plan is a warning that apply re-checks, and `terraform destroy` never depends on
//! whether a create would validate. Real Terraform (1.11.4 and 1.0.3) against the emulator.

mod common;

use common::emu::{self, Emu};
use common::{apply, ctx, terraforms};
use serde_json::json;

const HEADER: &str = r#"
terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
  }
}
"#;

/// One disk instance named `label` with `extra` lines inside the resource block.
fn disk_instance(label: &str, disk: &str, extra: &str) -> String {
    format!(
        r#"
resource "azurebackup_instance" "{label}" {{
  vault_id                   = "{vault}"
  datasource_id              = "{ds}"
  location                   = "westeurope"
  policy_id                  = "{policy}"
  snapshot_resource_group_id = "{snap}"
{extra}
}}
"#,
        vault = emu::vault(),
        ds = emu::disk(disk),
        policy = emu::policy("policy-disk"),
        snap = emu::rg("rg-snapshots"),
    )
}

fn provider(extra: &str) -> String {
    format!("provider \"azurebackup\" {{\n{extra}\n}}\n")
}

/// Every input class that used to reach Azure is an error at `terraform validate`, on its
/// attribute, and nothing is sent.
#[test]
fn bad_inputs_are_refused_at_validate_on_their_attribute() {
    let dotted_vault = emu::vault().replace("/backupVaults/vault-demo", "/backupVaults/..");
    let dotted_rg = emu::vault().replace("/resourceGroups/rg-backup/", "/resourceGroups/./");
    let non_guid = emu::vault().replace(emu::SUB, "my-subscription");
    let long_segment = format!("  name = \"{}\"", "a".repeat(10 * 1024));
    let cases: Vec<(&str, String, String)> = vec![
        ("name = \"..\"", String::new(), "  name = \"..\"".into()),
        ("name = \".\"", String::new(), "  name = \".\"".into()),
        ("leading space", String::new(), "  name = \" bi-1\"".into()),
        ("non-ASCII", String::new(), "  name = \"bi-ü\"".into()),
        ("10 KB name", String::new(), long_segment),
        (
            "huge timeout",
            String::new(),
            "  timeouts {\n    read = \"10000000000000000000s\"\n  }".into(),
        ),
        (
            "timeout past a week",
            String::new(),
            "  timeouts {\n    create = \"200h\"\n  }".into(),
        ),
    ];
    for tf in terraforms() {
        let emu = Emu::start();
        for (what, provider_extra, resource_extra) in &cases {
            let wd = emu.workdir(&tf);
            wd.write(
                "main.tf",
                &format!(
                    "{HEADER}{}{}",
                    provider(provider_extra),
                    disk_instance("x", "disk-1", resource_extra)
                ),
            );
            let out = wd.run(&["validate", "-no-color"]);
            assert!(!out.success(), "{}", ctx(&tf, what, &out));
            let want = if what.contains("timeout") {
                "Invalid Timeout"
            } else {
                "Invalid Name"
            };
            out.assert_contains(want);
        }
        // The location as a display name, or with a trailing newline.
        for (what, location) in [
            ("display name", "West Europe"),
            ("trailing newline", "westeurope\\n"),
        ] {
            let wd = emu.workdir(&tf);
            let config = disk_instance("x", "disk-1", "").replace(
                "location                   = \"westeurope\"",
                &format!("location                   = \"{location}\""),
            );
            wd.write("main.tf", &format!("{HEADER}{}{config}", provider("")));
            let out = wd.run(&["validate", "-no-color"]);
            assert!(!out.success(), "{}", ctx(&tf, what, &out));
            out.assert_contains("Invalid Location")
                .assert_contains("location");
        }
        // `.`/`..` and non-GUID subscriptions inside `vault_id`.
        for (what, vault) in [
            ("vault ..", &dotted_vault),
            ("resource group .", &dotted_rg),
            ("non-GUID subscription", &non_guid),
        ] {
            let wd = emu.workdir(&tf);
            let config = disk_instance("x", "disk-1", "")
                .replace(&format!("\"{}\"", emu::vault()), &format!("\"{vault}\""))
                .replace(
                    &format!("\"{}\"", emu::policy("policy-disk")),
                    &format!("\"{vault}/backupPolicies/policy-disk\""),
                );
            wd.write("main.tf", &format!("{HEADER}{}{config}", provider("")));
            let out = wd.run(&["validate", "-no-color"]);
            assert!(!out.success(), "{}", ctx(&tf, what, &out));
            out.assert_contains("Invalid Backup Vault ID");
        }
        // Provider arguments: an unknown API version, a non-GUID partner ID, a huge wait.
        for (what, extra, want) in [
            (
                "api_version",
                "  api_version = \"2024-04-01\"",
                "Invalid API Version",
            ),
            ("partner_id", "  partner_id = \"acme\"", "Invalid GUID"),
            (
                "role_propagation_timeout",
                "  role_propagation_timeout = \"10000000000000000000s\"",
                "Invalid Duration",
            ),
            (
                "subscription_id",
                "  subscription_id = \"my-subscription\"",
                "Invalid GUID",
            ),
        ] {
            let wd = emu.workdir(&tf);
            wd.write(
                "main.tf",
                &format!(
                    "{HEADER}{}{}",
                    provider(extra),
                    disk_instance("x", "disk-1", "")
                ),
            );
            let out = wd.run(&["plan", "-input=false", "-no-color"]);
            assert!(!out.success(), "{}", ctx(&tf, what, &out));
            out.assert_contains(want);
        }
        let sent = emu.admin("GET", "/requests", None);
        let arm = sent["requests"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter(|q| q["path"].as_str().unwrap_or("").contains("/subscriptions/"))
                    .count()
            })
            .unwrap_or(0);
        assert_eq!(
            arm, 0,
            "terraform {}: requests reached Azure: {sent}",
            tf.version
        );
    }
}

/// `terraform import` of `…/backupInstances/..` fails (it used to import the vault document).
#[test]
fn import_of_a_dot_dot_instance_id_fails() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &format!(
                "{HEADER}{}{}",
                provider(""),
                disk_instance("x", "disk-1", "")
            ),
        );
        for dots in ["..", "."] {
            let id = format!("{}/backupInstances/{dots}", emu::vault());
            let out = wd.run(&[
                "import",
                "-input=false",
                "-no-color",
                "azurebackup_instance.x",
                &id,
            ]);
            assert!(!out.success(), "{}", ctx(&tf, "import must fail", &out));
            let state = wd.run(&["state", "list"]);
            assert!(state.stdout.trim().is_empty(), "{}", state.combined());
        }
    }
}

/// A validation that keeps failing inside the service is a warning at plan (not "validated at
/// plan"): apply validates again, so a plan made during the outage applies once it is over.
#[test]
fn transient_validation_failure_at_plan_is_a_warning_and_apply_validates_again() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.knobs(json!({"operation_rules": [{"pattern": "*disk-1*", "operation": "validate", "outcome": "fail"}]}));
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &format!(
                "{HEADER}{}{}",
                provider(""),
                disk_instance("x", "disk-1", "  timeouts {\n    read = \"8s\"\n  }")
            ),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
        assert!(
            out.success(),
            "{}",
            ctx(&tf, "plan must pass with a warning", &out)
        );
        out.assert_contains("Backup Validation Incomplete");
        emu.knobs(json!({"operation_rules": []}));
        emu.admin("DELETE", "/requests", None);
        let out = wd.run(&["apply", "-input=false", "-no-color", "tfplan"]);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        let counters = emu.counters();
        let validations = counters["operations"]["validateForBackup"]["count"]
            .as_u64()
            .unwrap_or(0);
        assert!(
            validations >= 1,
            "terraform {}: apply did not validate again: {counters}",
            tf.version
        );
        assert_eq!(emu.instances().len(), 1);
    }
}

/// `terraform destroy` succeeds although a configured, not yet created instance would fail
/// validation (its datasource is already protected by another configuration's instance).
#[test]
fn destroy_does_not_depend_on_create_validation() {
    for tf in terraforms() {
        let emu = Emu::start();
        // Another configuration protects disk-1.
        let other = emu.workdir(&tf);
        other.write(
            "main.tf",
            &format!(
                "{HEADER}{}{}",
                provider(""),
                disk_instance("o", "disk-1", "  name = \"other\"")
            ),
        );
        let out = apply(&other);
        assert!(out.success(), "{}", ctx(&tf, "other apply", &out));
        // This one has disk-2 in state, then gains disk-1 in configuration only.
        let wd = emu.workdir(&tf);
        let one = format!(
            "{HEADER}{}{}",
            provider(""),
            disk_instance("a", "disk-2", "")
        );
        wd.write("main.tf", &one);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        wd.write(
            "main.tf",
            &format!("{one}{}", disk_instance("b", "disk-1", "  name = \"mine\"")),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "plan warns", &out));
        out.assert_contains("Warning: Datasource Already Protected");
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        assert_eq!(
            emu.instances().len(),
            1,
            "only the other configuration's instance is left"
        );
    }
}

/// A token endpoint whose certificate is not trusted (another CA in `SSL_CERT_FILE`): the error
/// says the certificate of that host is not trusted and how to trust it, not "credentials".
#[test]
fn an_untrusted_certificate_names_the_host_and_ssl_cert_file() {
    for tf in terraforms() {
        let emu = Emu::start();
        let other = Emu::start();
        let other_ca = other.handle.env["SSL_CERT_FILE"].clone();
        let mut wd = emu.workdir(&tf);
        wd.env("SSL_CERT_FILE", &other_ca);
        wd.write(
            "main.tf",
            &format!(
                "{HEADER}{}{}",
                provider(""),
                disk_instance("x", "disk-1", "")
            ),
        );
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "apply must fail", &out));
        let host = emu
            .handle
            .endpoint
            .trim_start_matches("https://")
            .to_string();
        // Terraform wraps long lines; compare with whitespace collapsed.
        let text = out
            .combined()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for want in [
            format!("the TLS certificate of {host} is not trusted"),
            "SSL_CERT_FILE".to_string(),
        ] {
            assert!(
                text.contains(&want),
                "missing {want:?}: {}",
                ctx(&tf, "apply", &out)
            );
        }
        assert!(
            !out.combined().contains("retry policy expired"),
            "{}",
            ctx(&tf, "retried", &out)
        );
    }
}
