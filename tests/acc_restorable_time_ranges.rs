//! End to end against the emulator, on every core the harness gives (1.11.4 on PATH, 1.0.3,
//! 1.15.5): `azurebackup_restorable_time_ranges` for an operational blob instance (one range
//! from protection to now, `earliest` fixed as the clock runs and `latest` following it; a
//! window that misses gives no range and null ends), and its errors on `backup_instance_id` or
//! `end_time`: a disk instance (discrete recovery points), a missing instance, a bad ID and a
//! window the wrong way round. Four Terraform runs per core share one workdir.

mod common;

use common::emu::{self, Emu};
use common::{TfOutput, Workdir, apply, ctx, outputs, terraforms};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const HEADER: &str = r#"
terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
  }
}
provider "azurebackup" {}
"#;

fn instances() -> String {
    format!(
        r#"
resource "azurebackup_instance" "blobs" {{
  vault_id      = "{vault}"
  datasource_id = "{rg_data}/providers/Microsoft.Storage/storageAccounts/stbackupdemo"
  location      = "westeurope"
  policy_id     = "{blob_policy}"
}}
resource "azurebackup_instance" "disk" {{
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "westeurope"
  policy_id                  = "{disk_policy}"
  snapshot_resource_group_id = "{snapshots}"
}}
"#,
        vault = emu::vault(),
        rg_data = emu::rg("rg-data"),
        blob_policy = emu::policy("policy-blob"),
        disk = emu::disk("disk-1"),
        disk_policy = emu::policy("policy-disk"),
        snapshots = emu::rg("rg-snapshots"),
    )
}

const RANGES: &str = r#"
data "azurebackup_restorable_time_ranges" "all" {
  backup_instance_id = azurebackup_instance.blobs.id
}
data "azurebackup_restorable_time_ranges" "missed" {
  backup_instance_id = azurebackup_instance.blobs.id
  start_time         = "2020-01-01T00:00:00Z"
  end_time           = "2020-01-02T00:00:00+01:00"
}
output "blobs_id" { value = azurebackup_instance.blobs.id }
output "all" { value = data.azurebackup_restorable_time_ranges.all }
output "missed" { value = data.azurebackup_restorable_time_ranges.missed }
"#;

fn plan(wd: &Workdir) -> TfOutput {
    wd.run(&["plan", "-input=false", "-no-color"])
}

fn clock_ms(emu: &Emu) -> i128 {
    i128::from(emu.admin("GET", "/clock", None)["now_ms"].as_u64().unwrap())
}

fn ms(v: &Value) -> i128 {
    let t = OffsetDateTime::parse(v.as_str().unwrap_or_else(|| panic!("{v}")), &Rfc3339)
        .unwrap_or_else(|e| panic!("{v}: {e}"));
    t.unix_timestamp_nanos() / 1_000_000
}

/// The whole data source's story on one core: ranges and their ends through two applies
/// around two hours of the emulator's clock, then the errors at plan, each on its attribute.
#[test]
fn restorable_time_ranges_end_to_end() {
    for tf in terraforms() {
        let started = std::time::Instant::now();
        let emu = Emu::start();
        let wd = emu.workdir(&tf);

        // Protection, then the ranges read at apply: one range from protection to now.
        let before = clock_ms(&emu);
        wd.write("main.tf", &format!("{HEADER}{}{RANGES}", instances()));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        let after = clock_ms(&emu);
        let o = outputs(&wd);
        let all = &o["all"]["value"];
        let id = o["blobs_id"]["value"].clone();
        assert_eq!(all["id"], id, "{all}");
        let ranges = all["ranges"].as_array().unwrap();
        assert_eq!(ranges.len(), 1, "{all}");
        assert_eq!(all["earliest"], ranges[0]["start_time"], "{all}");
        assert_eq!(all["latest"], ranges[0]["end_time"], "{all}");
        let (earliest, latest) = (ms(&all["earliest"]), ms(&all["latest"]));
        assert!(
            before <= earliest && earliest <= latest && latest <= after,
            "{before} <= {earliest} <= {latest} <= {after}: {all}"
        );
        let missed = &o["missed"]["value"];
        assert_eq!(missed["ranges"], json!([]), "{missed}");
        assert_eq!(missed["earliest"], Value::Null, "{missed}");
        assert_eq!(missed["latest"], Value::Null, "{missed}");
        assert_eq!(missed["id"], id, "{missed}");

        // Two hours on: the range still starts at protection and now ends two hours later.
        emu.admin("POST", "/clock/advance", Some(json!({"hours": 2})));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply after 2 h", &out));
        let later = &outputs(&wd)["all"]["value"];
        assert_eq!(later["earliest"], all["earliest"], "{later}");
        assert!(
            ms(&later["latest"]) >= after + 2 * 3600 * 1000,
            "{later} vs {after}"
        );
        assert_eq!(later["ranges"].as_array().unwrap().len(), 1, "{later}");

        // A disk instance (discrete recovery points) and an instance the vault does not hold:
        // errors at plan on backup_instance_id, the first pointing to the recovery points.
        let gone = format!("{}/backupInstances/no-such-instance", emu::vault());
        wd.write(
            "errors.tf",
            &format!(
                r#"
data "azurebackup_restorable_time_ranges" "disk" {{
  backup_instance_id = azurebackup_instance.disk.id
}}
data "azurebackup_restorable_time_ranges" "gone" {{
  backup_instance_id = "{gone}"
}}
"#
            ),
        );
        let out = plan(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "disk and gone", &out));
        let text = out.combined();
        for needle in [
            "Error: Restorable Time Ranges Not Supported",
            "UserErrorRestorableTimeRangesNotSupported",
            "keeps discrete recovery points",
            "azurebackup_recovery_points",
            "backup_instance_id = azurebackup_instance.disk.id",
            "Error: Backup Instance Not Found",
            &format!("backup_instance_id = \"{gone}\""),
        ] {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "disk and gone", &out)
            );
        }

        // A bad ID and a window the wrong way round: errors at plan, nothing read.
        wd.write(
            "errors.tf",
            r#"
data "azurebackup_restorable_time_ranges" "bad_id" {
  backup_instance_id = "/subscriptions/not-an-instance"
}
data "azurebackup_restorable_time_ranges" "reversed" {
  backup_instance_id = azurebackup_instance.blobs.id
  start_time         = "2026-01-02T00:00:00Z"
  end_time           = "2026-01-01T00:00:00Z"
}
"#,
        );
        let out = plan(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "bad inputs", &out));
        let text = out.combined();
        for needle in [
            "Error: Invalid Backup Instance ID",
            "backup_instance_id = \"/subscriptions/not-an-instance\"",
            "Error: Time Window the Wrong Way Round",
            "end_time           = \"2026-01-01T00:00:00Z\"",
        ] {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "bad inputs", &out)
            );
        }
        eprintln!(
            "terraform {}: 2 applies and 2 plans in {:.1} s",
            tf.version,
            started.elapsed().as_secs_f64()
        );
    }
}
