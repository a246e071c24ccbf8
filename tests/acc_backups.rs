//! End to end against the emulator: the recovery points and backup jobs a protected instance
//! makes, as the data sources show them (Terraform 1.11.4 on PATH and 1.0.3, with the provider
//! advertising its actions, which those cores ignore), a `check` block that fails once the
//! newest recovery point is too old on the emulator's clock, the bad inputs of the issue each an
//! error, and the actions on Terraform 1.15.5 (`-invoke` and `action_trigger`), including sync
//! after granting a missing role.

mod common;

use common::emu::{self, Emu};
use common::{Terraform, Workdir, apply, ctx, newest_terraform, outputs, terraforms};
use serde_json::{Value, json};

const HEADER: &str = r#"
terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
  }
}
provider "azurebackup" {}
"#;

fn instance_block() -> String {
    format!(
        r#"
resource "azurebackup_instance" "x" {{
  vault_id                   = "{vault}"
  datasource_id              = "{ds}"
  location                   = "westeurope"
  policy_id                  = "{policy}"
  snapshot_resource_group_id = "{rg}"
}}
output "id" {{ value = azurebackup_instance.x.id }}
output "protection_state" {{ value = azurebackup_instance.x.protection_state }}
output "protection_error_code" {{ value = azurebackup_instance.x.protection_error_code }}
output "protection_error_message" {{ value = azurebackup_instance.x.protection_error_message }}
"#,
        vault = emu::vault(),
        ds = emu::disk("disk-1"),
        policy = emu::policy("policy-disk"),
        rg = emu::rg("rg-snapshots"),
    )
}

fn history_blocks(check: bool) -> String {
    let mut s = format!(
        r#"
data "azurebackup_recovery_points" "x" {{
  backup_instance_id = azurebackup_instance.x.id
}}
data "azurebackup_backup_jobs" "x" {{
  vault_id           = "{vault}"
  backup_instance_id = azurebackup_instance.x.id
}}
data "azurebackup_backup_jobs" "two" {{
  vault_id  = "{vault}"
  operation = "backup"
  limit     = 2
}}
data "azurebackup_instance" "x" {{
  id = azurebackup_instance.x.id
}}
output "points" {{ value = data.azurebackup_recovery_points.x.recovery_points }}
output "latest" {{ value = data.azurebackup_recovery_points.x.latest }}
output "latest_age" {{ value = data.azurebackup_recovery_points.x.latest_age_seconds }}
output "jobs" {{ value = data.azurebackup_backup_jobs.x.jobs }}
output "two" {{ value = data.azurebackup_backup_jobs.two.jobs }}
output "ds_error_code" {{ value = data.azurebackup_instance.x.protection_error_code }}
"#,
        vault = emu::vault()
    );
    if check {
        s.push_str(
            r#"
check "fresh_backups" {
  assert {
    condition     = data.azurebackup_recovery_points.x.latest != null && data.azurebackup_recovery_points.x.latest_age_seconds < 26 * 3600
    error_message = "STALE: the newest recovery point is older than 26 hours."
  }
}
"#,
        );
    }
    s
}

fn plan(wd: &Workdir) -> common::TfOutput {
    wd.run(&["plan", "-input=false", "-no-color"])
}

