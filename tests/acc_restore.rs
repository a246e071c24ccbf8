//! End to end against the emulator, on Terraform 1.11.4 and 1.0.3: `azurebackup_restore` of every
//! kind (the other five kinds and Elastic SAN in their own tests below), and in detail of a
//! disk to a new disk, vaulted blob containers into another account, a PostgreSQL flexible
//! server as files, and an operational blob account in place to a point in time; a refresh
//! that follows the jobs and an empty plan after; a destroy that deletes the restored disk only
//! with `delete_restored_target = true` and never touches the instances; and the bad inputs,
//! each an error (or a plan warning that apply turns into an error) on the attribute at fault,
//! with nothing in state that Azure did not restore.

mod common;

use std::time::Instant;

use common::emu::{self, Emu};
use common::{Terraform, Workdir, apply, ctx, outputs, terraforms};
use serde_json::{Value, json};

const HEADER: &str = r#"
terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
  }
}
provider "azurebackup" {}
"#;

fn data(path: &str) -> String {
    format!("{}/providers/{path}", emu::rg("rg-data"))
}

fn account(name: &str) -> String {
    data(&format!("Microsoft.Storage/storageAccounts/{name}"))
}

/// The four instances the restores read from.
fn instances() -> String {
    format!(
        r#"
resource "azurebackup_instance" "disk" {{
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "westeurope"
  policy_id                  = "{pdisk}"
  snapshot_resource_group_id = "{snap}"
}}
resource "azurebackup_instance" "vaulted" {{
  vault_id      = "{vault}"
  datasource_id = "{blob}"
  location      = "westeurope"
  policy_id     = "{pvaulted}"
  containers    = ["data", "logs"]
}}
resource "azurebackup_instance" "pgflex" {{
  vault_id      = "{vault}"
  datasource_id = "{pgflex}"
  location      = "westeurope"
  policy_id     = "{ppgflex}"
}}
resource "azurebackup_instance" "operational" {{
  vault_id      = "{vault}"
  datasource_id = "{target}"
  location      = "westeurope"
  policy_id     = "{pblob}"
}}
output "ids" {{
  value = {{
    disk        = azurebackup_instance.disk.id
    vaulted     = azurebackup_instance.vaulted.id
    pgflex      = azurebackup_instance.pgflex.id
    operational = azurebackup_instance.operational.id
  }}
}}
"#,
        vault = emu::vault(),
        disk = emu::disk("disk-1"),
        pdisk = emu::policy("policy-disk"),
        snap = emu::rg("rg-snapshots"),
        blob = account("stbackupdemo"),
        pvaulted = emu::policy("policy-blob-vaulted"),
        pgflex = emu::pg_flex("pgflex-1"),
        ppgflex = emu::policy("policy-pgflex"),
        target = account("strestore"),
        pblob = emu::policy("policy-blob"),
    )
}

fn points(name: &str) -> String {
    format!(
        r#"
data "azurebackup_recovery_points" "{name}" {{
  backup_instance_id = azurebackup_instance.{name}.id
}}
"#
    )
}

fn disk_restore(name: &str, disk: &str, delete: bool, after: Option<&str>) -> String {
    let depends = after
        .map(|a| format!("  depends_on = [azurebackup_restore.{a}]\n"))
        .unwrap_or_default();
    format!(
        r#"
resource "azurebackup_restore" "{name}" {{
  backup_instance_id     = azurebackup_instance.disk.id
  recovery_point_id      = data.azurebackup_recovery_points.disk.latest.recovery_point_id
  delete_restored_target = {delete}
  disk {{
    target_resource_group_id = "{rg}"
    target_disk_name         = "{disk}"
  }}
{depends}}}
output "{name}" {{ value = azurebackup_restore.{name} }}
"#,
        rg = emu::rg("rg-data"),
    )
}

