//! End to end (Terraform 1.11.4 on PATH and 1.0.3) against the emulator: what plans say about
//! destroys and replacements (issue 18, 4 and 6; issue 22, 6 and 7).
//!
//! - A destroy that will delete says so, with the vault's soft-delete retention, and how to
//!   keep the data; a `destroy_behavior` changed but not applied is named (Terraform 1.0 to 1.2
//!   ask no destroy plan: there the plan before a destroy says it).
//! - A replacement whose destroy would keep the old instance is refused at plan, naming
//!   `destroy_behavior`, never `create_before_destroy`.
//! - A plan that will recover a soft-deleted instance says so.
//! - A stopped instance imports with `destroy_behavior = "StopProtectionRetainData"`.

mod common;

use common::emu::{self, Emu};
use common::{TfOutput, Workdir, apply, ctx, terraforms};

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
output "id" {{ value = azurebackup_instance.x.id }}
"#,
        vault = emu::vault(),
        ds = emu::disk("disk-1"),
        policy = emu::policy("policy-disk"),
        rg = emu::rg("rg-snapshots"),
    )
}

const RETAIN: &str = "  destroy_behavior = \"StopProtectionRetainData\"";

fn destroy(wd: &Workdir) -> TfOutput {
    wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"])
}

fn plan_destroy(wd: &Workdir) -> TfOutput {
    wd.run(&["plan", "-destroy", "-input=false", "-no-color"])
}

fn count(emu: &Emu, op: &str) -> u64 {
    emu.counters()["operations"][op]["count"]
        .as_u64()
        .unwrap_or(0)
}

fn flat(out: &TfOutput) -> String {
    out.combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `destroy_behavior` changed to keep the data but not applied: the destroy plan says it will
/// delete (1.3 and later: with the vault's 14-day soft-delete retention) or that the change is
/// not applied yet (1.0.3), and how to keep the data. Applied, the destroy keeps the instance.
#[test]
fn a_destroy_that_deletes_says_so_and_how_to_keep_the_data() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.set_soft_delete("On");
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        wd.write("main.tf", &config(RETAIN));
        let out = plan_destroy(&wd);
        assert!(out.success(), "{}", ctx(&tf, "destroy plan", &out));
        let text = flat(&out);
        let needles: &[&str] = if tf.at_least(1, 3) {
            &[
                "Warning: Backup Instance Will Be Deleted",
                "`destroy_behavior` is \"Delete\" in state",
                "retention of 14 days",
                "kept soft-deleted for 14 days",
                "set `destroy_behavior = \"StopProtectionRetainData\"`, run `terraform apply`, then destroy",
            ]
        } else {
            &[
                "Warning: Destroy Still Deletes Until Applied",
                "DELETES the instance and its recovery points",
                "Run `terraform apply` first, then destroy",
            ]
        };
        for needle in needles {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "warns", &out)
            );
        }
        // The ordinary plan of the change says it too, on every core.
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(
            flat(&out).contains("Destroy Still Deletes Until Applied"),
            "{}",
            ctx(&tf, "plan of the change", &out)
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply the change", &out));
        let out = destroy(&wd);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        if tf.at_least(1, 3) {
            assert!(
                flat(&out).contains("Backup Instance Will Be Kept"),
                "{}",
                ctx(&tf, "kept", &out)
            );
        }
        assert_eq!(count(&emu, "deleteBackupInstance"), 0);
        assert_eq!(emu.instances().len(), 1);
        assert!(emu.deleted_instances().is_empty());
    }
}

/// A vault with soft delete off: the destroy plan says the recovery points go for good.
#[test]
fn a_destroy_in_a_vault_without_soft_delete_says_it_is_final() {
    for tf in terraforms().into_iter().filter(|t| t.at_least(1, 3)) {
        let emu = Emu::start();
        emu.set_soft_delete("Off");
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let out = plan_destroy(&wd);
        assert!(
            flat(&out).contains("soft delete is off: the recovery points are gone for good"),
            "{}",
            ctx(&tf, "final", &out)
        );
    }
}

