//! End to end: the `examples/modules/restore-drill` module's own `terraform test` files restore
//! backups against the emulator, as users run them in CI (`terraform init` from a filesystem
//! mirror, then `terraform test`), and the world afterwards is what the drill promises: the
//! restore recorded by the emulator, the restored disk deleted again, the backup instances the
//! drill made removed and the ones it was given left alone.
//!
//! Two variants, as the module's header comment and docs/guides/restore-drill.md describe:
//! `tests/` (Terraform 1.14+: protect, back up with the `azurebackup_backup_now` action, restore)
//! runs on the newest core; `tests-existing-instance/` (Terraform 1.6+: restore an instance that
//! already has recovery points) runs on the older cores, with the instances protected first and
//! their points made by the emulator's schedule and clock. Terraform 1.0.3 has no `terraform
//! test`, so neither runs there. Each run prints its wall time (the drill's run time in CI) and
//! its ARM requests.

mod common;

use std::path::Path;
use std::time::Instant;

use azurebackup_emulator::Knobs;
use common::emu::{self, Emu};
use common::{Terraform, TfOutput, Workdir, apply, ctx, newest_terraform, repo_root, terraforms};
use serde_json::{Value, json};

const MODULE: &str = "examples/modules/restore-drill";

/// The target container of the flexible-server drills (the default world's `strestore`).
fn restores_container() -> String {
    format!(
        "{}/providers/Microsoft.Storage/storageAccounts/strestore/blobServices/default/containers/restores",
        emu::rg("rg-data")
    )
}

/// Jobs (backup and restore) take 300 ms and triggers end at once, so a drill measures the
/// provider and Terraform, not the emulator's waits; everything else is zero-latency.
fn drill_emulator() -> Emu {
    Emu::start_with(Knobs {
        job_ms: 300,
        trigger_ms: 0,
        ..emu::zero_latency()
    })
}

