//! End to end (Terraform 1.11.4 on PATH and 1.0.3) against the emulator: diagnostics a person
//! reads once (issue 22, 3 and 6).
//!
//! - A missing role: the plan warns once with the roles of this kind only and the service's
//!   message; apply, after waiting `role_propagation_timeout`, says how long it waited and
//!   refers to the warning instead of repeating it. Prints both diagnostics' line counts.
//! - A policy of another datasource type is an error on `policy_id` at plan.
//! - An instance that fell into ProtectionError is named at plan, with Azure's error.

mod common;

use common::emu::{self, Emu};
use common::{TfOutput, apply, ctx, terraforms};
use serde_json::json;

fn config(provider_extra: &str, policy: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
provider "azurebackup" {{
{provider_extra}
}}
resource "azurebackup_instance" "x" {{
  vault_id                   = "{vault}"
  datasource_id              = "{ds}"
  location                   = "westeurope"
  policy_id                  = "{policy}"
  snapshot_resource_group_id = "{rg}"
}}
output "id" {{ value = azurebackup_instance.x.id }}
"#,
        vault = emu::vault(),
        ds = emu::disk("disk-1"),
        policy = emu::policy(policy),
        rg = emu::rg("rg-snapshots"),
    )
}

/// The lines of the diagnostic titled `title` (from its box's first line to its last).
fn diagnostic<'a>(out: &'a TfOutput, title: &str) -> Vec<&'a str> {
    let text = if out.stderr.contains(title) {
        &out.stderr
    } else {
        &out.stdout
    };
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.contains(title)) else {
        return Vec::new();
    };
    // Terraform draws a box: "╷" above, "╵" below.
    let end = lines[start..]
        .iter()
        .position(|l| l.starts_with('╵'))
        .map(|e| start + e)
        .unwrap_or(lines.len());
    lines[start..end].to_vec()
}

/// The service's message for a disk (Terraform wraps it: compared with whitespace collapsed).
const MESSAGE: &str = "Appropriate permissions to perform the operation is missing on the disk or the snapshot resource group";

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn a_missing_role_is_said_once_with_this_kinds_roles() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.revoke(&emu::rg("rg-data"), "Disk Backup Reader");
        let mut wd = emu.workdir(&tf);
        wd.env("TF_LOG_PROVIDER", "WARN");
        wd.write(
            "main.tf",
            &config("  role_propagation_timeout = \"5s\"", "policy-disk"),
        );
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "missing role", &out));
        let warning = diagnostic(&out, "Warning: Backup Vault Lacks Permissions");
        let error = diagnostic(&out, "Error: Backup Vault Lacks Permissions");
        println!(
            "terraform {}: plan warning {} lines, apply error {} lines\n--- warning\n{}\n--- error\n{}",
            tf.version,
            warning.len(),
            error.len(),
            warning.join("\n"),
            error.join("\n")
        );
        assert!(!warning.is_empty(), "{}", ctx(&tf, "warning", &out));
        assert!(!error.is_empty(), "{}", ctx(&tf, "error", &out));
        let (w, e) = (flat(&warning.join(" ")), flat(&error.join(" ")));
        assert_eq!(
            flat(&out.combined()).matches(MESSAGE).count(),
            1,
            "the service's message once: {}",
            ctx(&tf, "once", &out)
        );
        assert!(
            w.contains(MESSAGE) && w.contains("Disk Backup Reader"),
            "{w}"
        );
        for needle in [
            "Waited",
            "`role_propagation_timeout` is 5s",
            "the plan's warning",
            "Disk Backup Reader",
            "Error code: UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent",
        ] {
            assert!(e.contains(needle), "{needle}: {e}");
        }
        assert!(
            !out.combined().contains("similar warning"),
            "one warning, not one per plan: {}",
            ctx(&tf, "one warning", &out)
        );
        for other_kind in ["PostgreSQL", "Kubernetes", "blob", "Elastic SAN"] {
            assert!(
                !w.contains(other_kind) && !e.contains(other_kind),
                "roles of another kind ({other_kind}): {}",
                ctx(&tf, "this kind only", &out)
            );
        }
        assert!(
            out.stderr
                .contains("waiting up to 5s for role assignments to propagate"),
            "the start of the wait is logged: {}",
            ctx(&tf, "log line", &out)
        );
        assert!(emu.instances().is_empty());
    }
}

/// A PostgreSQL policy on a disk: an error on `policy_id` at plan, for a create and for an
/// in-place policy change; nothing is sent to Azure's PUT.
#[test]
fn a_policy_of_another_kind_is_an_error_on_policy_id_at_plan() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.add_policy("policy-pg", "Microsoft.DBforPostgreSQL/servers/databases");
        let wd = emu.workdir(&tf);
        let check = |out: &TfOutput, what: &str| {
            assert!(!out.success(), "{}", ctx(&tf, what, out));
            let text = out.combined();
            for needle in [
                "Error: Backup Policy Is For Another Datasource Type",
                "policy_id",
                "`Microsoft.DBforPostgreSQL/servers/databases`",
                "protects a managed disk",
            ] {
                assert!(
                    flat(&text).contains(needle),
                    "{needle}: {}",
                    ctx(&tf, what, out)
                );
            }
            assert!(
                !text.contains("Backup Validation Failed"),
                "said once: {}",
                ctx(&tf, what, out)
            );
        };
        wd.write("main.tf", &config("", "policy-pg"));
        check(&wd.run(&["plan", "-input=false", "-no-color"]), "create");
        assert!(emu.instances().is_empty());
        wd.write("main.tf", &config("", "policy-disk"));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        wd.write("main.tf", &config("", "policy-pg"));
        check(
            &wd.run(&["plan", "-input=false", "-no-color"]),
            "policy change",
        );
    }
}

/// An instance that fell into ProtectionError: the plan says so, with Azure's error and its
/// recommended action, instead of showing only an attribute change.
#[test]
fn an_instance_in_protection_error_is_named_at_plan() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config("", "policy-disk"));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let id = emu.instances()[0]["id"].as_str().unwrap().to_owned();
        emu.admin(
            "POST",
            "/instances/protection-state",
            Some(json!({"id": id, "state": "ProtectionError"})),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "plan", &out));
        let text = out.combined();
        for needle in [
            "Warning: Backup Instance In Protection Error",
            "UserErrorProtectionConfigurationFailed",
            "Recommended action (from Azure)",
        ] {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "names it", &out)
            );
        }
    }
}
