//! End to end on Terraform 1.15.5 against the emulator: resource identity, the
//! `azurebackup_instance` list resource and `terraform query -generate-config-out`.
//!
//! - A query finds the vault's instances with each filter and stops at `limit`, paging the
//!   vault's list only (no GET per instance).
//! - The configuration generated for a vault holding every kind and protection mode plans only
//!   imports, applies, and then plans empty.
//! - `import { identity = {...} }` works, the identity is in `terraform show -json`, and an
//!   identity that changes for an instance in state is refused.
//! - Bad inputs (not a vault, a filter matching no kind, a missing vault) are clear errors.

mod common;

use common::emu::{self, Emu};
use common::{Terraform, TfOutput, Workdir, apply, ctx, newest_terraform};
use serde_json::{Value, json};

const HEADER: &str = r#"terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
  }
}
provider "azurebackup" {}
provider "azurebackup" {
  alias       = "secure"
  api_version = "2026-06-01"
}
"#;

fn data(path: &str) -> String {
    format!("{}/providers/{path}", emu::rg("rg-data"))
}

fn secure_vault() -> String {
    emu::vault().replace("vault-demo", "vault-secure")
}

fn instance(name: &str, datasource: &str, policy: &str, args: &str) -> String {
    format!(
        "resource \"azurebackup_instance\" \"{name}\" {{\n  vault_id      = \"{vault}\"\n  datasource_id = \"{datasource}\"\n  location      = \"westeurope\"\n  policy_id     = \"{policy}\"\n{args}}}\n",
        vault = emu::vault(),
        policy = emu::policy(policy),
    )
}

fn snap() -> String {
    format!(
        "  snapshot_resource_group_id = \"{}\"\n",
        emu::rg("rg-snapshots")
    )
}

/// Every kind in vault-demo, the disks in each protection mode (blob vaulted and Elastic SAN are
/// in [`second_vault_config`]: one storage account holds one blob instance).
fn every_kind_config() -> String {
    let mut c = HEADER.to_owned();
    for (disk, mode) in [
        ("disk-1", "Protected"),
        ("disk-2", "BackupsSuspended"),
        ("disk-3", "ProtectionStopped"),
    ] {
        c += &instance(
            &disk.replace('-', "_"),
            &emu::disk(disk),
            "policy-disk",
            &format!(
                "{}  protection_mode = \"{mode}\"\n  tags = {{ mode = \"{mode}\" }}\n",
                snap()
            ),
        );
    }
    c += &instance(
        "pg_single",
        &emu::pg_database("appdb"),
        "policy-postgres",
        &format!("  key_vault_secret_uri = \"{}\"\n", emu::KV_SECRET),
    );
    c += &instance("pg_flex", &emu::pg_flex("pgflex-1"), "policy-pgflex", "");
    c += &instance(
        "blob",
        &data("Microsoft.Storage/storageAccounts/stbackupdemo"),
        "policy-blob",
        "",
    );
    c += &instance(
        "lake",
        &data("Microsoft.Storage/storageAccounts/stlakedemo"),
        "policy-adls",
        "  datasource_type = \"Microsoft.Storage/storageAccounts/adlsBlobServices\"\n  containers = [\"raw\"]\n",
    );
    c += &instance(
        "aks",
        &data("Microsoft.ContainerService/managedClusters/aks-demo"),
        "policy-aks",
        &format!(
            "{}  kubernetes {{\n    included_namespaces = [\"app\"]\n    label_selectors = [\"backup=true\"]\n    backup_hook_references = [{{ name = \"quiesce\", namespace = \"app\" }}]\n  }}\n",
            snap()
        ),
    );
    c += &instance(
        "mysql",
        &data("Microsoft.DBforMySQL/flexibleServers/mysql-demo"),
        "policy-mysql",
        "",
    );
    c += &instance(
        "cosmos",
        &data("Microsoft.DocumentDB/databaseAccounts/cosmos-demo"),
        "policy-cosmos",
        "",
    );
    c
}