fn other_restores(point_in_time: &str) -> String {
    format!(
        r#"
resource "azurebackup_restore" "containers" {{
  backup_instance_id = azurebackup_instance.vaulted.id
  recovery_point_id  = data.azurebackup_recovery_points.vaulted.latest.recovery_point_id
  containers {{
    target_storage_account_id = "{target}"
    names                     = ["data"]
  }}
}}
resource "azurebackup_restore" "files" {{
  backup_instance_id = azurebackup_instance.pgflex.id
  recovery_point_id  = data.azurebackup_recovery_points.pgflex.latest.id
  files {{
    target_container_id = "{target}/blobServices/default/containers/restores"
    file_prefix         = "drill"
  }}
}}
resource "azurebackup_restore" "in_place" {{
  backup_instance_id = azurebackup_instance.operational.id
  point_in_time      = "{point_in_time}"
  in_place {{
    prefix_range {{
      start = "logs/2026"
      end   = "logs/2027"
    }}
  }}
}}
output "containers" {{ value = azurebackup_restore.containers }}
output "files" {{ value = azurebackup_restore.files }}
output "in_place" {{ value = azurebackup_restore.in_place }}
"#,
        target = account("strestore"),
    )
}

fn world_has(emu: &Emu, id: &str) -> bool {
    emu.admin("GET", "/world", None)["datasources"]
        .as_array()
        .is_some_and(|l| {
            l.iter()
                .any(|d| d["id"].as_str().is_some_and(|d| d.eq_ignore_ascii_case(id)))
        })
}

