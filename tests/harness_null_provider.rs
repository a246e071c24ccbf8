//! Proves the test harness with a real Go provider (hashicorp/null 2.1.2) on every supported
//! Terraform core, so that end-to-end failures of our provider are never the harness's fault.

mod common;

use common::{LocalProvider, NEWEST_TERRAFORM, OLDEST_TERRAFORM, Terraform, Workdir, terraforms};

const CONFIG: &str = r#"
terraform {
  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "2.1.2"
    }
  }
}

resource "null_resource" "harness" {
  triggers = {
    marker = "harness-marker-42"
  }
}

output "marker" {
  value = null_resource.harness.triggers.marker
}
"#;

/// The suite always covers the oldest supported core and 1.15.5 (both from `.tools/`), plus the
/// one on PATH when there is one.
#[test]
fn terraforms_cover_the_oldest_supported_core() {
    let cores = terraforms();
    for version in [OLDEST_TERRAFORM, NEWEST_TERRAFORM] {
        assert!(cores.iter().any(|tf| tf.version == version), "{cores:?}");
    }
    for tf in &cores {
        // The version comes from asking the binary itself, not from its path.
        assert_eq!(Terraform::from_binary(&tf.bin).version, tf.version);
    }
    let mut versions: Vec<_> = cores.iter().map(|tf| tf.version.clone()).collect();
    versions.dedup();
    assert_eq!(versions.len(), cores.len(), "duplicate cores: {cores:?}");
}

/// `init` through the filesystem mirror, then apply and destroy, as a user would, offline.
#[test]
fn mirror_init_apply_destroy_with_null_provider() {
    let null = LocalProvider::hashicorp_null();
    for tf in terraforms() {
        let wd = Workdir::with_mirror_of(&tf, std::slice::from_ref(&null));
        wd.write("main.tf", CONFIG);

        wd.run(&["init", "-no-color"]).assert_success();
        let lock = wd.read(".terraform.lock.hcl");
        assert!(
            lock.contains("registry.terraform.io/hashicorp/null") && lock.contains("\"2.1.2\""),
            "Terraform {}: lock file does not pin null 2.1.2:\n{lock}",
            tf.version
        );

        wd.run(&["apply", "-auto-approve", "-no-color"])
            .assert_success()
            .assert_contains("1 added");
        let out = wd.run(&["output", "-raw", "marker"]);
        out.assert_success();
        assert_eq!(out.stdout, "harness-marker-42", "Terraform {}", tf.version);
        let state = wd.run(&["state", "list"]);
        assert_eq!(
            state.assert_success().stdout.trim(),
            "null_resource.harness"
        );

        wd.run(&["destroy", "-auto-approve", "-no-color"])
            .assert_success()
            .assert_contains("1 destroyed");
        assert_eq!(
            wd.run(&["state", "list"]).assert_success().stdout.trim(),
            ""
        );
    }
}

/// `dev_overrides` needs no `init`: plan and apply straight away, with Terraform's warning that
/// overrides are in effect.
#[test]
fn dev_overrides_plan_and_apply_without_init() {
    let null = LocalProvider::hashicorp_null();
    for tf in terraforms() {
        let wd = Workdir::with_dev_overrides(&tf, std::slice::from_ref(&null));
        wd.write("main.tf", CONFIG);
        wd.run(&["plan", "-no-color"])
            .assert_success()
            .assert_contains("Provider development overrides are in effect")
            .assert_contains("null_resource.harness will be created");
        wd.run(&["apply", "-auto-approve", "-no-color"])
            .assert_success()
            .assert_contains("1 added");
        assert!(wd.read("terraform.tfstate").contains("harness-marker-42"));
    }
}

/// The mirror holds only what the test put there: asking for another provider fails at once
/// (no network attempt, no fallback to the machine's own plugin directories).
#[test]
fn mirror_offers_nothing_else() {
    let null = LocalProvider::hashicorp_null();
    let tf = &terraforms()[0];
    let wd = Workdir::with_mirror_of(tf, &[null]);
    wd.write(
        "main.tf",
        r#"
terraform {
  required_providers {
    random = { source = "hashicorp/random" }
  }
}
"#,
    );
    let out = wd.run(&["init", "-no-color"]);
    out.assert_failure().assert_contains("hashicorp/random");
    assert!(
        out.elapsed.as_secs() < 60,
        "init should fail fast: {:?}",
        out.elapsed
    );
}