/// Blob (vaulted) in vault-demo and an Elastic SAN volume in vault-secure (a newer API version).
fn second_vault_config() -> String {
    let mut c = HEADER.to_owned();
    c += &instance(
        "blob_vaulted",
        &data("Microsoft.Storage/storageAccounts/stbackupdemo"),
        "policy-blob-vaulted",
        "  containers = [\"data\", \"logs\"]\n",
    );
    c += &format!(
        "resource \"azurebackup_instance\" \"esan\" {{\n  provider      = azurebackup.secure\n  vault_id      = \"{vault}\"\n  datasource_id = \"{ds}\"\n  location      = \"westeurope\"\n  policy_id     = \"{vault}/backupPolicies/policy-esan\"\n{snap}  volume_name   = \"vol-1\"\n}}\n",
        vault = secure_vault(),
        ds = data("Microsoft.ElasticSan/elasticSans/esan-demo/volumeGroups/vg-demo"),
        snap = snap(),
    );
    c
}

fn list_block(name: &str, provider: &str, config: &str, extra: &str) -> String {
    format!(
        "list \"azurebackup_instance\" \"{name}\" {{\n  provider = {provider}\n{extra}  config {{\n{config}  }}\n}}\n"
    )
}

fn vault_line(vault: &str) -> String {
    format!("    vault_id = \"{vault}\"\n")
}

/// Creates the instances of `config` in the emulator with a workdir of its own (as the portal
/// or Azure Policy would have), so the adopting workdir starts with no state.
fn seed(emu: &Emu, tf: &Terraform, config: &str) {
    let wd = emu.workdir(tf);
    wd.write("main.tf", config);
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(tf, "seed", &out));
}

/// The results `terraform query -json` reported, per list address: (display name, identity).
fn query_results(out: &TfOutput) -> Vec<(String, String, Value)> {
    out.stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "list_resource_found")
        .map(|v| {
            let f = &v["list_resource_found"];
            (
                f["address"].as_str().unwrap_or_default().to_owned(),
                f["display_name"].as_str().unwrap_or_default().to_owned(),
                f["identity"].clone(),
            )
        })
        .collect()
}

fn query(wd: &Workdir, tf: &Terraform, lists: &str) -> Vec<(String, String, Value)> {
    wd.write("main.tf", HEADER);
    wd.write("find.tfquery.hcl", lists);
    let out = wd.run(&["query", "-json", "-no-color"]);
    assert!(out.success(), "{}", ctx(tf, "query", &out));
    query_results(&out)
}

fn count(results: &[(String, String, Value)], list: &str) -> usize {
    results
        .iter()
        .filter(|(a, _, _)| a == &format!("list.azurebackup_instance.{list}"))
        .count()
}

#[test]
fn query_filters_limit_and_pages_only() {
    let tf = newest_terraform();
    let emu = Emu::start();
    seed(&emu, &tf, &every_kind_config());
    // Two instances per list page, so the walk has pages to follow and to stop.
    emu.knobs(json!({"page_size": 2}));
    let wd = emu.workdir(&tf);
    let v = vault_line(&emu::vault());
    let lists = [
        list_block("all", "azurebackup", &v, ""),
        list_block(
            "disks",
            "azurebackup",
            &format!("{v}    datasource_type = \"microsoft.compute/disks\"\n"),
            "",
        ),
        list_block(
            "suspended",
            "azurebackup",
            &format!("{v}    protection_state = \"BackupsSuspended\"\n"),
            "",
        ),
        list_block(
            "rg_data",
            "azurebackup",
            &format!("{v}    datasource_resource_group = \"RG-DATA\"\n"),
            "",
        ),
        list_block(
            "rg_other",
            "azurebackup",
            &format!("{v}    datasource_resource_group = \"rg-other\"\n"),
            "",
        ),
    ]
    .concat();
    emu.take_arm_requests();
    let results = query(&wd, &tf, &lists);
    let requests = emu.counters();
    assert_eq!(count(&results, "all"), 10, "{results:#?}");
    assert_eq!(count(&results, "disks"), 3, "{results:#?}");
    assert_eq!(count(&results, "suspended"), 1, "{results:#?}");
    assert_eq!(count(&results, "rg_data"), 10, "{results:#?}");
    assert_eq!(count(&results, "rg_other"), 0, "{results:#?}");
    let disk = results
        .iter()
        .find(|(a, _, id)| a.ends_with(".suspended") && id["name"].is_string())
        .expect("the suspended disk");
    assert!(
        disk.1.contains("(managed disk disk-2)"),
        "display name: {}",
        disk.1
    );
    assert_eq!(disk.2["backup_vault_name"], "vault-demo");
    assert_eq!(disk.2["resource_group_name"], "rg-backup");
    assert_eq!(disk.2["subscription_id"], emu::SUB);
    // Pages only: five lists of a 10-instance vault at 2 per page, no GET of an instance.
    let ops = &requests["operations"];
    assert_eq!(
        ops["getBackupInstance"]["count"].as_u64().unwrap_or(0),
        0,
        "{requests}"
    );
    assert_eq!(
        ops["listBackupInstances"]["count"].as_u64().unwrap_or(0),
        25,
        "{requests}"
    );

    // `limit`: two results of ten, from the first page alone.
    emu.take_arm_requests();
    let results = query(
        &wd,
        &tf,
        &list_block("two", "azurebackup", &v, "  limit = 2\n"),
    );
    assert_eq!(count(&results, "two"), 2, "{results:#?}");
    assert_eq!(
        emu.counters()["operations"]["listBackupInstances"]["count"].as_u64(),
        Some(1)
    );
}