fn restores(emu: &Emu) -> Vec<Value> {
    emu.admin("GET", "/restores", None)["restores"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// One recovery point per instance: a scheduled backup now, ended at once (`job_ms` 0).
fn back_up(emu: &Emu, ids: &Value, names: &[&str]) {
    for n in names {
        let id = ids[n].as_str().unwrap();
        let r = emu.admin("POST", "/schedule/run", Some(json!({"instance": id})));
        assert_eq!(r["jobs"].as_array().map(Vec::len), Some(1), "{n}: {r}");
    }
}

fn emulator_time_minus(emu: &Emu, minutes: i64) -> String {
    let now_ms = emu.admin("GET", "/clock", None)["now_ms"].as_i64().unwrap();
    let t = time::OffsetDateTime::from_unix_timestamp(now_ms / 1000 - minutes * 60).unwrap();
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn plan_is_empty(wd: &Workdir, tf: &Terraform, step: &str) {
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(out.status, 0, "{}", ctx(tf, step, &out));
}

/// Every mode of the issue's proof list, on one emulator per core.
#[test]
fn restores_of_each_shape_complete_and_destroy_deletes_only_what_was_asked() {
    for tf in terraforms().into_iter().filter(|t| !t.at_least(1, 14)) {
        let emu = Emu::start();
        emu.knobs(json!({"trigger_ms": 0, "job_ms": 0}));
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &format!("{HEADER}{}", instances()));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "protect", &out));
        let ids = outputs(&wd)["ids"]["value"].clone();
        back_up(&emu, &ids, &["disk", "vaulted", "pgflex"]);
        emu.admin("POST", "/clock/advance", Some(json!({"hours": 2})));
        let pit = emulator_time_minus(&emu, 30);

        // One disk restore alone: its ARM requests and wall time.
        let reads = format!(
            "{}{}{}",
            points("disk"),
            points("vaulted"),
            points("pgflex")
        );
        let base = format!("{HEADER}{}{reads}", instances());
        let restored = emu::disk("disk-1-restored");
        let kept = emu::disk("disk-1-kept");
        assert!(!world_has(&emu, &restored));
        wd.write(
            "main.tf",
            &format!(
                "{base}{}",
                disk_restore("drill", "disk-1-restored", true, None)
            ),
        );
        emu.take_arm_requests();
        let t0 = Instant::now();
        let out = apply(&wd);
        let wall = t0.elapsed();
        assert!(out.success(), "{}", ctx(&tf, "disk restore", &out));
        let per_op: Vec<String> = emu.counters()["operations"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v["count"]))
                    .collect()
            })
            .unwrap_or_default();
        eprintln!(
            "terraform {}: requests by operation: {}",
            tf.version,
            per_op.join(" ")
        );
        eprintln!(
            "terraform {}: apply of one disk restore (with refresh of 4 instances and 3 recovery-point reads): {} ARM requests, {:.1} s",
            tf.version,
            emu.take_arm_requests(),
            wall.as_secs_f64()
        );
        let o = outputs(&wd);
        let drill = &o["drill"]["value"];
        assert_eq!(drill["job_status"], "Completed", "{drill}");
        assert_eq!(drill["restored_resource_id"], restored.as_str(), "{drill}");
        assert!(
            drill["id"].as_str().unwrap().contains("/backupJobs/"),
            "{drill}"
        );
        assert!(
            drill["end_time"].is_string() && drill["start_time"].is_string(),
            "{drill}"
        );
        assert!(world_has(&emu, &restored), "the restored disk exists");

        // The other shapes, and a second disk restore that keeps its disk.
        wd.write(
            "main.tf",
            &format!(
                "{base}{}{}{}",
                disk_restore("drill", "disk-1-restored", true, None),
                disk_restore("keep", "disk-1-kept", false, Some("drill")),
                other_restores(&pit)
            ),
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "other restores", &out));
        let o = outputs(&wd);
        for n in ["keep", "containers", "files", "in_place"] {
            assert_eq!(o[n]["value"]["job_status"], "Completed", "{n}: {}", o[n]);
        }
        assert!(o["containers"]["value"]["restored_resource_id"].is_null());
        assert!(
            o["in_place"]["value"]["recovery_point_id"].is_null(),
            "{}",
            o["in_place"]
        );
        let effects: Vec<String> = restores(&emu)
            .iter()
            .map(|r| r["effect"]["type"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(effects.len(), 5, "{effects:?}");
        plan_is_empty(&wd, &tf, "after the restores");

        // Destroy: the drill's disk is deleted, the kept one and every instance stay.
        wd.write("main.tf", &base);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "destroy the restores", &out));
        assert!(
            !world_has(&emu, &restored),
            "delete_restored_target = true deletes the disk"
        );
        assert!(
            world_has(&emu, &kept),
            "delete_restored_target = false keeps it"
        );
        assert_eq!(emu.instances().len(), 4, "no instance is touched");
        assert_eq!(restores(&emu).len(), 5, "a destroy starts no restore");

        // A recovery point unknown at plan (terraform_data, Terraform 1.4+): the plan cannot
        // validate and says nothing; apply validates, then restores.
        if tf.at_least(1, 4) {
            let late = format!(
                r#"
resource "terraform_data" "rp" {{
  input = data.azurebackup_recovery_points.disk.latest.recovery_point_id
}}
resource "azurebackup_restore" "late" {{
  backup_instance_id = azurebackup_instance.disk.id
  recovery_point_id  = terraform_data.rp.output
  disk {{
    target_resource_group_id = "{rg}"
    target_disk_name         = "disk-1-late"
  }}
}}
output "late" {{ value = azurebackup_restore.late.job_status }}
"#,
                rg = emu::rg("rg-data")
            );
            wd.write("main.tf", &format!("{base}{late}"));
            emu.take_arm_requests();
            let out = wd.run(&["plan", "-input=false", "-no-color"]);
            assert!(out.success(), "{}", ctx(&tf, "unknown at plan", &out));
            assert!(
                validations(&emu) == 0,
                "no validateRestore with unknown inputs"
            );
            let out = apply(&wd);
            assert!(
                out.success(),
                "{}",
                ctx(&tf, "unknown at plan, apply", &out)
            );
            assert_eq!(
                validations(&emu),
                1,
                "apply validates what the plan could not"
            );
            assert_eq!(outputs(&wd)["late"]["value"], "Completed");
            assert!(world_has(&emu, &emu::disk("disk-1-late")));
        }
    }
}