/// Protect a disk, let the emulator's clock run 26 hours of a PT4H schedule, and read what it
/// made: the points newest first with `latest` the first of them and its age on the service's
/// clock under one period; the jobs newest first, all Completed scheduled backups, with
/// `limit`; no protection error on the resource or the data source. Then the backups start to
/// fail and the clock runs 30 hours more: a `check` block (1.5+) fails on the stale point and
/// the failed jobs show their error.
#[test]
fn data_sources_show_points_and_jobs_and_a_check_catches_stale_backups() {
    for tf in terraforms().into_iter().filter(|t| !t.at_least(1, 14)) {
        let emu = Emu::start();
        emu.knobs(json!({"trigger_ms": 0, "job_ms": 0}));
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &format!("{HEADER}{}", instance_block()));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let adv = emu.admin("POST", "/clock/advance", Some(json!({"hours": 26})));
        let started = adv["jobs_started"].as_u64().unwrap();
        assert!((6..=7).contains(&started), "{adv}");

        let with_check = tf.at_least(1, 5);
        wd.write(
            "main.tf",
            &format!("{HEADER}{}{}", instance_block(), history_blocks(with_check)),
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "read history", &out));
        assert!(
            !out.combined().contains("STALE"),
            "{}",
            ctx(&tf, "fresh", &out)
        );
        let o = outputs(&wd);
        let points = o["points"]["value"].as_array().unwrap().clone();
        assert_eq!(points.len() as u64, started, "{points:?}");
        let times: Vec<&str> = points.iter().map(|p| p["time"].as_str().unwrap()).collect();
        let mut sorted = times.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, sorted, "newest first");
        assert_eq!(o["latest"]["value"], points[0]);
        let p0 = &points[0];
        assert_eq!(p0["data_store_type"], "OperationalStore");
        assert_eq!(p0["retention_tag"], "Default");
        assert_eq!(p0["state"], "Completed");
        assert!(
            p0["id"].as_str().unwrap().ends_with(&format!(
                "/recoveryPoints/{}",
                p0["recovery_point_id"].as_str().unwrap()
            )),
            "{p0}"
        );
        let age = o["latest_age"]["value"].as_f64().unwrap();
        assert!((0.0..4.0 * 3600.0 + 60.0).contains(&age), "age {age}");
        let jobs = o["jobs"]["value"].as_array().unwrap();
        assert_eq!(jobs.len() as u64, started);
        assert!(
            jobs.iter().all(|j| j["status"] == "Completed"
                && j["operation"] == "Backup"
                && j["error_code"].is_null()),
            "{jobs:?}"
        );
        let starts: Vec<&str> = jobs
            .iter()
            .map(|j| j["start_time"].as_str().unwrap())
            .collect();
        let mut s2 = starts.clone();
        s2.sort_by(|a, b| b.cmp(a));
        assert_eq!(starts, s2);
        assert_eq!(o["two"]["value"].as_array().unwrap().len(), 2);
        assert!(
            o["protection_error_code"]["value"].is_null() && o["ds_error_code"]["value"].is_null(),
            "{o}"
        );

        // Backups start failing; 30 hours later the newest point is too old.
        emu.knobs(
            json!({"job_rules": [{"pattern": "*disk-1*", "operation": "backup", "outcome": "fail",
            "code": "UserErrorDiskSnapshotLimitReached", "message": "Snapshot limit reached."}]}),
        );
        emu.admin("POST", "/clock/advance", Some(json!({"hours": 30})));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "stale", &out));
        if with_check {
            assert!(
                out.combined().contains("STALE"),
                "{}",
                ctx(&tf, "check fails", &out)
            );
        }
        let o = outputs(&wd);
        assert!(
            o["latest_age"]["value"].as_f64().unwrap() > 26.0 * 3600.0,
            "{o}"
        );
        let failed: Vec<&Value> = o["jobs"]["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["status"] == "Failed")
            .collect();
        assert!(!failed.is_empty());
        assert_eq!(failed[0]["error_code"], "UserErrorDiskSnapshotLimitReached");
        assert_eq!(failed[0]["error_message"], "Snapshot limit reached.");
    }
}