/// A `name` change with `StopProtectionRetainData` in state is refused at plan, on
/// `destroy_behavior`, before anything changes; `create_before_destroy` (not set) is not
/// blamed. With `Delete` applied first, the same change replaces the instance.
#[test]
fn a_replacement_that_would_keep_the_old_instance_is_refused_at_plan() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(RETAIN));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let before = emu.instances();
        emu.admin("DELETE", "/requests", None);
        wd.write(
            "main.tf",
            &config(&format!("{RETAIN}\n  name = \"renamed\"")),
        );
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "rename refused", &out));
        let text = flat(&out);
        for needle in [
            "Error: Replacement Would Keep The Old Backup Instance",
            "destroy_behavior",
            "Changing `name` replaces",
            "Nothing has been changed",
            "first apply `destroy_behavior = \"Delete\"` on its own",
        ] {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "refusal", &out)
            );
        }
        assert!(
            !text.contains("create_before_destroy"),
            "{}",
            ctx(&tf, "cbd not blamed", &out)
        );
        assert_eq!(emu.instances(), before, "nothing changed in Azure");
        for op in [
            "stopProtection",
            "deleteBackupInstance",
            "putBackupInstance",
        ] {
            assert_eq!(count(&emu, op), 0, "{op}");
        }
        // The way out the error names: `Delete` first, then the rename.
        wd.write("main.tf", &config("  destroy_behavior = \"Delete\""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply Delete", &out));
        wd.write(
            "main.tf",
            &config("  destroy_behavior = \"Delete\"\n  name = \"renamed\""),
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "rename", &out));
        let all = emu.instances();
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(all[0]["id"].as_str().unwrap().ends_with("/renamed"));
    }
}

/// After a destroy into soft delete, the plan of the same configuration says apply will
/// recover the soft-deleted instance (not "just" create one).
#[test]
fn a_plan_that_will_recover_says_so() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.set_soft_delete("On");
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let out = destroy(&wd);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "plan", &out));
        let text = flat(&out);
        for needle in [
            "Warning: Apply Will Recover A Soft-Deleted Backup Instance",
            "deletedBackupInstances/",
            "purges it for good at",
            "no new instance is made",
        ] {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "warns", &out)
            );
        }
    }
}

/// A stopped instance (kept by an earlier destroy) imports with `StopProtectionRetainData`:
/// on 1.5 and later `-generate-config-out` writes it into the generated configuration; with
/// `terraform import` (1.0.3) the state has it, and a destroy right after keeps the instance.
#[test]
fn importing_a_stopped_instance_keeps_its_data_on_destroy() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(RETAIN));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let id = emu.instances()[0]["id"].as_str().unwrap().to_owned();
        let out = destroy(&wd);
        assert!(out.success(), "{}", ctx(&tf, "destroy (kept)", &out));

        let wd2 = emu.workdir(&tf);
        if tf.at_least(1, 5) {
            wd2.write(
                "main.tf",
                &format!(
                    "terraform {{\n  required_providers {{\n    azurebackup = {{ source = \"azurebackup/azurebackup\" }}\n  }}\n}}\nimport {{\n  to = azurebackup_instance.x\n  id = \"{id}\"\n}}\n"
                ),
            );
            let out = wd2.run(&[
                "plan",
                "-input=false",
                "-no-color",
                "-generate-config-out=generated.tf",
            ]);
            assert!(out.success(), "{}", ctx(&tf, "generate config", &out));
            let generated = wd2.read("generated.tf");
            assert!(
                generated.contains("destroy_behavior")
                    && generated.contains("\"StopProtectionRetainData\""),
                "terraform {}: {generated}",
                tf.version
            );
        } else {
            wd2.write("main.tf", &config(""));
            let out = wd2.run(&[
                "import",
                "-input=false",
                "-no-color",
                "azurebackup_instance.x",
                &id,
            ]);
            assert!(out.success(), "{}", ctx(&tf, "import", &out));
            assert!(
                flat(&out).contains("Imported With Data Retained"),
                "{}",
                ctx(&tf, "import warns", &out)
            );
            let show = wd2.run(&["state", "show", "-no-color", "azurebackup_instance.x"]);
            assert!(
                show.stdout.contains("destroy_behavior")
                    && show.stdout.contains("\"StopProtectionRetainData\""),
                "{}",
                ctx(&tf, "imported state", &show)
            );
            // The destroy uses the imported value: kept again, not deleted.
            let out = destroy(&wd2);
            assert!(out.success(), "{}", ctx(&tf, "destroy after import", &out));
        }
        assert_eq!(count(&emu, "deleteBackupInstance"), 0);
        assert_eq!(emu.instances().len(), 1);
    }
}
