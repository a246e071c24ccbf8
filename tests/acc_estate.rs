//! End to end at estate scale: real Terraform (1.11.4 on PATH and 1.0.3) against the emulator,
//! counting the ARM requests in the emulator's log. A refresh of a vault's instances is served
//! from the vault's list (and one GET per instance with `coalesce_reads = false`); a create,
//! an in-place update and a destroy send only requests that carry information.

mod common;

use common::emu::{self, Emu};
use common::{TfOutput, Workdir, ctx, terraforms};
use serde_json::Value;

/// `n` disk instances in the emulator's vault, with the policy from `var.policy`.
fn config(n: usize, provider_extra: &str) -> String {
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
variable "policy" {{
  type    = string
  default = "policy-disk"
}}
resource "azurebackup_instance" "disk" {{
  for_each                   = toset([for i in range({n}) : format("estate-%02d", i)])
  vault_id                   = "{vault}"
  datasource_id              = "{rg}/providers/Microsoft.Compute/disks/${{each.key}}"
  location                   = "westeurope"
  policy_id                  = "{vault}/backupPolicies/${{var.policy}}"
  snapshot_resource_group_id = "{snapshots}"
}}
"#,
        vault = emu::vault(),
        rg = emu::rg("rg-data"),
        snapshots = emu::rg("rg-snapshots"),
    )
}

/// An emulator whose world has `n` more disks (`estate-00` …) and a second disk policy.
fn estate(n: usize) -> Emu {
    let emu = Emu::start();
    let disks: Vec<Value> = (0..n)
        .map(|i| serde_json::json!({"id": emu::disk(&format!("estate-{i:02}")), "location": "westeurope"}))
        .collect();
    emu.admin("POST", "/datasources", Some(Value::Array(disks)));
    emu.add_policy("policy-disk-2", "Microsoft.Compute/disks");
    emu
}

fn run(wd: &Workdir, args: &[&str]) -> TfOutput {
    let mut all = args.to_vec();
    all.extend(["-input=false", "-no-color"]);
    wd.run(&all)
}

