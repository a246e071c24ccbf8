//! End to end: the data-source and function examples work against the emulator, and the
//! `examples/modules/protect-disks` module's own `terraform test` files pass — one against the
//! emulator, one with `mock_provider` and no emulator at all — after `terraform init` from a
//! filesystem mirror, as module authors run them.

mod common;

use std::path::Path;

use common::emu::{self, Emu};
use common::{Terraform, Workdir, apply, ctx, repo_root, terraforms};

/// Copies `dir`'s files (recursively) into the workdir, each `.tf` file renamed with `prefix`.
fn copy_into(wd: &Workdir, dir: &str, prefix: &str, skip: &[&str]) {
    fn walk(wd: &Workdir, root: &Path, rel: &str, prefix: &str, skip: &[&str]) {
        for e in std::fs::read_dir(root.join(rel)).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let sub = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if e.path().is_dir() {
                std::fs::create_dir_all(wd.path().join(&sub)).unwrap();
                walk(wd, root, &sub, prefix, skip);
            } else if !skip.contains(&name.as_str()) {
                let to = if rel.is_empty() {
                    format!("{prefix}{name}")
                } else {
                    sub.clone()
                };
                wd.write(&to, &std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    walk(wd, &repo_root().join(dir), "", prefix, skip);
}

fn outputs(wd: &Workdir) -> serde_json::Value {
    let out = wd.run(&["output", "-json"]);
    out.assert_success();
    out.json()
}

#[test]
fn data_source_and_function_examples_work_against_the_emulator() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        // blob_vaulted.tf protects the storage account blob_operational.tf protects; a vault
        // protects a datasource once, so the two are alternatives (applied one at a time by
        // acc_docs_examples).
        copy_into(
            &wd,
            "examples/resources/azurebackup_instance",
            "",
            &["import.sh", "blob_vaulted.tf"],
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "resource examples", &out));
        copy_into(
            &wd,
            "examples/data-sources/azurebackup_instance",
            "ds_one_",
            &["versions.tf"],
        );
        copy_into(
            &wd,
            "examples/data-sources/azurebackup_instances",
            "ds_list_",
            &["versions.tf"],
        );
        if tf.at_least(1, 8) {
            for f in ["parse_backup_instance_id", "backup_instance_name"] {
                copy_into(
                    &wd,
                    &format!("examples/functions/{f}"),
                    &format!("fn_{f}_"),
                    &["versions.tf"],
                );
            }
        }
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "data-source examples", &out));
        let o = outputs(&wd);
        assert_eq!(
            o["disk_protection_state"]["value"], "ProtectionConfigured",
            "{o}"
        );
        assert_eq!(
            o["disk_policy_id"]["value"],
            emu::policy("policy-disk"),
            "{o}"
        );
        assert_eq!(
            o["protected_disk_ids"]["value"],
            // disk-1 (disk.tf) and disk-2 (stop_and_retain.tf) are both protected disks.
            serde_json::json!([emu::disk("disk-1"), emu::disk("disk-2")]),
            "{o}"
        );
        assert_eq!(
            o["failing_instance_ids"]["value"],
            serde_json::json!([]),
            "{o}"
        );
        if tf.at_least(1, 8) {
            assert_eq!(o["vault_name"]["value"], "vault-demo", "{o}");
            assert_eq!(o["vault_id"]["value"], emu::vault(), "{o}");
            let name = o["disk_instance_name"]["value"]
                .as_str()
                .unwrap_or_default();
            assert!(name.starts_with("disk-1-"), "{o}");
        }
        let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        assert_eq!(
            out.status,
            0,
            "{}",
            ctx(&tf, "plan after the examples", &out)
        );
    }
}

/// The terraform versions with `terraform test` and `mock_provider` (1.7+).
fn testers() -> Vec<Terraform> {
    let t: Vec<_> = terraforms()
        .into_iter()
        .filter(|tf| tf.at_least(1, 7))
        .collect();
    assert!(!t.is_empty(), "no Terraform 1.7+ on PATH");
    t
}

fn module_workdir(tf: &Terraform) -> Workdir {
    let wd = Workdir::with_mirror(tf);
    copy_into(&wd, "examples/modules/protect-disks", "", &[]);
    let out = wd.run(&["init", "-input=false", "-no-color"]);
    assert!(out.success(), "{}", ctx(tf, "init from the mirror", &out));
    wd
}

#[test]
fn module_test_runs_against_the_emulator() {
    for tf in testers() {
        let emu = Emu::start();
        let mut wd = module_workdir(&tf);
        for (k, v) in &emu.handle.env {
            wd.env(k, v);
        }
        let out = wd.run(&["test", "-no-color", "-filter=tests/emulator.tftest.hcl"]);
        assert!(
            out.success(),
            "{}",
            ctx(&tf, "terraform test (emulator)", &out)
        );
        out.assert_contains("1 passed, 0 failed");
        let counters = emu.counters();
        assert_eq!(
            counters["operations"]["putBackupInstance"]["count"].as_u64(),
            Some(2),
            "the run must have created both instances: {counters}"
        );
        assert!(
            emu.instances().is_empty(),
            "terraform test destroys what it made"
        );
    }
}

#[test]
fn module_test_runs_with_a_mock_provider_and_no_emulator() {
    for tf in testers() {
        // No ARM_* variables at all: nothing could reach Azure or the emulator.
        let wd = module_workdir(&tf);
        let out = wd.run(&["test", "-no-color", "-filter=tests/mock.tftest.hcl"]);
        assert!(out.success(), "{}", ctx(&tf, "terraform test (mock)", &out));
        out.assert_contains("2 passed, 0 failed");
    }
}
