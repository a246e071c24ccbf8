//! End to end: real Terraform (1.11.4 on PATH and 1.0.3) against the emulator for the
//! secure-by-default lifecycle: soft delete and recovery on create, `protection_mode` changed in
//! place, `destroy_behavior = "StopProtectionRetainData"`, and the API versions that require
//! `AlwaysOn` soft delete. Prints the ARM requests per create / destroy / recover.

mod common;

use common::emu::{self, Emu};
use common::{Terraform, TfOutput, Workdir, apply, ctx, terraforms};
use serde_json::json;

fn config(provider_extra: &str, resource_extra: &str) -> String {
    config_at(&emu::vault(), provider_extra, resource_extra)
}

fn config_at(vault: &str, provider_extra: &str, resource_extra: &str) -> String {
    let policy = format!("{vault}/backupPolicies/policy-disk");
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
{resource_extra}
}}
output "id" {{ value = azurebackup_instance.x.id }}
output "protection_state" {{ value = azurebackup_instance.x.protection_state }}
"#,
        ds = emu::disk("disk-1"),
        policy = policy,
        rg = emu::rg("rg-snapshots"),
    )
}

fn destroy(wd: &Workdir) -> TfOutput {
    wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"])
}

fn plan_exit(wd: &Workdir) -> TfOutput {
    wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
}

fn output(wd: &Workdir, name: &str) -> String {
    let out = wd.run(&["output", "-raw", "-no-color", name]);
    out.assert_success();
    out.stdout.trim().to_owned()
}

fn assert_empty_plan(tf: &Terraform, wd: &Workdir, what: &str) {
    let out = plan_exit(wd);
    assert_eq!(out.status, 0, "{}", ctx(tf, what, &out));
}

/// The whole soft-delete cycle in an AlwaysOn vault at `api`: apply → destroy (soft-deleted) →
/// apply recovers the same instance (no duplicate, nothing left soft-deleted) → empty plan.
fn soft_delete_cycle(tf: &Terraform, emu: &Emu, provider_extra: &str) -> (u64, u64, u64) {
    let wd = emu.workdir(tf);
    wd.write("main.tf", &config(provider_extra, ""));
    emu.take_arm_requests();
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(tf, "create", &out));
    let create = emu.take_arm_requests();
    let id = output(&wd, "id");
    let out = destroy(&wd);
    assert!(out.success(), "{}", ctx(tf, "destroy", &out));
    let destroy_n = emu.take_arm_requests();
    assert!(emu.instances().is_empty());
    let deleted = emu.deleted_instances();
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(tf, "recreate (recover)", &out));
    let recover = emu.take_arm_requests();
    assert_eq!(output(&wd, "id"), id, "the same instance is adopted");
    assert_eq!(output(&wd, "protection_state"), "ProtectionConfigured");
    let all = emu.instances();
    assert_eq!(all.len(), 1, "recovered, not duplicated: {all:?}");
    assert!(
        emu.deleted_instances().is_empty(),
        "no leftover soft-deleted instance"
    );
    assert_empty_plan(tf, &wd, "plan after recovery");
    let out = destroy(&wd);
    assert!(out.success(), "{}", ctx(tf, "final destroy", &out));
    (create, destroy_n, recover)
}

#[test]
fn always_on_vault_destroy_then_apply_recovers_the_instance() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.set_soft_delete("AlwaysOn");
        let (c, d, r) = soft_delete_cycle(&tf, &emu, "");
        println!(
            "terraform {}: ARM requests per create {c}, destroy {d}, recover {r}",
            tf.version
        );
    }
}