/// The bad inputs of the issue, each an error naming what is wrong: a time window the wrong way
/// round, a `limit` of 0 or a million, an instance of another vault than `vault_id`, a job ID
/// of another vault; and an instance ID whose vault does not hold it (read: not found).
#[test]
fn bad_inputs_are_errors_on_their_attributes() {
    for tf in terraforms().into_iter().filter(|t| !t.at_least(1, 14)) {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        let other = emu::vault().replace("vault-demo", "vault-other");
        wd.write(
            "main.tf",
            &format!(
                r#"{HEADER}
data "azurebackup_recovery_points" "reversed" {{
  backup_instance_id = "{vault}/backupInstances/bi"
  start_time         = "2026-01-02T00:00:00Z"
  end_time           = "2026-01-01T00:00:00Z"
}}
data "azurebackup_backup_jobs" "zero" {{
  vault_id = "{vault}"
  limit    = 0
}}
data "azurebackup_backup_jobs" "million" {{
  vault_id = "{vault}"
  limit    = 1000000
}}
data "azurebackup_backup_jobs" "other_instance" {{
  vault_id           = "{vault}"
  backup_instance_id = "{other}/backupInstances/bi"
}}
data "azurebackup_backup_jobs" "other_job" {{
  vault_id = "{vault}"
  job_id   = "{other}/backupJobs/3c60cb49-63e8-4b21-b9bd-26277b3fdfae"
}}
"#,
                vault = emu::vault()
            ),
        );
        let out = plan(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "bad plan", &out));
        let text = out.combined();
        for needle in [
            "Time Window the Wrong Way Round",
            "end_time           = \"2026-01-01T00:00:00Z\"",
            "limit    = 0",
            "limit    = 1000000",
            "Backup Instance of Another Vault",
            "Invalid Job ID",
            "belongs to the Backup vault",
        ] {
            assert!(
                text.contains(needle),
                "{needle}: {}",
                ctx(&tf, "bad plan", &out)
            );
        }
        assert_eq!(text.matches("Invalid Limit").count(), 2, "{text}");

        // A real instance, named under a vault that does not hold it.
        wd.write("main.tf", &format!("{HEADER}{}", instance_block()));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let id = outputs(&wd)["id"]["value"].as_str().unwrap().to_string();
        let elsewhere = id.replace("vault-demo", "vault-other");
        wd.write(
            "main.tf",
            &format!("{HEADER}{}\ndata \"azurebackup_recovery_points\" \"elsewhere\" {{\n  backup_instance_id = \"{elsewhere}\"\n}}\n", instance_block()),
        );
        let out = plan(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "elsewhere", &out));
        assert!(
            out.combined().contains("Backup Instance Not Found"),
            "{}",
            ctx(&tf, "elsewhere", &out)
        );
    }
}

fn counts(emu: &Emu) -> Value {
    emu.counters()["operations"].clone()
}

fn n(c: &Value, op: &str) -> u64 {
    c[op]["count"].as_u64().unwrap_or(0)
}

fn action_config(extra: &str, input: &str) -> String {
    format!(
        r#"{HEADER}{inst}
action "azurebackup_backup_now" "x" {{
  config {{
    backup_instance_id = azurebackup_instance.x.id
{extra}
  }}
}}
action "azurebackup_sync_instance" "x" {{
  config {{
    backup_instance_id = azurebackup_instance.x.id
    timeout            = "5s"
  }}
}}
resource "terraform_data" "risky" {{
  input = "{input}"
  lifecycle {{
    action_trigger {{
      events  = [before_update]
      actions = [action.azurebackup_backup_now.x]
    }}
  }}
}}
"#,
        inst = instance_block()
    )
}

fn invoke(wd: &Workdir, action: &str) -> common::TfOutput {
    wd.run(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-no-color",
        &format!("-invoke=action.{action}.x"),
    ])
}