fn validations(emu: &Emu) -> u64 {
    emu.counters()["operations"]["validateRestore"]["count"]
        .as_u64()
        .unwrap_or(0)
}

fn plan_fails_on(wd: &Workdir, tf: &Terraform, config: &str, summary: &str, attr: &str) {
    wd.write("main.tf", config);
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    assert!(!out.success(), "{}", ctx(tf, summary, &out));
    let text = out.combined();
    assert!(text.contains(summary), "{}", ctx(tf, summary, &out));
    assert!(text.contains(attr), "{attr}: {}", ctx(tf, summary, &out));
    assert!(!text.contains("panic"), "{text}");
}

fn restore_of(instance: &str, source: &str, block: &str, extra: &str) -> String {
    format!(
        r#"
resource "azurebackup_restore" "bad" {{
  backup_instance_id = azurebackup_instance.{instance}.id
{source}
{extra}
{block}
}}
"#
    )
}

fn disk_block(name: &str) -> String {
    format!(
        "  disk {{\n    target_resource_group_id = \"{}\"\n    target_disk_name = \"{name}\"\n  }}",
        emu::rg("rg-data")
    )
}

/// The issue's bad inputs, on one emulator per core: each fails at plan on its attribute (or
/// warns at plan and fails at apply), and none leaves a restore in state.
#[test]
fn bad_restores_are_errors_on_the_attribute_at_fault() {
    for tf in terraforms().into_iter().filter(|t| !t.at_least(1, 14)) {
        let emu = Emu::start();
        emu.knobs(json!({"trigger_ms": 0, "job_ms": 0}));
        let wd = emu.workdir(&tf);
        let base = format!("{HEADER}{}{}", instances(), points("disk"));
        wd.write("main.tf", &base);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "protect", &out));
        let ids = outputs(&wd)["ids"]["value"].clone();
        back_up(&emu, &ids, &["disk", "vaulted"]);
        let latest =
            "  recovery_point_id = data.azurebackup_recovery_points.disk.latest.recovery_point_id";
        let containers = format!(
            "  containers {{\n    target_storage_account_id = \"{}\"\n    names = [\"data\"]\n  }}",
            account("strestore")
        );

        plan_fails_on(
            &wd,
            &tf,
            &format!(
                "{base}{}",
                restore_of(
                    "disk",
                    &format!("{latest}\n  point_in_time = \"2026-01-01T00:00:00Z\""),
                    &disk_block("x-1"),
                    ""
                )
            ),
            "Conflicting Restore Sources",
            "point_in_time",
        );
        // A recovery point of another instance, by its ARM ID.
        let foreign = format!(
            "  recovery_point_id = \"{}/recoveryPoints/abc\"",
            ids["vaulted"].as_str().unwrap()
        );
        plan_fails_on(
            &wd,
            &tf,
            &format!(
                "{base}{}",
                restore_of("disk", &foreign, &disk_block("x-2"), "")
            ),
            "Recovery Point of Another Instance",
            "recovery_point_id",
        );
        // A recovery point the instance does not have: validateRestore says so, for certain.
        plan_fails_on(
            &wd,
            &tf,
            &format!(
                "{base}{}",
                restore_of(
                    "disk",
                    "  recovery_point_id = \"0000aaaa\"",
                    &disk_block("x-3"),
                    ""
                )
            ),
            "Restore Would Fail",
            "recovery_point_id",
        );
        plan_fails_on(
            &wd,
            &tf,
            &format!("{base}{}", restore_of("disk", latest, &containers, "")),
            "Restore Target of the Wrong Kind",
            "containers",
        );
        plan_fails_on(
            &wd,
            &tf,
            &format!(
                "{base}{}",
                restore_of(
                    "vaulted",
                    "  recovery_point_id = \"x\"",
                    &containers,
                    "  delete_restored_target = true"
                )
            ),
            "Nothing to Delete on Destroy",
            "delete_restored_target",
        );
        // A point in time before protection began: outside the restorable range.
        plan_fails_on(
            &wd,
            &tf,
            &format!(
                "{base}{}",
                restore_of(
                    "operational",
                    "  point_in_time = \"2020-01-01T00:00:00Z\"",
                    "  in_place {}",
                    ""
                )
            ),
            "Restore Would Fail",
            "point_in_time",
        );

        // A target disk that exists: a warning at plan (it may be deleted first), an error at
        // apply, nothing in state.
        let exists = format!(
            "{base}{}",
            restore_of("disk", latest, &disk_block("disk-2"), "")
        );
        wd.write("main.tf", &exists);
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "existing disk plan", &out));
        out.assert_contains("Restore Validation Failed")
            .assert_contains("target_disk_name");
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "existing disk apply", &out));
        out.assert_contains("target_disk_name");
        let state = wd.run(&["state", "list"]);
        assert!(
            !state.combined().contains("azurebackup_restore"),
            "{}",
            state.combined()
        );

        // A restore while a backup job runs on the datasource: Azure refuses it at apply.
        emu.knobs(json!({"job_ms": 3_600_000}));
        emu.admin(
            "POST",
            "/schedule/run",
            Some(json!({"instance": ids["disk"]})),
        );
        wd.write(
            "main.tf",
            &format!(
                "{base}{}",
                restore_of("disk", latest, &disk_block("x-4"), "")
            ),
        );
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "restore during a job", &out));
        out.assert_contains("Another job")
            .assert_contains("backup_instance_id");
        let state = wd.run(&["state", "list"]);
        assert!(
            !state.combined().contains("azurebackup_restore"),
            "{}",
            state.combined()
        );
        assert_eq!(restores(&emu).len(), 0, "nothing was restored");
    }
}