/// `terraform query -generate-config-out`, then plan (imports only), apply, empty plan.
fn adopt(emu: &Emu, tf: &Terraform, lists: &str, expected: usize) -> String {
    let wd = emu.workdir(tf);
    wd.write("main.tf", HEADER);
    wd.write("adopt.tfquery.hcl", lists);
    let out = wd.run(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    assert!(
        out.success(),
        "{}",
        ctx(tf, "query -generate-config-out", &out)
    );
    let generated = wd.read("generated.tf");
    assert_eq!(
        generated.matches("import {").count(),
        expected,
        "{generated}"
    );
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    assert!(out.success(), "{}", ctx(tf, "plan of generated", &out));
    out.assert_contains(&format!(
        "Plan: {expected} to import, 0 to add, 0 to change, 0 to destroy."
    ));
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(tf, "apply of generated", &out));
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        out.status,
        0,
        "{}\n{generated}",
        ctx(tf, "plan after adopting", &out)
    );
    // Identity is part of state.
    let shown = wd.run(&["show", "-json"]).json();
    let resources = shown["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(resources.len(), expected, "{shown}");
    for r in &resources {
        assert!(r["identity"]["name"].is_string(), "no identity: {r}");
    }
    eprintln!("generated configuration ({}):\n{generated}", tf.version);
    generated
}

#[test]
fn generated_configuration_adopts_every_kind_and_mode() {
    let tf = newest_terraform();
    let emu = Emu::start();
    seed(&emu, &tf, &every_kind_config());
    let generated = adopt(
        &emu,
        &tf,
        &list_block("all", "azurebackup", &vault_line(&emu::vault()), ""),
        10,
    );
    for needed in [
        "protection_mode            = \"BackupsSuspended\"",
        "protection_mode            = \"ProtectionStopped\"",
        "key_vault_secret_uri",
        "kubernetes {",
        "included_namespaces",
        "Microsoft.Storage/storageAccounts/adlsBlobServices",
    ] {
        assert!(generated.contains(needed), "{needed} missing:\n{generated}");
    }
    // The stopped and the suspended instance hold recovery points: their generated blocks keep
    // them on a later destroy, as an import of them would.
    assert_eq!(
        generated
            .matches("destroy_behavior           = \"StopProtectionRetainData\"")
            .count(),
        2,
        "{generated}"
    );

    let emu = Emu::start();
    seed(&emu, &tf, &second_vault_config());
    let lists = [
        list_block("demo", "azurebackup", &vault_line(&emu::vault()), ""),
        list_block(
            "secure",
            "azurebackup.secure",
            &vault_line(&secure_vault()),
            "",
        ),
    ]
    .concat();
    let generated = adopt(&emu, &tf, &lists, 2);
    assert!(generated.contains("volume_name"), "{generated}");
    assert!(generated.contains("azurebackup.secure"), "{generated}");
}

fn disk_identity_block(name: &str) -> String {
    format!(
        "import {{\n  to = azurebackup_instance.disk\n  identity = {{\n    subscription_id     = \"{sub}\"\n    resource_group_name = \"rg-backup\"\n    backup_vault_name   = \"vault-demo\"\n    name                = \"{name}\"\n  }}\n}}\n",
        sub = emu::SUB
    )
}

