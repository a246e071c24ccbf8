//! End to end: the plan-time validation marks (`src/provider/instance/plan_marks.rs`) leave no
//! litter. Real Terraform runs against the emulator with a private temp dir: a `terraform plan`
//! leaves its folder (the apply of the same command would use it), the next command removes it
//! because the `terraform` process that owned it is gone, and an apply uses its own marks up and
//! leaves nothing.

mod common;

use std::path::Path;

use common::emu::{self, Emu};
use common::{apply, ctx, terraforms};

const PREFIX: &str = "terraform-provider-azurebackup-plan-marks-";

fn mark_folders(tmp: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(tmp)
        .expect("temp dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(PREFIX))
        .collect();
    v.sort();
    v
}

#[test]
fn a_finished_commands_marks_folder_is_removed_by_the_next_command() {
    for tf in terraforms() {
        let emu = Emu::start();
        let tmp = tempfile::tempdir().unwrap();
        let mut wd = emu.workdir(&tf);
        wd.env("TMPDIR", &tmp.path().to_string_lossy());
        wd.write(
            "main.tf",
            &format!(
                r#"terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
provider "azurebackup" {{}}
resource "azurebackup_instance" "disk" {{
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "westeurope"
  policy_id                  = "{policy}"
  snapshot_resource_group_id = "{snap}"
}}
"#,
                vault = emu::vault(),
                disk = emu::disk("disk-1"),
                policy = emu::policy("policy-disk"),
                snap = emu::rg("rg-snapshots"),
            ),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "first plan", &out));
        let first = mark_folders(tmp.path());
        assert_eq!(first.len(), 1, "terraform {}: {first:?}", tf.version);

        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "second plan", &out));
        let second = mark_folders(tmp.path());
        assert_eq!(second.len(), 1, "terraform {}: {second:?}", tf.version);
        assert_ne!(
            first, second,
            "terraform {}: the first plan's folder outlived its command",
            tf.version
        );

        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        assert_eq!(
            mark_folders(tmp.path()),
            Vec::<String>::new(),
            "terraform {}: apply left marks behind",
            tf.version
        );
    }
}