/// A restore whose job outlasts `timeouts.create`: apply fails, but the restore is in state
/// (tainted) with the job still running — never a restore Azure runs that Terraform does not
/// know. A refresh then follows the job to Completed; after `untaint` the plan is empty.
#[test]
fn a_restore_that_outlasts_its_timeout_stays_in_state_and_a_refresh_follows_the_job() {
    for tf in terraforms().into_iter().filter(|t| !t.at_least(1, 14)) {
        let emu = Emu::start();
        emu.knobs(json!({"trigger_ms": 0, "job_ms": 0}));
        let wd = emu.workdir(&tf);
        let base = format!("{HEADER}{}{}", instances(), points("disk"));
        wd.write("main.tf", &base);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "protect", &out));
        let ids = outputs(&wd)["ids"]["value"].clone();
        back_up(&emu, &ids, &["disk"]);
        // The restore job takes an hour of the emulator's clock; the create waits one second.
        emu.knobs(json!({"job_ms": 3_600_000}));
        let restore = format!(
            r#"
resource "azurebackup_restore" "slow" {{
  backup_instance_id = azurebackup_instance.disk.id
  recovery_point_id  = data.azurebackup_recovery_points.disk.latest.recovery_point_id
  disk {{
    target_resource_group_id = "{rg}"
    target_disk_name         = "disk-1-slow"
  }}
  timeouts {{
    create = "1s"
  }}
}}
output "slow" {{ value = azurebackup_restore.slow.job_status }}
"#,
            rg = emu::rg("rg-data")
        );
        wd.write("main.tf", &format!("{base}{restore}"));
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "slow restore", &out));
        out.assert_contains("Restore Job Still Running");
        let state = wd.run(&["state", "show", "-no-color", "azurebackup_restore.slow"]);
        assert!(state.success(), "{}", ctx(&tf, "state show", &state));
        assert!(state.stdout.contains("tainted"), "{}", state.stdout);
        assert!(!state.stdout.contains("\"Completed\""), "{}", state.stdout);

        emu.admin("POST", "/clock/advance", Some(json!({"hours": 2})));
        let out = wd.run(&[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ]);
        assert!(out.success(), "{}", ctx(&tf, "refresh-only", &out));
        assert_eq!(outputs(&wd)["slow"]["value"], "Completed");
        assert!(world_has(&emu, &emu::disk("disk-1-slow")));
        let out = wd.run(&["untaint", "-no-color", "azurebackup_restore.slow"]);
        assert!(out.success(), "{}", ctx(&tf, "untaint", &out));
        plan_is_empty(&wd, &tf, "after untaint");
        assert_eq!(restores(&emu).len(), 1, "one restore, started once");

        // delete_restored_target changes in place (no new restore); the destroy then deletes
        // the disk the completed job made.
        wd.write(
            "main.tf",
            &format!(
                "{base}{}",
                restore.replace(
                    "  timeouts {",
                    "  delete_restored_target = true\n  timeouts {"
                )
            ),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        out.assert_contains("1 to change, 0 to destroy");
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "flag in place", &out));
        assert_eq!(
            restores(&emu).len(),
            1,
            "changing the flag starts no restore"
        );
        wd.write("main.tf", &base);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "destroy the restore", &out));
        assert!(
            !world_has(&emu, &emu::disk("disk-1-slow")),
            "the restored disk is deleted"
        );
        assert_eq!(emu.instances().len(), 4, "no instance is touched");
    }
}