/// The ARM requests the emulator logged since the last reset, as (method, operation, status).
fn arm_requests(emu: &Emu) -> Vec<(String, String, u64)> {
    emu.admin("GET", "/requests", None)["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/subscriptions"))
        })
        .map(|r| {
            (
                r["method"].as_str().unwrap_or_default().to_owned(),
                r["operation"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

fn count(reqs: &[(String, String, u64)], operation: &str) -> usize {
    reqs.iter().filter(|(_, op, _)| op == operation).count()
}

fn reset(emu: &Emu) {
    emu.admin("DELETE", "/requests", None);
}

/// A refresh (`terraform plan`) of 12 instances of one vault reads the vault's list (one page at
/// the real service's page size) and only a few GETs, and plans nothing; with
/// `coalesce_reads = false` it is one GET per instance, and still plans nothing.
#[test]
fn refresh_of_a_vault_is_served_from_its_list() {
    const N: usize = 12;
    for tf in terraforms() {
        let emu = estate(N);
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(N, ""));
        let out = run(&wd, &["apply", "-auto-approve"]);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        assert_eq!(emu.instances().len(), N);

        reset(&emu);
        let out = run(&wd, &["plan", "-detailed-exitcode"]);
        assert_eq!(out.status, 0, "{}", ctx(&tf, "refresh", &out));
        let reqs = arm_requests(&emu);
        let (lists, gets) = (
            count(&reqs, "listBackupInstances"),
            count(&reqs, "getBackupInstance"),
        );
        assert!(lists >= 1, "terraform {}: no list in {reqs:?}", tf.version);
        assert!(
            gets <= 4,
            "terraform {}: {gets} GETs in {reqs:?}",
            tf.version
        );
        assert_eq!(
            reqs.len(),
            lists + gets,
            "terraform {}: a refresh only reads: {reqs:?}",
            tf.version
        );

        wd.write("main.tf", &config(N, "  coalesce_reads = false"));
        reset(&emu);
        let out = run(&wd, &["plan", "-detailed-exitcode"]);
        assert_eq!(out.status, 0, "{}", ctx(&tf, "refresh with GETs", &out));
        let reqs = arm_requests(&emu);
        assert_eq!(count(&reqs, "getBackupInstance"), N, "{reqs:?}");
        assert_eq!(reqs.len(), N, "terraform {}: {reqs:?}", tf.version);
    }
}

/// Requests per instance through Terraform: a create is its plan's validation (POST and one
/// status poll), the PUT, one status poll and the read of the result (5), and the plan reads the
/// policy once for all of them (its datasource type must fit); the apply's re-plan neither
/// validates nor reads the policy again. An in-place update is the refresh's GET, the PUT, one status poll
/// and the read of the result. A destroy is at most the refresh's read, the DELETE and one status
/// poll (3): no read-back after the operation says it is done; its plan reads the vault once.
#[test]
fn create_update_and_destroy_send_only_informative_requests() {
    const N: usize = 3;
    for tf in terraforms() {
        let emu = estate(N);
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(N, ""));

        reset(&emu);
        let out = run(&wd, &["apply", "-auto-approve"]);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let reqs = arm_requests(&emu);
        let v = tf.version.as_str();
        assert_eq!(
            count(&reqs, "validateForBackup"),
            N,
            "terraform {v}: {reqs:?}"
        );
        assert_eq!(
            count(&reqs, "putBackupInstance"),
            N,
            "terraform {v}: {reqs:?}"
        );
        assert_eq!(
            count(&reqs, "operationStatus"),
            2 * N,
            "terraform {v}: {reqs:?}"
        );
        assert_eq!(
            count(&reqs, "getBackupInstance"),
            N,
            "terraform {v}: {reqs:?}"
        );
        assert_eq!(
            count(&reqs, "getBackupPolicy"),
            1,
            "terraform {v}: {reqs:?}"
        );
        assert_eq!(reqs.len(), 5 * N + 1, "terraform {v}: create: {reqs:?}");

        reset(&emu);
        let out = run(
            &wd,
            &["apply", "-auto-approve", "-var", "policy=policy-disk-2"],
        );
        assert!(out.success(), "{}", ctx(&tf, "update", &out));
        let reqs = arm_requests(&emu);
        assert_eq!(
            count(&reqs, "validateForBackup"),
            0,
            "terraform {v}: {reqs:?}"
        );
        assert_eq!(
            count(&reqs, "putBackupInstance"),
            N,
            "terraform {v}: {reqs:?}"
        );
        assert_eq!(
            count(&reqs, "operationStatus"),
            N,
            "terraform {v}: {reqs:?}"
        );
        // The new policy is read once, at plan.
        assert_eq!(
            count(&reqs, "getBackupPolicy"),
            1,
            "terraform {v}: {reqs:?}"
        );
        assert_eq!(reqs.len(), 4 * N + 1, "terraform {v}: update: {reqs:?}");
        assert!(
            emu.instances().iter().all(|i| i["policy_id"]
                .as_str()
                .is_some_and(|p| p.ends_with("policy-disk-2"))),
            "terraform {v}: {:?}",
            emu.instances()
        );
        let out = run(
            &wd,
            &["plan", "-detailed-exitcode", "-var", "policy=policy-disk-2"],
        );
        assert_eq!(out.status, 0, "{}", ctx(&tf, "plan after update", &out));

        reset(&emu);
        let out = run(
            &wd,
            &["destroy", "-auto-approve", "-var", "policy=policy-disk-2"],
        );
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        let reqs = arm_requests(&emu);
        assert_eq!(
            count(&reqs, "deleteBackupInstance"),
            N,
            "terraform {v}: {reqs:?}"
        );
        assert_eq!(
            count(&reqs, "operationStatus"),
            N,
            "terraform {v}: {reqs:?}"
        );
        assert!(
            !reqs
                .iter()
                .any(|(_, op, status)| op == "getBackupInstance" && *status == 404),
            "terraform {v}: no read-back after the delete: {reqs:?}"
        );
        // The destroy plan reads the vault's soft delete once, to say how long it keeps them.
        assert!(
            count(&reqs, "getBackupVault") <= 1,
            "terraform {v}: {reqs:?}"
        );
        assert!(reqs.len() <= 3 * N + 1, "terraform {v}: destroy: {reqs:?}");
        assert!(emu.instances().is_empty());
    }
}

/// A separate `terraform plan` does not vouch for a later `terraform apply`: each command's plan
/// validates once.
#[test]
fn each_command_validates_once() {
    const N: usize = 2;
    for tf in terraforms() {
        let emu = estate(N);
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(N, ""));
        reset(&emu);
        let out = run(&wd, &["plan"]);
        assert!(out.success(), "{}", ctx(&tf, "plan", &out));
        assert_eq!(count(&arm_requests(&emu), "validateForBackup"), N);
        reset(&emu);
        let out = run(&wd, &["apply", "-auto-approve"]);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        assert_eq!(count(&arm_requests(&emu), "validateForBackup"), N);
    }
}