/// With `recover_soft_deleted = false` the create fails naming the soft-deleted instance, its
/// purge time and the ways out; nothing is created.
#[test]
fn recover_soft_deleted_false_explains_the_ways_out() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.set_soft_delete("On");
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config("", "  recover_soft_deleted = false"));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let out = destroy(&wd);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "blocked create", &out));
        let text = out.combined();
        for needle in [
            "Soft-Deleted Backup Instance Blocks Create",
            "deletedBackupInstances/",
            "purges it for good at",
            "recover_soft_deleted",
            "another vault",
        ] {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "blocked", &out)
            );
        }
        assert!(emu.instances().is_empty());
        assert_eq!(emu.deleted_instances().len(), 1);
    }
}

/// Protected → BackupsSuspended → ProtectionStopped → Protected, each in place, each followed by
/// an empty plan.
#[test]
fn protection_mode_round_trip_in_place() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config("", ""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let id = output(&wd, "id");
        for (mode, state) in [
            ("BackupsSuspended", "BackupsSuspended"),
            ("ProtectionStopped", "ProtectionStopped"),
            ("Protected", "ProtectionConfigured"),
        ] {
            wd.write(
                "main.tf",
                &config("", &format!("  protection_mode = \"{mode}\"")),
            );
            let out = apply(&wd);
            assert!(out.success(), "{}", ctx(&tf, mode, &out));
            assert!(
                out.stdout.contains("1 changed") && out.stdout.contains("0 destroyed"),
                "{}",
                ctx(&tf, "in place", &out)
            );
            assert_eq!(output(&wd, "id"), id);
            assert_eq!(output(&wd, "protection_state"), state);
            assert_eq!(emu.instances()[0]["current_protection_state"], state);
            assert_empty_plan(&tf, &wd, mode);
        }
    }
}

/// `destroy_behavior = "StopProtectionRetainData"`: destroy leaves the instance in Azure in
/// ProtectionStopped and the state empty.
#[test]
fn stop_protection_retain_data_keeps_the_instance() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &config("", "  destroy_behavior = \"StopProtectionRetainData\""),
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let out = destroy(&wd);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        if tf.at_least(1, 3) {
            assert!(
                out.combined().contains("Backup Instance Will Be Kept"),
                "{}",
                ctx(&tf, "destroy warns", &out)
            );
        }
        let list = wd.run(&["state", "list", "-no-color"]);
        assert!(list.stdout.trim().is_empty(), "{}", list.combined());
        let all = emu.instances();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0]["current_protection_state"], "ProtectionStopped");
        assert!(emu.deleted_instances().is_empty());
    }
}

/// api_version 2026-06-01: an `On` vault is refused with the service's reason and the fix; an
/// AlwaysOn vault passes the whole soft-delete lifecycle.
#[test]
fn api_2026_06_01_needs_always_on() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.set_soft_delete("On");
        let wd = emu.workdir(&tf);
        let provider = "  api_version = \"2026-06-01\"";
        wd.write("main.tf", &config(provider, ""));
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "On vault", &out));
        let text = out.combined().replace('\n', " ");
        for needle in [
            "Backup Vault Needs Always-On Soft Delete",
            "requires backup vaults to have the soft delete setting",
            "AlwaysOn",
            "api_version = \"2025-07-01\"",
        ] {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "refusal", &out)
            );
        }
        assert!(emu.instances().is_empty());
        emu.set_soft_delete("AlwaysOn");
        soft_delete_cycle(&tf, &emu, provider);
    }
}

/// A second vault (same identity, its own disk policy) for vault moves.
fn add_second_vault(emu: &Emu) -> String {
    let mut world = emu.admin("GET", "/world", None);
    let v2 = emu::vault().replace("vault-demo", "vault-two");
    let principal = world["vaults"][0]["principal_id"].clone();
    world["vaults"]
        .as_array_mut()
        .expect("vaults")
        .push(json!({"id": v2, "location": "westeurope", "principal_id": principal}));
    world["policies"].as_array_mut().expect("policies").push(
        json!({"id": format!("{v2}/backupPolicies/policy-disk"), "datasource_type": "Microsoft.Compute/disks"}),
    );
    emu.admin("PUT", "/world", Some(world));
    v2
}