#[test]
fn import_by_identity_and_identity_changes_refused() {
    let tf = newest_terraform();
    let emu = Emu::start();
    let disk = format!(
        "{HEADER}{}",
        instance(
            "disk",
            &emu::disk("disk-1"),
            "policy-disk",
            &format!("  name = \"bi-disk\"\n{}", snap())
        )
    );
    seed(&emu, &tf, &disk);
    let wd = emu.workdir(&tf);
    wd.write(
        "main.tf",
        &format!("{disk}{}", disk_identity_block("bi-disk")),
    );
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    assert!(
        out.success(),
        "{}",
        ctx(&tf, "plan import by identity", &out)
    );
    out.assert_contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.");
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(&tf, "import by identity", &out));
    let shown = wd.run(&["show", "-json"]).json();
    let identity = &shown["values"]["root_module"]["resources"][0]["identity"];
    assert_eq!(
        identity,
        &json!({
            "subscription_id": emu::SUB,
            "resource_group_name": "rg-backup",
            "backup_vault_name": "vault-demo",
            "name": "bi-disk",
        })
    );
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(out.status, 0, "{}", ctx(&tf, "plan after import", &out));

    // State whose identity names another instance than its ID: refused, state kept.
    let mut state: Value = serde_json::from_str(&wd.read("terraform.tfstate")).unwrap();
    state["serial"] = json!(state["serial"].as_u64().unwrap_or(0) + 1);
    state["resources"][0]["instances"][0]["identity"]["name"] = json!("bi-other");
    wd.write("tampered.tfstate", &state.to_string());
    wd.run(&["state", "push", "-force", "tampered.tfstate"])
        .assert_success();
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    out.assert_failure();
    out.assert_contains("Resource Identity Changed");
    out.assert_contains("bi-other");
    assert_eq!(emu.instances().len(), 1, "nothing deleted");

    // An identity that names no instance, and one that is not an ID at all.
    let wd = emu.workdir(&tf);
    wd.write(
        "main.tf",
        &format!(
            "{}{}",
            disk.replace("bi-disk", "bi-nope"),
            disk_identity_block("bi-nope")
        ),
    );
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    out.assert_failure();
    out.assert_contains("Cannot Import Non-Existent Backup Instance");
    wd.write(
        "main.tf",
        &format!(
            "{disk}{}",
            disk_identity_block("bi-disk").replace(emu::SUB, "not-a-subscription")
        ),
    );
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    out.assert_failure();
    out.assert_contains("Invalid Import Identity");
}

#[test]
fn bad_list_inputs_are_clear_errors() {
    let tf = newest_terraform();
    let emu = Emu::start();
    let wd = emu.workdir(&tf);
    wd.write("main.tf", HEADER);
    let run = |lists: &str| {
        wd.write("find.tfquery.hcl", lists);
        wd.run(&["query", "-no-color"])
    };
    let out = run(&list_block(
        "x",
        "azurebackup",
        &vault_line(&emu::rg("rg-backup")),
        "",
    ));
    out.assert_failure();
    out.assert_contains("Invalid Backup Vault ID");
    out.assert_contains("vault_id = ");
    let out = run(&list_block(
        "x",
        "azurebackup",
        &format!(
            "{}    datasource_type = \"Microsoft.Compute/virtualMachines\"\n",
            vault_line(&emu::vault())
        ),
        "",
    ));
    out.assert_failure();
    out.assert_contains("Unknown Filter Value");
    out.assert_contains("Microsoft.Compute/disks");
    let out = run(&list_block(
        "x",
        "azurebackup",
        &format!(
            "{}    protection_state = \"Happy\"\n",
            vault_line(&emu::vault())
        ),
        "",
    ));
    out.assert_failure();
    out.assert_contains("Unknown Filter Value");
    let out = run(&list_block(
        "x",
        "azurebackup",
        &vault_line(&emu::vault().replace("vault-demo", "vault-nope")),
        "",
    ));
    out.assert_failure();
    out.assert_contains("Unable to List Backup Instances");
    out.assert_contains("ResourceNotFound");
    // Nothing but what Terraform itself writes.
    let mut files: Vec<_> = std::fs::read_dir(wd.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["find.tfquery.hcl", "main.tf"], "{files:?}");
}
