//! End to end (Terraform 1.11.4 on PATH and 1.0.3) against the emulator: a create that finds a
//! stopped instance under its name (kept by `destroy_behavior = "StopProtectionRetainData"`)
//! adopts it and converges from the state Azure reports to the configured `protection_mode`.
//! It never waits for `ProtectionConfigured` on a stopped instance, and when it cannot finish in
//! time it leaves the instance in state untainted: no later apply deletes it (issue 18, 1).

mod common;

use common::emu::{self, Emu};
use common::{Terraform, TfOutput, Workdir, apply, ctx, terraforms};
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
  destroy_behavior           = "StopProtectionRetainData"
  timeouts {{
    create = "15s"
    update = "15s"
  }}
{resource_extra}
}}
output "id" {{ value = azurebackup_instance.x.id }}
output "protection_state" {{ value = azurebackup_instance.x.protection_state }}
"#,
        vault = emu::vault(),
        ds = emu::disk("disk-1"),
        policy = emu::policy("policy-disk"),
        rg = emu::rg("rg-snapshots"),
    )
}

fn destroy(wd: &Workdir) -> TfOutput {
    wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"])
}

fn output(wd: &Workdir, name: &str) -> String {
    let out = wd.run(&["output", "-raw", "-no-color", name]);
    out.assert_success();
    out.stdout.trim().to_owned()
}

fn count(emu: &Emu, op: &str) -> u64 {
    emu.counters()["operations"][op]["count"]
        .as_u64()
        .unwrap_or(0)
}

fn assert_empty_plan(tf: &Terraform, wd: &Workdir, what: &str) {
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(out.status, 0, "{}", ctx(tf, what, &out));
}

/// The issue's steps: soft delete off; apply with `StopProtectionRetainData`; destroy (kept,
/// ProtectionStopped); apply again with a short create timeout. Returns the workdir with the
/// instance kept and out of state.
fn kept_instance(tf: &Terraform, emu: &Emu, extra: &str) -> (Workdir, String) {
    emu.set_soft_delete("Off");
    let wd = emu.workdir(tf);
    wd.write("main.tf", &config(extra));
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(tf, "create", &out));
    let id = output(&wd, "id");
    let out = destroy(&wd);
    assert!(out.success(), "{}", ctx(tf, "destroy (kept)", &out));
    let all = emu.instances();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["current_protection_state"], "ProtectionStopped");
    (wd, id)
}

/// Adopting the stopped instance with `protection_mode` left at `Protected`: resumed, not
/// waited on; the same instance, no DELETE; and the plan said it would adopt.
#[test]
fn adopting_a_stopped_instance_resumes_it_and_never_deletes() {
    for tf in terraforms() {
        let emu = Emu::start();
        let (wd, id) = kept_instance(&tf, &emu, "");
        let plan = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(
            plan.success(),
            "{}",
            ctx(&tf, "plan of the adoption", &plan)
        );
        emu.admin("DELETE", "/requests", None);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "adopting apply", &out));
        assert!(
            plan.combined()
                .contains("Apply Will Adopt An Existing Backup Instance")
                && plan.combined().contains("ProtectionStopped"),
            "{}",
            ctx(&tf, "plan warns of the adoption", &plan)
        );
        assert_eq!(output(&wd, "id"), id, "the same instance");
        assert_eq!(output(&wd, "protection_state"), "ProtectionConfigured");
        assert_eq!(count(&emu, "deleteBackupInstance"), 0, "nothing deleted");
        assert_eq!(count(&emu, "resumeProtection"), 1);
        let all = emu.instances();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0]["current_protection_state"], "ProtectionConfigured");
        assert_empty_plan(&tf, &wd, "after adoption");
    }
}

/// `protection_mode = "ProtectionStopped"` configured: the adopted instance is already there,
/// no protection action at all, and the plan after it is empty.
#[test]
fn adopting_a_stopped_instance_as_stopped_changes_nothing() {
    for tf in terraforms() {
        let emu = Emu::start();
        let extra = "  protection_mode = \"ProtectionStopped\"";
        let (wd, id) = kept_instance(&tf, &emu, extra);
        emu.admin("DELETE", "/requests", None);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "adopting apply", &out));
        assert_eq!(output(&wd, "id"), id);
        assert_eq!(output(&wd, "protection_state"), "ProtectionStopped");
        for op in [
            "deleteBackupInstance",
            "resumeProtection",
            "stopProtection",
            "suspendBackups",
        ] {
            assert_eq!(count(&emu, op), 0, "{op}: {}", emu.counters());
        }
        assert_eq!(
            emu.instances()[0]["current_protection_state"],
            "ProtectionStopped"
        );
        assert_empty_plan(&tf, &wd, "after adoption as stopped");
    }
}

/// The adoption cannot finish within the create timeout (the resume never ends): the apply
/// warns, naming what it did ("adopted", the failed `resumeProtection`), and keeps the instance
/// in state untainted. The next apply (the service healthy again) resumes it in place: no
/// DELETE, no second instance.
#[test]
fn an_adoption_that_times_out_is_kept_untainted_and_continued() {
    for tf in terraforms() {
        let emu = Emu::start();
        let (wd, id) = kept_instance(&tf, &emu, "");
        emu.knobs(json!({"operation_rules": [
            {"pattern": "*", "operation": "resumeProtection", "outcome": "never_finish"}
        ]}));
        emu.admin("DELETE", "/requests", None);
        let out = apply(&wd);
        let text = out.combined();
        assert!(
            out.success(),
            "{}",
            ctx(&tf, "adoption that times out", &out)
        );
        for needle in [
            "Warning: Unable to Resume Protection",
            "already existed under this configuration's name and was adopted",
            "NOT tainted",
        ] {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "warning", &out)
            );
        }
        assert!(
            !text.contains("was created"),
            "{}",
            ctx(&tf, "wording", &out)
        );
        let show = wd.run(&["state", "show", "-no-color", "azurebackup_instance.x"]);
        assert!(
            show.success() && !show.stdout.contains("tainted"),
            "{}",
            ctx(&tf, "kept untainted", &show)
        );
        emu.knobs(json!({"operation_rules": []}));
        emu.admin("POST", "/operations/finish", None);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply continues", &out));
        assert!(
            out.stdout.contains("0 added") && out.stdout.contains("0 destroyed"),
            "{}",
            ctx(&tf, "no replacement", &out)
        );
        assert_eq!(count(&emu, "deleteBackupInstance"), 0, "nothing deleted");
        let all = emu.instances();
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0]["current_protection_state"], "ProtectionConfigured");
        assert_eq!(output(&wd, "id"), id);
        assert_empty_plan(&tf, &wd, "after continuing");
    }
}
