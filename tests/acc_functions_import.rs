//! End to end on every core from 1.8 (1.11.4 and 1.15.5): the provider functions in `terraform
//! console` (Terraform 1.8+), and `import` blocks with `-generate-config-out` (Terraform 1.5+)
//! giving a configuration that applies with an empty plan. Terraform 1.0.3 still serves the
//! provider (functions absent).

mod common;

use std::fs::File;

use common::emu::{self, Emu};
use common::{DEFAULT_TIMEOUT, Terraform, TfOutput, Workdir, ctx, run_bounded, terraforms};

const HEADER: &str = r#"terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
  }
}
provider "azurebackup" {}
"#;

/// A disk instance without a `name`, so the resource picks its deterministic one.
fn disk_config() -> String {
    format!(
        r#"{HEADER}
resource "azurebackup_instance" "x" {{
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
    )
}

fn console(wd: &Workdir, input: &str) -> TfOutput {
    wd.write("console.txt", input);
    let mut cmd = wd.command(&["console", "-no-color"]);
    cmd.stdin(File::open(wd.path().join("console.txt")).expect("console input"));
    run_bounded(cmd, "terraform console".into(), DEFAULT_TIMEOUT)
}

/// Every core with provider functions (1.8+): 1.11.4 on PATH and 1.15.5 from `.tools/`.
fn functions_terraforms() -> Vec<Terraform> {
    let cores: Vec<_> = terraforms()
        .into_iter()
        .filter(|tf| tf.at_least(1, 8))
        .collect();
    assert!(!cores.is_empty(), "no Terraform 1.8+");
    cores
}

#[test]
fn functions_in_terraform_console() {
    for tf in functions_terraforms() {
        functions_in_console_on(&tf);
    }
}

fn functions_in_console_on(tf: &Terraform) {
    let tf = tf.clone();
    let emu = Emu::start();
    let wd = emu.workdir(&tf);
    wd.write("main.tf", &disk_config());
    let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    assert!(out.success(), "{}", ctx(&tf, "create", &out));

    // Terraform's console evaluates one expression per run when its input is not a terminal.
    let id = format!("{}/backupInstances/bi-7", emu::vault());
    let out = console(
        &wd,
        &format!("provider::azurebackup::parse_backup_instance_id(\"{id}\")\n"),
    );
    assert!(out.success(), "{}", ctx(&tf, "console", &out));
    for line in [
        "\"name\" = \"bi-7\"".to_owned(),
        "\"vault_name\" = \"vault-demo\"".to_owned(),
        "\"resource_group_name\" = \"rg-backup\"".to_owned(),
        format!("\"subscription_id\" = \"{}\"", emu::SUB),
        format!("\"vault_id\" = \"{}\"", emu::vault()),
    ] {
        assert!(
            out.stdout.contains(&line),
            "{line} missing:\n{}",
            out.combined()
        );
    }
    // The name the resource chose, whatever the casing of the vault ID.
    for vault in [emu::vault(), emu::vault().to_uppercase()] {
        let out = console(
            &wd,
            &format!(
                "provider::azurebackup::backup_instance_name(\"{vault}\", \"{disk}\") == azurebackup_instance.x.name\n",
                disk = emu::disk("disk-1"),
            ),
        );
        assert!(out.success(), "{}", ctx(&tf, "console", &out));
        assert_eq!(
            out.stdout.trim(),
            "true",
            "{}",
            ctx(&tf, "name matches the resource's", &out)
        );
    }

    let out = console(
        &wd,
        &format!(
            "provider::azurebackup::backup_instance_name(\"{}\", \"/subscriptions/x/nope\")\n",
            emu::vault()
        ),
    );
    out.assert_failure();
    out.assert_contains("datasource_id");
    let out = console(
        &wd,
        "provider::azurebackup::parse_backup_instance_id(\"not-an-id\")\n",
    );
    out.assert_failure();
    out.assert_contains("Argument `id` is not a backup instance ID");
}

/// Terraform 1.0.3 knows no functions: the provider (which offers some) still plans and applies.
#[test]
fn terraform_1_0_still_works_with_a_provider_that_has_functions() {
    let tf = terraforms()
        .into_iter()
        .find(|tf| tf.version == common::OLDEST_TERRAFORM)
        .expect("Terraform 1.0.3");
    let emu = Emu::start();
    let wd = emu.workdir(&tf);
    wd.write("main.tf", &disk_config());
    let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    assert!(out.success(), "{}", ctx(&tf, "apply", &out));
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(out.status, 0, "{}", ctx(&tf, "second plan", &out));
}

/// `import` + `-generate-config-out`: the generated configuration has no computed-only or
/// conflicting attribute, applies (the import) and then plans empty.
#[test]
fn generated_configuration_round_trips() {
    for tf in functions_terraforms() {
        generated_configuration_round_trips_on(&tf);
    }
}

fn generated_configuration_round_trips_on(tf: &Terraform) {
    let tf = tf.clone();
    let emu = Emu::start();
    let creator = emu.workdir(&tf);
    creator.write(
        "main.tf",
        &format!(
            r#"{}
resource "azurebackup_instance" "flex" {{
  vault_id      = "{vault}"
  datasource_id = "{flex}"
  location      = "westeurope"
  policy_id     = "{policy}"
  tags          = {{ team = "data" }}
}}
output "disk" {{ value = azurebackup_instance.x.id }}
output "flex" {{ value = azurebackup_instance.flex.id }}
"#,
            disk_config(),
            vault = emu::vault(),
            flex = emu::pg_flex("pgflex-1"),
            policy = emu::policy("policy-pgflex"),
        ),
    );
    let out = creator.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    assert!(out.success(), "{}", ctx(&tf, "create", &out));
    let ids = creator.run(&["output", "-json"]).json();

    let wd = emu.workdir(&tf);
    wd.write(
        "main.tf",
        &format!(
            "{HEADER}\nimport {{\n  to = azurebackup_instance.disk\n  id = \"{}\"\n}}\nimport {{\n  to = azurebackup_instance.flex\n  id = \"{}\"\n}}\n",
            ids["disk"]["value"].as_str().unwrap(),
            ids["flex"]["value"].as_str().unwrap(),
        ),
    );
    let out = wd.run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    assert!(out.success(), "{}", ctx(&tf, "generate", &out));
    let generated = wd.read("generated.tf");
    // `datasource_type` is optional (it chooses Data Lake for a storage account), so the
    // generated configuration may carry it.
    for computed in [
        "id ",
        "protection_state",
        "protection_status",
        "provisioning_state",
    ] {
        assert!(
            !generated
                .lines()
                .any(|l| l.trim_start().starts_with(computed)),
            "computed-only {computed} in generated configuration:\n{generated}"
        );
    }
    assert!(
        generated.contains("snapshot_resource_group_id"),
        "{generated}"
    );
    assert!(generated.contains("team"), "{generated}");

    let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    assert!(
        out.success(),
        "{}\n{generated}",
        ctx(&tf, "import apply", &out)
    );
    out.assert_contains("2 imported, 0 added, 0 changed, 0 destroyed");
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        out.status,
        0,
        "{}\n{generated}",
        ctx(&tf, "plan after import", &out)
    );
}

/// Issue 18, finding 11: `backup_instance_name` gives the resource's name for an upper-cased
/// datasource ID too (as its docs promise), and refuses, naming `datasource_id`, a datasource
/// whose name would give an instance name the resource refuses (non-ASCII).
#[test]
fn backup_instance_name_follows_the_resources_rules() {
    for tf in functions_terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &disk_config());
        let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        let upper = emu::disk("disk-1").to_uppercase();
        let out = console(
            &wd,
            &format!(
                "provider::azurebackup::backup_instance_name(\"{vault}\", \"{upper}\") == azurebackup_instance.x.name\n",
                vault = emu::vault(),
            ),
        );
        assert!(out.success(), "{}", ctx(&tf, "upper-case datasource", &out));
        assert_eq!(
            out.stdout.trim(),
            "true",
            "{}",
            ctx(&tf, "upper-case datasource", &out)
        );

        let out = console(
            &wd,
            &format!(
                "provider::azurebackup::backup_instance_name(\"{vault}\", \"{disk}\")\n",
                vault = emu::vault(),
                disk = emu::disk("disk-ü"),
            ),
        );
        assert!(!out.success(), "{}", ctx(&tf, "non-ASCII datasource", &out));
        let text = out
            .combined()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains("`datasource_id`") && text.contains("refuses"),
            "{}",
            ctx(&tf, "non-ASCII datasource", &out)
        );
    }
}