/// A name change and a vault move plan and apply (destroy, then create) although at plan time
/// the datasource is protected by the very instance being replaced; `create_before_destroy`
/// across vaults is refused before anything changes in Azure, naming it.
#[test]
fn replacement_by_name_and_vault_and_create_before_destroy() {
    for tf in terraforms() {
        let emu = Emu::start();
        let v2 = add_second_vault(&emu);
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config("", ""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));

        wd.write("main.tf", &config("", "  name = \"renamed\""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "rename", &out));
        assert!(
            out.stdout.contains("1 added, 0 changed, 1 destroyed"),
            "{}",
            ctx(&tf, "rename replaces", &out)
        );
        assert!(output(&wd, "id").ends_with("/backupInstances/renamed"));
        assert_eq!(emu.instances().len(), 1);
        assert_empty_plan(&tf, &wd, "after rename");

        wd.write("main.tf", &config_at(&v2, "", "  name = \"renamed\""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "vault move", &out));
        let all = emu.instances();
        assert_eq!(all.len(), 1);
        assert!(all[0]["vault_id"].as_str().unwrap().ends_with("vault-two"));
        assert_empty_plan(&tf, &wd, "after vault move");

        let cbd = "  name = \"renamed\"\n  lifecycle {\n    create_before_destroy = true\n  }";
        wd.write("main.tf", &config_at(&emu::vault(), "", cbd));
        let before = emu.instances();
        let out = apply(&wd);
        assert!(
            !out.success(),
            "{}",
            ctx(&tf, "create_before_destroy", &out)
        );
        assert!(
            out.combined().contains("create_before_destroy"),
            "{}",
            ctx(&tf, "names it", &out)
        );
        assert_eq!(emu.instances(), before, "nothing changed in Azure");
    }
}

/// `user_assigned_identity_id`: an identity not attached to the vault is the service's error on
/// that attribute at plan; attached, it is sent as `identityDetails` and read back; with
/// api_version 2021-01-01 it is a plan error.
#[test]
fn user_assigned_identity() {
    for tf in terraforms() {
        let emu = Emu::start();
        let uami = format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-backup",
            emu::rg("rg-backup")
        );
        let wd = emu.workdir(&tf);
        let extra = format!("  user_assigned_identity_id = \"{uami}\"");
        wd.write("main.tf", &config("", &extra));
        // Plan shows the service's answer as a warning (plan-time findings never fail a plan:
        // Terraform also plans absent instances before a destroy); apply stops on it, on the
        // attribute, before anything is created.
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "plan warns", &out));
        // Terraform wraps the detail: compare with whitespace runs collapsed.
        let flat = |t: String| t.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = flat(out.combined());
        assert!(
            text.contains("Warning: User-Assigned Identity Not Attached")
                && text.contains(
                    "The User Identity provided in input is not attached to the Backup Vault"
                ),
            "{}",
            ctx(&tf, "not attached warning", &out)
        );
        let before = emu.instances();
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "not attached", &out));
        let text = flat(out.combined());
        assert!(
            text.contains(
                "The User Identity provided in input is not attached to the Backup Vault"
            ) && text.contains("user_assigned_identity_id"),
            "{}",
            ctx(&tf, "not attached error", &out)
        );
        assert_eq!(emu.instances(), before, "nothing created");

        let mut world = emu.admin("GET", "/world", None);
        world["vaults"][0]["user_assigned_identities"] = json!([uami]);
        emu.admin("PUT", "/world", Some(world));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "attached", &out));
        assert_empty_plan(&tf, &wd, "after create with identity");

        wd.write("main.tf", &config("  api_version = \"2021-01-01\"", &extra));
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(!out.success(), "{}", ctx(&tf, "2021-01-01", &out));
        assert!(
            out.combined().contains("Not Supported By API Version"),
            "{}",
            ctx(&tf, "2021-01-01 error", &out)
        );
    }
}