/// The other kinds, end to end: a MySQL flexible server as files, an AKS cluster restored into
/// itself (namespaces), a Cosmos DB
/// account to a new account, a PostgreSQL single-server database to a new database (Key Vault
/// credentials), Data Lake containers into another hierarchical-namespace account. Each job
/// completes and makes what it should; the new resources are the restores' `restored_resource_id`.
#[test]
fn the_other_kinds_restore_end_to_end() {
    for tf in terraforms().into_iter().filter(|t| !t.at_least(1, 14)) {
        let emu = Emu::start();
        emu.knobs(json!({"trigger_ms": 0, "job_ms": 0}));
        let lake_target = account("stlakerestore");
        emu.admin(
            "POST",
            "/datasources",
            Some(json!({"datasources": [{"id": lake_target, "location": "westeurope", "hierarchical_namespace": true}]})),
        );
        emu.grant(&lake_target, "Storage Account Backup Contributor");
        let wd = emu.workdir(&tf);
        let instances = format!(
            r#"
resource "azurebackup_instance" "aks" {{
  vault_id                   = "{vault}"
  datasource_id              = "{aks}"
  location                   = "westeurope"
  policy_id                  = "{vault}/backupPolicies/policy-aks"
  snapshot_resource_group_id = "{snap}"
}}
resource "azurebackup_instance" "cosmos" {{
  vault_id      = "{vault}"
  datasource_id = "{cosmos}"
  location      = "westeurope"
  policy_id     = "{vault}/backupPolicies/policy-cosmos"
}}
resource "azurebackup_instance" "pg" {{
  vault_id             = "{vault}"
  datasource_id        = "{pg}"
  location             = "westeurope"
  policy_id            = "{vault}/backupPolicies/policy-postgres"
  key_vault_secret_uri = "{kv}"
}}
resource "azurebackup_instance" "lake" {{
  vault_id        = "{vault}"
  datasource_id   = "{lake}"
  datasource_type = "Microsoft.Storage/storageAccounts/adlsBlobServices"
  location        = "westeurope"
  policy_id       = "{vault}/backupPolicies/policy-adls"
  containers      = ["raw"]
}}
resource "azurebackup_instance" "mysql" {{
  vault_id      = "{vault}"
  datasource_id = "{mysql}"
  location      = "westeurope"
  policy_id     = "{vault}/backupPolicies/policy-mysql"
}}
output "ids" {{
  value = {{
    mysql  = azurebackup_instance.mysql.id
    aks    = azurebackup_instance.aks.id
    cosmos = azurebackup_instance.cosmos.id
    pg     = azurebackup_instance.pg.id
    lake   = azurebackup_instance.lake.id
  }}
}}
"#,
            vault = emu::vault(),
            aks = data("Microsoft.ContainerService/managedClusters/aks-demo"),
            snap = emu::rg("rg-snapshots"),
            cosmos = data("Microsoft.DocumentDB/databaseAccounts/cosmos-demo"),
            pg = emu::pg_database("appdb"),
            kv = emu::KV_SECRET,
            lake = account("stlakedemo"),
            mysql = data("Microsoft.DBforMySQL/flexibleServers/mysql-demo"),
        );
        let base = format!("{HEADER}{instances}");
        wd.write("main.tf", &base);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "protect", &out));
        let ids = outputs(&wd)["ids"]["value"].clone();
        back_up(&emu, &ids, &["aks", "cosmos", "pg", "lake", "mysql"]);
        let mut restores_hcl = String::new();
        for n in ["aks", "cosmos", "pg", "lake", "mysql"] {
            restores_hcl.push_str(&points(n));
        }
        let new_db = emu::pg_database("appdb-restored");
        let new_account = data("Microsoft.DocumentDB/databaseAccounts/cosmos-restored");
        let dumps = format!(
            "{}/blobServices/default/containers/restores",
            account("strestore")
        );
        restores_hcl.push_str(&format!(
            r#"
resource "azurebackup_restore" "aks" {{
  backup_instance_id = azurebackup_instance.aks.id
  recovery_point_id  = data.azurebackup_recovery_points.aks.latest.recovery_point_id
  cluster {{
    target_cluster_id   = "{aks}"
    included_namespaces = ["app"]
  }}
}}
resource "azurebackup_restore" "cosmos" {{
  backup_instance_id = azurebackup_instance.cosmos.id
  recovery_point_id  = data.azurebackup_recovery_points.cosmos.latest.recovery_point_id
  cosmos_db {{
    target_resource_group_id = "{rg}"
    target_account_name      = "cosmos-restored"
  }}
}}
resource "azurebackup_restore" "pg" {{
  backup_instance_id = azurebackup_instance.pg.id
  recovery_point_id  = data.azurebackup_recovery_points.pg.latest.recovery_point_id
  database {{
    target_database_id   = "{new_db}"
    key_vault_secret_uri = "{kv}"
  }}
}}
resource "azurebackup_restore" "lake" {{
  backup_instance_id = azurebackup_instance.lake.id
  recovery_point_id  = data.azurebackup_recovery_points.lake.latest.recovery_point_id
  containers {{
    target_storage_account_id = "{lake_target}"
    names                     = ["raw"]
  }}
}}
resource "azurebackup_restore" "mysql" {{
  backup_instance_id = azurebackup_instance.mysql.id
  recovery_point_id  = data.azurebackup_recovery_points.mysql.latest.recovery_point_id
  files {{
    target_container_id = "{dumps}"
    file_prefix         = "nightly"
  }}
}}
output "restores" {{
  value = {{
    mysql  = azurebackup_restore.mysql
    aks    = azurebackup_restore.aks
    cosmos = azurebackup_restore.cosmos
    pg     = azurebackup_restore.pg
    lake   = azurebackup_restore.lake
  }}
}}
"#,
            aks = data("Microsoft.ContainerService/managedClusters/aks-demo"),
            rg = emu::rg("rg-data"),
            kv = emu::KV_SECRET,
        ));
        wd.write("main.tf", &format!("{base}{restores_hcl}"));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "restores", &out));
        let r = outputs(&wd)["restores"]["value"].clone();
        for n in ["aks", "cosmos", "pg", "lake", "mysql"] {
            assert_eq!(r[n]["job_status"], "Completed", "{n}: {}", r[n]);
        }
        assert_eq!(r["cosmos"]["restored_resource_id"], new_account.as_str());
        assert_eq!(r["pg"]["restored_resource_id"], new_db.as_str());
        assert!(
            r["aks"]["restored_resource_id"].is_null()
                && r["lake"]["restored_resource_id"].is_null()
        );
        assert!(
            world_has(&emu, &new_account),
            "the new Cosmos DB account exists"
        );
        assert!(world_has(&emu, &new_db), "the new database exists");
        let effects: Vec<Value> = restores(&emu).iter().map(|x| x["effect"].clone()).collect();
        assert_eq!(effects.len(), 5, "{effects:?}");
        let lake = emu.admin("GET", "/world", None)["datasources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == lake_target.as_str())
            .cloned()
            .unwrap();
        assert!(
            lake["containers"]
                .as_array()
                .unwrap()
                .contains(&json!("raw")),
            "{lake}"
        );
        plan_is_empty(&wd, &tf, "after the restores");
    }
}