/// Terraform 1.15.5: `-invoke` of backup-now takes a backup with the policy's rule and default
/// tag, streams the job's progress and leaves a Completed user-triggered job and a recovery
/// point (the ARM requests are counted and printed); an `action_trigger` on `before_update`
/// takes one before the change; a job that fails fails the action with its error and job ID; a
/// retention rule given as `rule_name` is refused naming the policy's rules; sync leaves a
/// ProtectionError in place while the role is missing and clears it once the role is granted.
#[test]
fn actions_back_up_now_on_invoke_and_before_update_and_sync_fixes_a_protection_error() {
    let tf: Terraform = newest_terraform();
    assert!(tf.at_least(1, 14), "needs Terraform 1.14+: {}", tf.version);
    let emu = Emu::start();
    emu.knobs(json!({"trigger_ms": 0, "job_ms": 1500}));
    let wd = emu.workdir(&tf);
    wd.write("main.tf", &action_config("", "v1"));
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(&tf, "create", &out));

    emu.admin("DELETE", "/requests", None);
    let out = wd.run(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-no-color",
        "-refresh=false",
        "-invoke=action.azurebackup_backup_now.x",
    ]);
    assert!(out.success(), "{}", ctx(&tf, "invoke backup now", &out));
    let text = out.combined();
    for needle in [
        "rule BackupHourly, retention tag Default",
        "Started",
        "Completed",
    ] {
        assert!(
            text.contains(needle),
            "{needle}: {}",
            ctx(&tf, "progress", &out)
        );
    }
    let c = counts(&emu);
    eprintln!(
        "backup-now ARM requests: getBackupInstance {} getBackupPolicy {} adhocBackup {} operationStatus {} operationResult {} getBackupJob {} (all: {})",
        n(&c, "getBackupInstance"),
        n(&c, "getBackupPolicy"),
        n(&c, "adhocBackup"),
        n(&c, "operationStatus"),
        n(&c, "operationResult"),
        n(&c, "getBackupJob"),
        c
    );
    assert_eq!(n(&c, "adhocBackup"), 1);
    assert_eq!(n(&c, "getBackupPolicy"), 1);
    assert_eq!(
        n(&c, "operationResult"),
        0,
        "the status named the job: no Location read"
    );
    assert!(n(&c, "getBackupJob") >= 2, "{c}");
    wd.write("points.tf", "data \"azurebackup_recovery_points\" \"x\" {\n  backup_instance_id = azurebackup_instance.x.id\n}\noutput \"n_points\" { value = length(data.azurebackup_recovery_points.x.recovery_points) }\n");
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(&tf, "points", &out));
    assert_eq!(outputs(&wd)["n_points"]["value"], 1);

    // before_update: a change of the risky resource takes a backup first.
    wd.write("main.tf", &action_config("", "v2"));
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(&tf, "action_trigger", &out));
    assert_eq!(n(&counts(&emu), "adhocBackup"), 2, "{}", out.combined());
    let out = apply(&wd);
    assert!(out.success());
    assert_eq!(outputs(&wd)["n_points"]["value"], 2);

    // A retention rule is not a backup rule.
    wd.write(
        "main.tf",
        &action_config("    rule_name = \"Default\"", "v2"),
    );
    let out = invoke(&wd, "azurebackup_backup_now");
    assert!(!out.success());
    assert!(
        out.combined().contains("no backup rule named \"Default\"")
            && out
                .combined()
                .contains("BackupHourly (retention tags: Default)"),
        "{}",
        ctx(&tf, "bad rule", &out)
    );
    assert_eq!(
        n(&counts(&emu), "adhocBackup"),
        2,
        "nothing sent for a bad rule"
    );

    // A job that fails: its error and its ID.
    emu.knobs(
        json!({"job_rules": [{"pattern": "*disk-1*", "operation": "backup", "outcome": "fail",
        "code": "UserErrorDiskSnapshotLimitReached", "message": "Snapshot limit reached."}]}),
    );
    wd.write("main.tf", &action_config("", "v2"));
    let out = invoke(&wd, "azurebackup_backup_now");
    assert!(!out.success());
    let text = out.combined();
    assert!(
        text.contains("Backup Job Failed")
            && text.contains("Snapshot limit reached.")
            && text.contains("/backupJobs/"),
        "{}",
        ctx(&tf, "failed job", &out)
    );
    emu.knobs(json!({"job_rules": []}));

    // A role removed: the next scheduled backup fails and the instance shows the error.
    emu.revoke(&emu::rg("rg-data"), "Disk Backup Reader");
    let id = outputs(&wd)["id"]["value"].as_str().unwrap().to_string();
    emu.admin("POST", "/schedule/run", Some(json!({"instance": id})));
    emu.admin("POST", "/clock/advance", Some(json!({"seconds": 5})));
    let out = wd.run(&[
        "apply",
        "-refresh-only",
        "-input=false",
        "-auto-approve",
        "-no-color",
    ]);
    assert!(out.success(), "{}", ctx(&tf, "refresh", &out));
    let o = outputs(&wd);
    assert_eq!(o["protection_state"]["value"], "ProtectionError", "{o}");
    assert!(o["protection_error_code"]["value"].is_string(), "{o}");
    assert!(
        o["protection_error_message"]["value"]
            .as_str()
            .unwrap()
            .contains("Disk Backup Reader")
            || o["protection_error_message"]["value"].is_string(),
        "{o}"
    );

    let out = invoke(&wd, "azurebackup_sync_instance");
    assert!(
        !out.success(),
        "{}",
        ctx(&tf, "sync without the role", &out)
    );
    assert!(
        out.combined().contains("Protection Error Remains"),
        "{}",
        ctx(&tf, "sync without the role", &out)
    );
    emu.grant(&emu::rg("rg-data"), "Disk Backup Reader");
    let out = invoke(&wd, "azurebackup_sync_instance");
    assert!(out.success(), "{}", ctx(&tf, "sync with the role", &out));
    assert!(
        out.combined().contains("ProtectionConfigured"),
        "{}",
        ctx(&tf, "sync", &out)
    );
    let out = wd.run(&[
        "apply",
        "-refresh-only",
        "-input=false",
        "-auto-approve",
        "-no-color",
    ]);
    assert!(out.success());
    let o = outputs(&wd);
    assert_eq!(o["protection_state"]["value"], "ProtectionConfigured");
    assert!(o["protection_error_code"]["value"].is_null(), "{o}");

    // A stopped instance: the service's refusal, and what to do about it.
    emu.admin(
        "POST",
        "/instances/protection-state",
        Some(json!({"id": id, "state": "ProtectionStopped"})),
    );
    let out = invoke(&wd, "azurebackup_backup_now");
    assert!(!out.success());
    let text = out.combined();
    assert!(
        text.contains("Unable to Start Backup")
            && text.contains("is in ProtectionStopped")
            && text.contains("protection_mode"),
        "{}",
        ctx(&tf, "stopped", &out)
    );
}

