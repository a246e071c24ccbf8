//! End to end (Terraform 1.11.4 on PATH and 1.0.3) against the emulator: a protection action
//! whose run was killed (kill -9 of the provider) while Azure still works on it. The next apply
//! waits the operation out, reads the instance again and recomputes its steps: it sends nothing
//! the killed run already did, and stores the mode Azure reports (issue 18, 5).

mod common;

use std::time::Duration;

use common::emu::{self, Emu};
use common::process::{descendants_of, kill, spawn_apply, wait_bounded, wait_until};
use common::{Terraform, Workdir, apply, ctx, terraforms};
use serde_json::json;

fn config(resource_extra: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
provider "azurebackup" {{}}
resource "azurebackup_instance" "x" {{
  vault_id                   = "{vault}"
  datasource_id              = "{ds}"
  location                   = "westeurope"
  policy_id                  = "{policy}"
  snapshot_resource_group_id = "{rg}"
{resource_extra}
}}
output "protection_mode" {{ value = azurebackup_instance.x.protection_mode }}
"#,
        vault = emu::vault(),
        ds = emu::disk("disk-1"),
        policy = emu::policy("policy-disk"),
        rg = emu::rg("rg-snapshots"),
    )
}

fn count(emu: &Emu, op: &str) -> u64 {
    emu.counters()["operations"][op]["count"]
        .as_u64()
        .unwrap_or(0)
}

fn output(wd: &Workdir, name: &str) -> String {
    let out = wd.run(&["output", "-raw", "-no-color", name]);
    out.assert_success();
    out.stdout.trim().to_owned()
}

/// Starts an apply to `mode`, kills its provider once Azure has accepted `action` (which then
/// runs on for a few seconds), and returns when that Terraform has exited.
fn killed_during(tf: &Terraform, emu: &Emu, wd: &Workdir, mode: &str, action: &str) {
    // Protection actions run for `put_ms`: long enough to outlive the killed run.
    emu.knobs(json!({"put_ms": 8000}));
    wd.write(
        "main.tf",
        &config(&format!("  protection_mode = \"{mode}\"")),
    );
    let child = spawn_apply(wd);
    let tf_pid = child.id();
    wait_until(Duration::from_secs(60), || count(emu, action) >= 1);
    let kids = descendants_of(tf_pid);
    let provider = kids
        .iter()
        .find(|(_, name)| name.starts_with("terraform-provi"))
        .cloned()
        .unwrap_or_else(|| panic!("no provider under terraform {}: {kids:?}", tf.version));
    kill(provider.0, "KILL");
    let out = wait_bounded(child, Duration::from_secs(60));
    assert_ne!(out.status, 0, "apply should fail when its provider dies");
    emu.knobs(json!({"put_ms": 0}));
}

#[test]
fn a_killed_runs_action_is_waited_out_and_not_sent_again() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));

        killed_during(&tf, &emu, &wd, "BackupsSuspended", "suspendBackups");
        // Azure still runs the killed run's suspendBackups: the instance reads as configured.
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply after the kill", &out));
        // Sent while the killed run's operation still ran, the action is refused with 409
        // (and the instance read again); accepted once only, never refused for its state.
        let statuses = emu.counters()["operations"]["suspendBackups"]["statuses"].clone();
        assert_eq!(statuses["202"], 1, "accepted once: {statuses}");
        assert!(
            statuses
                .as_object()
                .unwrap()
                .keys()
                .all(|s| s == "202" || s == "409"),
            "the killed run's action was sent again after it ended: {statuses}"
        );
        assert_eq!(output(&wd, "protection_mode"), "BackupsSuspended");
        assert_eq!(
            emu.instances()[0]["current_protection_state"],
            "BackupsSuspended"
        );
        let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        assert_eq!(out.status, 0, "{}", ctx(&tf, "empty plan", &out));
    }
}