/// Elastic SAN (API 2026-06-01, vault-secure): a volume restored into another volume group.
#[test]
fn an_elastic_san_volume_restores_into_another_group() {
    for tf in terraforms().into_iter().filter(|t| !t.at_least(1, 14)) {
        let emu = Emu::start();
        emu.knobs(json!({"trigger_ms": 0, "job_ms": 0}));
        let esan = data("Microsoft.ElasticSan/elasticSans/esan-demo");
        let target = format!("{esan}/volumeGroups/vg-restore");
        emu.admin(
            "POST",
            "/datasources",
            Some(json!({"datasources": [{"id": target}]})),
        );
        emu.admin(
            "POST",
            "/grants",
            Some(json!({"vault": "vault-secure", "scope": target, "role": "Elastic SAN Volume Importer"})),
        );
        let vault = format!(
            "{}/providers/Microsoft.DataProtection/backupVaults/vault-secure",
            emu::rg("rg-backup")
        );
        let wd = emu.workdir(&tf);
        let config = |restore: &str| {
            format!(
                r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
provider "azurebackup" {{
  api_version = "2026-06-01"
}}
resource "azurebackup_instance" "esan" {{
  vault_id                   = "{vault}"
  datasource_id              = "{esan}/volumeGroups/vg-demo"
  location                   = "westeurope"
  policy_id                  = "{vault}/backupPolicies/policy-esan"
  snapshot_resource_group_id = "{snap}"
  volume_name                = "vol-1"
}}
output "id" {{ value = azurebackup_instance.esan.id }}
{restore}"#,
                snap = emu::rg("rg-snapshots"),
            )
        };
        wd.write("main.tf", &config(""));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "protect", &out));
        let id = outputs(&wd)["id"]["value"].as_str().unwrap().to_string();
        back_up(&emu, &json!({"esan": id}), &["esan"]);
        let restore = format!(
            r#"
data "azurebackup_recovery_points" "esan" {{
  backup_instance_id = azurebackup_instance.esan.id
}}
resource "azurebackup_restore" "esan" {{
  backup_instance_id = azurebackup_instance.esan.id
  recovery_point_id  = data.azurebackup_recovery_points.esan.latest.recovery_point_id
  elastic_san {{
    target_volume_group_id = "{target}"
    volumes                = ["vol-1"]
  }}
}}
output "status" {{ value = azurebackup_restore.esan.job_status }}
"#
        );
        wd.write("main.tf", &config(&restore));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "restore", &out));
        assert_eq!(outputs(&wd)["status"]["value"], "Completed");
        let group = emu.admin("GET", "/world", None)["datasources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == target.as_str())
            .cloned()
            .unwrap();
        assert!(
            group["volumes"]
                .as_array()
                .unwrap()
                .contains(&json!("vol-1")),
            "{group}"
        );
    }
}