/// One read of 100 recovery points: how many ARM requests (printed; the page size is the
/// emulator's default of 50).
#[test]
fn reading_100_recovery_points_costs_two_requests() {
    let tf = terraforms().into_iter().next().unwrap();
    let emu = Emu::start();
    emu.knobs(json!({"trigger_ms": 0, "job_ms": 0}));
    let wd = emu.workdir(&tf);
    wd.write("main.tf", &format!("{HEADER}{}", instance_block()));
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(&tf, "create", &out));
    // PT4H for 400 hours: 100 scheduled backups, each point kept 7 days (168 h = 42 points)...
    // so the retention is raised to keep them all.
    let mut world = emu.admin("GET", "/world", None);
    for p in world["policies"].as_array_mut().unwrap() {
        if p["id"].as_str().unwrap().ends_with("/policy-disk") {
            p["backup_rule"] = json!({"name": "BackupHourly", "schedule": "R/2024-01-01T06:00:00+00:00/PT4H",
                "backup_type": "Incremental", "tags": [{"name": "Default", "retention": "P30D"}]});
        }
    }
    emu.admin("PUT", "/world", Some(world));
    emu.admin("POST", "/clock/advance", Some(json!({"hours": 400})));
    wd.write(
        "points.tf",
        "data \"azurebackup_recovery_points\" \"x\" {\n  backup_instance_id = azurebackup_instance.x.id\n}\noutput \"n_points\" { value = length(data.azurebackup_recovery_points.x.recovery_points) }\n",
    );
    let out = wd.run(&["plan", "-input=false", "-no-color", "-refresh=false"]);
    assert!(out.success(), "{}", ctx(&tf, "plan", &out));
    emu.admin("DELETE", "/requests", None);
    let out = wd.run(&[
        "apply",
        "-input=false",
        "-auto-approve",
        "-no-color",
        "-refresh=false",
    ]);
    assert!(out.success(), "{}", ctx(&tf, "apply", &out));
    let c = counts(&emu);
    let n_points = outputs(&wd)["n_points"]["value"].as_u64().unwrap();
    eprintln!(
        "recovery points read: {n_points}; listRecoveryPoints requests: {} (all: {c})",
        n(&c, "listRecoveryPoints")
    );
    assert!(n_points >= 100, "{n_points}");
    // The apply's plan reads the data source once, 50 points a page.
    assert_eq!(n(&c, "listRecoveryPoints"), n_points.div_ceil(50), "{c}");
}
