//! The documentation and the examples are part of the product: the committed docs must be what
//! the schema generates, and every example must be formatted, valid, and work against the
//! emulator through real Terraform — including the `terraform import` line of `import.sh`.

mod common;

use std::path::Path;
use std::process::Command;

use common::emu::Emu;
use common::{Terraform, Workdir, provider_binary, repo_root, terraforms};

fn generate_docs_check(root: &Path) -> std::process::Output {
    Command::new(provider_binary())
        .args(["generate-docs", "--check", "--root"])
        .arg(root)
        .output()
        .expect("run generate-docs")
}

/// `make generate` has been run: the committed pages equal what the schema produces.
#[test]
fn committed_docs_are_what_the_schema_generates() {
    let out = generate_docs_check(&repo_root());
    assert!(
        out.status.success(),
        "docs are stale — run `make generate`:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The check is not vacuous: a hand edit of a generated page is caught.
#[test]
fn a_stale_page_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let root = repo_root();
    copy_dir(&root.join("docs"), &tmp.path().join("docs"));
    copy_dir(&root.join("examples"), &tmp.path().join("examples"));
    assert!(
        generate_docs_check(tmp.path()).status.success(),
        "a faithful copy must pass"
    );
    let page = tmp.path().join("docs/resources/instance.md");
    let text = std::fs::read_to_string(&page)
        .unwrap()
        .replace("The ARM ID of the Backup vault", "The vault");
    std::fs::write(&page, text).unwrap();
    let out = generate_docs_check(tmp.path());
    assert!(!out.status.success(), "an edited page was not detected");
    assert!(String::from_utf8_lossy(&out.stderr).contains("docs/resources/instance.md"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// `terraform plan -detailed-exitcode` must report no changes.
fn assert_empty_plan(wd: &Workdir, tf: &Terraform, what: &str) {
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        out.status,
        0,
        "terraform {} {what}:\n{}",
        tf.version,
        out.combined()
    );
}

/// Destroy succeeds and the emulator holds no instance afterwards.
fn destroy_leaves_nothing(wd: &Workdir, tf: &Terraform, emu: &Emu) {
    let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
    assert!(
        out.success(),
        "terraform {} destroy:\n{}",
        tf.version,
        out.combined()
    );
    assert!(
        emu.instances().is_empty(),
        "terraform {}: {:?}",
        tf.version,
        emu.instances()
    );
}

fn copy_example(wd: &Workdir, dir: &str) {
    copy_example_except(wd, dir, &[]);
}

fn copy_example_except(wd: &Workdir, dir: &str, except: &[&str]) {
    for e in std::fs::read_dir(repo_root().join(dir)).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tf") && !except.contains(&name.as_str()) {
            wd.write(&name, &std::fs::read_to_string(e.path()).unwrap());
        }
    }
}

/// Resource examples that protect the same datasource as another example (a vault protects a
/// datasource once), so they are applied on their own after the rest.
const ALTERNATIVE_EXAMPLES: &[&str] = &["blob_vaulted.tf"];

/// `terraform fmt -check` and `terraform validate` are clean for every example directory.
#[test]
fn examples_are_formatted_and_valid() {
    for tf in terraforms() {
        // Provider-function syntax (`provider::NAME::FUNCTION`) needs Terraform 1.8 to parse.
        let dirs: Vec<_> = std::fs::read_dir(repo_root().join("examples"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| tf.at_least(1, 8) || !p.ends_with("functions"))
            .collect();
        for dir in &dirs {
            // Terraform 1.0 formats one directory per call.
            let fmt = Command::new(&tf.bin)
                .args(["fmt", "-check", "-recursive", "-diff"])
                .arg(dir)
                .env("CHECKPOINT_DISABLE", "1")
                .output()
                .expect("terraform fmt");
            assert!(
                fmt.status.success(),
                "terraform {} fmt -check {}: {}{}",
                tf.version,
                dir.display(),
                String::from_utf8_lossy(&fmt.stdout),
                String::from_utf8_lossy(&fmt.stderr)
            );
        }
        let functions: &[&str] = if tf.at_least(1, 8) {
            &[
                "examples/functions/parse_backup_instance_id",
                "examples/functions/backup_instance_name",
            ]
        } else {
            &[]
        };
        // Actions (and the guide that uses them) need Terraform 1.14 to parse.
        let actions: &[&str] = if tf.at_least(1, 14) {
            &[
                "examples/actions/azurebackup_backup_now",
                "examples/actions/azurebackup_sync_instance",
                "examples/guides/prove-your-backups",
            ]
        } else {
            &[]
        };
        // The restore drill needs `terraform test`'s Terraform (1.6); its test helper, which
        // takes a backup with an action, 1.14.
        let drills: &[&str] = match (tf.at_least(1, 6), tf.at_least(1, 14)) {
            (true, true) => &[
                "examples/modules/restore-drill",
                "examples/modules/restore-drill/tests/setup",
            ],
            (true, false) => &["examples/modules/restore-drill"],
            _ => &[],
        };
        for dir in [
            "examples/provider",
            "examples/resources/azurebackup_instance",
            "examples/resources/azurebackup_restore",
            "examples/quickstart",
            "examples/data-sources/azurebackup_instance",
            "examples/data-sources/azurebackup_instances",
            "examples/data-sources/azurebackup_recovery_points",
            "examples/data-sources/azurebackup_backup_jobs",
            "examples/data-sources/azurebackup_restorable_time_ranges",
            "examples/modules/protect-disks",
        ]
        .iter()
        .chain(functions)
        .chain(actions)
        .chain(drills)
        {
            let wd = Workdir::new(&tf);
            copy_example(&wd, dir);
            let out = wd.run(&["validate", "-no-color"]);
            assert!(
                out.success(),
                "terraform {} validate {dir}:\n{}",
                tf.version,
                out.combined()
            );
        }
    }
}

/// The per-kind resource examples apply against the emulator's default world, the second plan
/// is empty, and the `import.sh` line imports the disk instance with an empty plan after it.
#[test]
fn resource_examples_and_import_sh_work_against_the_emulator() {
    let import_line = std::fs::read_to_string(
        repo_root().join("examples/resources/azurebackup_instance/import.sh"),
    )
    .unwrap()
    .lines()
    .find(|l| l.starts_with("terraform import "))
    .expect("import.sh has a terraform import line")
    .to_owned();
    let mut words = import_line.split_whitespace().skip(2);
    let address = words.next().unwrap().to_owned();
    let id = words.next().unwrap().trim_matches('"').to_owned();
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        copy_example_except(
            &wd,
            "examples/resources/azurebackup_instance",
            ALTERNATIVE_EXAMPLES,
        );
        let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
        assert!(
            out.success(),
            "terraform {} apply examples:\n{}",
            tf.version,
            out.combined()
        );
        // disk, stop_and_retain, postgresql, postgresql_flexible, and one per new kind.
        assert_eq!(emu.instances().len(), 10);
        assert_empty_plan(&wd, &tf, "second plan");

        wd.run(&["state", "rm", &address]).assert_success();
        let out = wd.run(&["import", "-input=false", "-no-color", &address, &id]);
        assert!(
            out.success(),
            "terraform {} import.sh line:\n{}",
            tf.version,
            out.combined()
        );
        assert_empty_plan(&wd, &tf, "plan after import");
        // stop_and_retain.tf keeps its instance in Azure, stopped; everything else is deleted.
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(
            out.success(),
            "terraform {} destroy:\n{}",
            tf.version,
            out.combined()
        );
        let left = emu.instances();
        assert_eq!(left.len(), 1, "terraform {}: {left:?}", tf.version);
        assert!(
            left[0]["datasource_id"]
                .as_str()
                .unwrap()
                .ends_with("/disk-2")
        );
        assert_eq!(left[0]["current_protection_state"], "ProtectionStopped");

        for alt in ALTERNATIVE_EXAMPLES {
            let wd = emu.workdir(&tf);
            wd.write(
                "versions.tf",
                &std::fs::read_to_string(
                    repo_root().join("examples/resources/azurebackup_instance/versions.tf"),
                )
                .unwrap(),
            );
            wd.write(
                alt,
                &std::fs::read_to_string(
                    repo_root()
                        .join("examples/resources/azurebackup_instance")
                        .join(alt),
                )
                .unwrap(),
            );
            let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
            assert!(
                out.success(),
                "terraform {} apply {alt}:\n{}",
                tf.version,
                out.combined()
            );
            assert_empty_plan(&wd, &tf, alt);
            let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
            assert!(
                out.success(),
                "terraform {} destroy {alt}:\n{}",
                tf.version,
                out.combined()
            );
        }
    }
}

/// The quickstart `make demo` applies works against the emulator's default world on every
/// supported core, with an empty plan after it and nothing left after destroy.
#[test]
fn quickstart_applies_against_the_default_world() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        copy_example(&wd, "examples/quickstart");
        let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
        assert!(
            out.success(),
            "terraform {} apply quickstart:\n{}",
            tf.version,
            out.combined()
        );
        let states: Vec<_> = emu
            .instances()
            .iter()
            .map(|i| {
                i["current_protection_state"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        assert_eq!(
            states,
            vec!["ProtectionConfigured"; 3],
            "terraform {}",
            tf.version
        );
        assert_empty_plan(&wd, &tf, "second plan");
        destroy_leaves_nothing(&wd, &tf, &emu);
    }
}