/// Copies the module (with its test directories and helper modules) into the workdir.
fn copy_module(wd: &Workdir) {
    fn walk(wd: &Workdir, root: &Path, rel: &str) {
        for e in std::fs::read_dir(root.join(rel)).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let sub = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.path().is_dir() {
                walk(wd, root, &sub);
            } else {
                wd.write(&sub, &std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    walk(wd, &repo_root().join(MODULE), "");
}

/// The module in a mirror-backed workdir pointed at `emu`, initialised for `test_dir`.
fn drill_workdir(tf: &Terraform, emu: &Emu, test_dir: &str) -> Workdir {
    let mut wd = Workdir::with_mirror(tf);
    copy_module(&wd);
    let out = wd.run(&[
        "init",
        "-input=false",
        "-no-color",
        &format!("-test-directory={test_dir}"),
    ]);
    assert!(out.success(), "{}", ctx(tf, "init from the mirror", &out));
    // After init: the emulator's SSL_CERT_FILE must not be in the way of anything init does.
    for (k, v) in &emu.handle.env {
        wd.env(k, v);
    }
    wd
}

/// ARM requests the emulator has served so far (token, metadata and admin calls excluded).
fn arm_requests(emu: &Emu) -> u64 {
    emu.counters()["operations"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "token" | "admin" | "managedIdentityToken" | "metadata" | "discovery"
                    )
                })
                .map(|(_, v)| v["count"].as_u64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

/// `terraform test` with `args`, timed; its wall time and ARM requests are printed for the
/// closing note.
fn timed_test(wd: &Workdir, emu: &Emu, what: &str, args: &[&str]) -> TfOutput {
    let mut all = vec!["test", "-no-color"];
    all.extend_from_slice(args);
    let before = arm_requests(emu);
    let started = Instant::now();
    let out = wd.run(&all);
    eprintln!(
        "restore drill, terraform {}, {what}: {:.1} s wall time, {} ARM requests",
        wd.terraform().version,
        started.elapsed().as_secs_f64(),
        arm_requests(emu) - before
    );
    out
}

fn restores(emu: &Emu) -> Vec<Value> {
    emu.admin("GET", "/restores", None)["restores"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The emulator's request log entries of `operation`.
fn requests_of(emu: &Emu, operation: &str) -> Vec<Value> {
    emu.admin("GET", "/requests", None)["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["operation"] == operation)
        .collect()
}

fn world_has(emu: &Emu, id: &str) -> bool {
    emu.admin("GET", "/world", None)["datasources"]
        .as_array()
        .is_some_and(|ds| {
            ds.iter()
                .any(|d| d["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
        })
}

/// The recovery points the user-triggered backup jobs made (sorted).
fn points_made_on_demand(emu: &Emu) -> Vec<String> {
    let jobs = emu.admin("GET", "/jobs", None);
    let mut made: Vec<String> = jobs["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| &j["properties"])
        .filter(|p| p["operation"] == "Backup" && p["isUserTriggered"] == true)
        .map(|p| {
            p["extendedInfo"]["recoveryPointId"]
                .as_str()
                .unwrap_or_else(|| panic!("a completed backup makes a point: {p}"))
                .to_string()
        })
        .collect();
    made.sort();
    made
}

/// The disk restore of `restores` (exactly one), its new disk's ID and its recovery point.
fn the_disk_restore(restores: &[Value]) -> (String, String) {
    let disks: Vec<_> = restores
        .iter()
        .filter(|r| r["effect"]["type"] == "NewResource")
        .collect();
    assert_eq!(disks.len(), 1, "one disk restore: {restores:?}");
    let id = disks[0]["effect"]["id"].as_str().unwrap().to_string();
    let rp = disks[0]["recovery_point_id"].as_str().unwrap().to_string();
    (id, rp)
}

/// The restored disk existed until the drill's end (the provider's DELETE found it: `200`, not
/// the `204` of a missing disk) and is gone now, from the world and for a GET.
fn assert_disk_restored_then_deleted(emu: &Emu, disk_id: &str, tf: &Terraform) {
    let deletes: Vec<_> = requests_of(emu, "deleteDisk")
        .into_iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.eq_ignore_ascii_case(disk_id))
        })
        .collect();
    assert_eq!(
        deletes.len(),
        1,
        "terraform {}: the drill deletes the restored disk once: {deletes:?}",
        tf.version
    );
    assert_eq!(
        deletes[0]["status"], 200,
        "it existed until then: {deletes:?}"
    );
    assert!(
        !world_has(emu, disk_id),
        "terraform {}: {disk_id} must be gone after the drill",
        tf.version
    );
}

/// The whole drill on the newest core: both files of `tests/` (disk, PostgreSQL flexible)
/// protect, back up with the action, restore the point the backup made, and clean up.
#[test]
fn drills_with_backup_now_restore_and_clean_up_on_the_newest_core() {
    let tf = newest_terraform();
    assert!(
        tf.at_least(1, 14),
        "the action variant needs Terraform 1.14+"
    );
    let emu = drill_emulator();
    let wd = drill_workdir(&tf, &emu, "tests");
    let out = timed_test(
        &wd,
        &emu,
        "tests/ (disk + PostgreSQL flexible, backup now)",
        &[],
    );
    assert!(out.success(), "{}", ctx(&tf, "terraform test", &out));
    out.assert_contains("5 passed, 0 failed");

    // Both backups were on demand (the action), one per instance, and made the points restored.
    let backups = requests_of(&emu, "adhocBackup");
    assert_eq!(backups.len(), 2, "one backup now per drill: {backups:?}");
    let made = points_made_on_demand(&emu);
    let restores = restores(&emu);
    assert_eq!(restores.len(), 2, "{restores:?}");
    let mut restored: Vec<String> = restores
        .iter()
        .map(|r| {
            r["recovery_point_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    restored.sort();
    assert_eq!(
        restored, made,
        "each drill restores the point its backup now made"
    );
    let (disk_id, rp) = the_disk_restore(&restores);
    assert_eq!(
        disk_id,
        format!(
            "{}/providers/Microsoft.Compute/disks/disk-1-drill-{}",
            emu::rg("rg-data"),
            &rp[..8]
        ),
        "the derived name of the restored disk"
    );
    assert_disk_restored_then_deleted(&emu, &disk_id, &tf);
    let files: Vec<_> = restores
        .iter()
        .filter(|r| r["effect"]["type"] == "Files")
        .collect();
    assert_eq!(files.len(), 1, "{restores:?}");
    assert_eq!(files[0]["effect"]["container_id"], restores_container());
    assert_eq!(files[0]["effect"]["names"], json!(["drill_pgflex-1.sql"]));
    assert_eq!(
        requests_of(&emu, "triggerRestore").len(),
        2,
        "one restore request per drill"
    );
    assert!(
        emu.instances().is_empty(),
        "the drill removes the instances it protected: {:?}",
        emu.instances()
    );
}

/// The cores with `terraform test` but without actions (1.6 to 1.13); 1.0.3 has no `terraform
/// test` at all. When the machine has none, the newest core runs this variant too.
fn cores_without_actions() -> Vec<Terraform> {
    let cores: Vec<_> = terraforms()
        .into_iter()
        .filter(|tf| tf.at_least(1, 6) && !tf.at_least(1, 14))
        .collect();
    if cores.is_empty() {
        vec![newest_terraform()]
    } else {
        cores
    }
}

/// The instances the existing-instance drills are given: (output name, datasource, policy,
/// managed disk?, given a recovery point?).
fn seeds() -> [(&'static str, String, &'static str, bool, bool); 4] {
    [
        ("disk", emu::disk("disk-2"), "policy-disk", true, true),
        (
            "pgflex",
            emu::pg_flex("pgflex-1"),
            "policy-pgflex",
            false,
            true,
        ),
        (
            "mysql",
            format!(
                "{}/providers/Microsoft.DBforMySQL/flexibleServers/mysql-demo",
                emu::rg("rg-data")
            ),
            "policy-mysql",
            false,
            true,
        ),
        (
            "unbacked",
            emu::pg_flex("pgflex-2"),
            "policy-pgflex",
            false,
            false,
        ),
    ]
}

/// Protects the [`seeds`] through Terraform, and gives those that should have one a recovery
/// point with the emulator's schedule and clock (as the policy's schedule would on Azure).
/// Returns the workdir (to destroy later) and the instance IDs, in the order of [`seeds`].
fn seed_instances(tf: &Terraform, emu: &Emu) -> (Workdir, Vec<String>) {
    let wd = emu.workdir(tf);
    let mut config = String::from(
        "terraform {\n  required_providers {\n    azurebackup = { source = \"azurebackup/azurebackup\" }\n  }\n}\n",
    );
    for (name, ds, policy, disk, _) in seeds() {
        let snapshots = if disk {
            format!(
                "  snapshot_resource_group_id = \"{}\"\n",
                emu::rg("rg-snapshots")
            )
        } else {
            String::new()
        };
        config.push_str(&format!(
            "resource \"azurebackup_instance\" \"{name}\" {{\n  vault_id = \"{}\"\n  datasource_id = \"{ds}\"\n  location = \"westeurope\"\n  policy_id = \"{}\"\n{snapshots}}}\noutput \"{name}\" {{ value = azurebackup_instance.{name}.id }}\n",
            emu::vault(),
            emu::policy(policy),
        ));
    }
    wd.write("main.tf", &config);
    let out = apply(&wd);
    assert!(
        out.success(),
        "{}",
        ctx(tf, "protect the seed instances", &out)
    );
    let o = common::outputs(&wd);
    let ids: Vec<String> = seeds()
        .iter()
        .map(|(name, ..)| o[*name]["value"].as_str().unwrap().to_string())
        .collect();
    for (id, seed) in ids.iter().zip(seeds()) {
        if seed.4 {
            let jobs = emu.admin("POST", "/schedule/run", Some(json!({"instance": id})));
            assert_eq!(jobs["jobs"].as_array().map(Vec::len), Some(1), "{jobs}");
        }
    }
    // The jobs take 300 ms of the emulator's clock: move it on past their end.
    emu.admin("POST", "/clock/advance", Some(json!({"seconds": 2})));
    (wd, ids)
}

/// The newest recovery point of `instance` in the emulator.
fn newest_point(emu: &Emu, instance: &str) -> String {
    let all = emu.admin("GET", "/recovery-points", None);
    all["recovery_points"][instance][0]["properties"]["recoveryPointId"]
        .as_str()
        .unwrap_or_else(|| panic!("no recovery point of {instance}: {all}"))
        .to_string()
}

/// One `terraform test` of `tests-existing-instance/` with `vars`.
fn existing_drill(wd: &Workdir, emu: &Emu, what: &str, vars: &[String]) -> TfOutput {
    let mut args = vec!["-test-directory=tests-existing-instance"];
    args.extend(vars.iter().map(String::as_str));
    timed_test(
        wd,
        emu,
        &format!("tests-existing-instance/ ({what})"),
        &args,
    )
}

/// `tests-existing-instance/` on the cores without actions: drills of a disk, a PostgreSQL
/// and a MySQL flexible server that already have points restore the newest one; a drill of an
/// instance without a point, and one with a target of the wrong kind, fail at plan with the
/// module's checks and restore nothing.
#[test]
fn drills_of_existing_instances_restore_and_leave_the_instances_alone() {
    for tf in cores_without_actions() {
        let emu = drill_emulator();
        let (seed, ids) = seed_instances(&tf, &emu);
        let [disk_bi, pgflex_bi, mysql_bi, unbacked_bi] = [0, 1, 2, 3].map(|i| ids[i].clone());
        let wd = drill_workdir(&tf, &emu, "tests-existing-instance");
        let instance = |id: &str| format!("-var=backup_instance_id={id}");
        let into_rg = format!("-var=target_resource_group_id={}", emu::rg("rg-data"));
        let into_container = format!("-var=target_container_id={}", restores_container());

        for (what, vars) in [
            ("disk", vec![instance(&disk_bi), into_rg.clone()]),
            (
                "PostgreSQL flexible",
                vec![
                    instance(&pgflex_bi),
                    into_container.clone(),
                    "-var=file_prefix=nightly".into(),
                ],
            ),
            (
                "MySQL flexible",
                vec![instance(&mysql_bi), into_container.clone()],
            ),
        ] {
            let out = existing_drill(&wd, &emu, what, &vars);
            assert!(out.success(), "{}", ctx(&tf, what, &out));
            out.assert_contains("2 passed, 0 failed");
        }

        let restores = restores(&emu);
        assert_eq!(restores.len(), 3, "{restores:?}");
        let (disk_id, rp) = the_disk_restore(&restores);
        assert_eq!(
            rp,
            newest_point(&emu, &disk_bi),
            "the disk drill restores the newest point"
        );
        assert_eq!(
            disk_id,
            format!(
                "{}/providers/Microsoft.Compute/disks/disk-2-drill-{}",
                emu::rg("rg-data"),
                &rp[..8]
            )
        );
        assert_disk_restored_then_deleted(&emu, &disk_id, &tf);
        for (bi, file) in [
            (&pgflex_bi, "nightly_pgflex-1.sql"),
            (&mysql_bi, "drill_mysql-demo.sql"),
        ] {
            let r = restores
                .iter()
                .find(|r| r["instance_id"].as_str() == Some(bi.as_str()))
                .unwrap_or_else(|| panic!("no restore of {bi}: {restores:?}"));
            assert_eq!(r["recovery_point_id"], newest_point(&emu, bi).as_str());
            assert_eq!(r["effect"]["type"], "Files", "{r}");
            assert_eq!(r["effect"]["container_id"], restores_container(), "{r}");
            assert_eq!(r["effect"]["names"], json!([file]), "{r}");
        }

        // Bad input fails at plan, before any restore request.
        for (what, vars, says) in [
            (
                "no recovery point, fails",
                vec![instance(&unbacked_bi), into_container.clone()],
                "has no recovery point yet",
            ),
            (
                "a disk into a container, fails",
                vec![instance(&disk_bi), into_container.clone()],
                "A managed disk is restored to a new disk",
            ),
        ] {
            let out = existing_drill(&wd, &emu, what, &vars);
            assert!(!out.success(), "{}", ctx(&tf, what, &out));
            out.assert_contains(says);
        }
        assert_eq!(requests_of(&emu, "triggerRestore").len(), 3);

        // The drill never touches the instances it was given; destroying the seed removes them.
        assert_eq!(emu.instances().len(), 4, "{:?}", emu.instances());
        let out = seed.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "destroy the seed", &out));
        assert!(emu.instances().is_empty(), "{:?}", emu.instances());
    }
}
