//! End to end, per datasource kind (blob operational and vaulted, Data Lake, AKS, MySQL flexible,
//! Cosmos DB, Elastic SAN): real Terraform (1.11.4 on PATH and 1.0.3) against the emulator, whose
//! own per-kind models check the bodies the provider sends. Each kind goes create → empty plan →
//! in-place change → empty plan → import → empty plan → destroy; the ARM requests of each create
//! are counted from the emulator's log and printed. The per-kind plan errors come last.

mod common;

use common::emu::{self, Emu};
use common::{Terraform, TfOutput, Workdir, apply, terraforms};

/// One kind's configuration: the resource arguments beyond vault, datasource, location and
/// policy, before and after the in-place change.
struct Case {
    name: &'static str,
    vault: &'static str,
    api_version: Option<&'static str>,
    datasource: String,
    policy: &'static str,
    args: String,
    changed: String,
}

fn vault(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.DataProtection/backupVaults/{name}",
        emu::rg("rg-backup")
    )
}

fn data(path: &str) -> String {
    format!("{}/providers/{path}", emu::rg("rg-data"))
}

fn snapshot_rg() -> String {
    format!(
        "  snapshot_resource_group_id = \"{}\"\n",
        emu::rg("rg-snapshots")
    )
}

const TAGS: &str = "  tags = { team = \"data\" }\n";

fn config(c: &Case, args: &str) -> String {
    let api = c
        .api_version
        .map(|v| format!("  api_version = \"{v}\"\n"))
        .unwrap_or_default();
    format!(
        r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
provider "azurebackup" {{
{api}}}
resource "azurebackup_instance" "x" {{
  vault_id      = "{vault}"
  datasource_id = "{ds}"
  location      = "westeurope"
  policy_id     = "{vault}/backupPolicies/{policy}"
{args}}}
"#,
        vault = vault(c.vault),
        ds = c.datasource,
        policy = c.policy,
    )
}

fn ctx(tf: &Terraform, c: &Case, step: &str, out: &TfOutput) -> String {
    format!(
        "terraform {} {} {step}:\n{}",
        tf.version,
        c.name,
        out.combined()
    )
}

fn assert_empty_plan(wd: &Workdir, tf: &Terraform, c: &Case, step: &str) {
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(out.status, 0, "{}", ctx(tf, c, step, &out));
}

/// The whole lifecycle of one kind on every Terraform core.
fn lifecycle(c: &Case, datasource_type: &str) {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(c, &c.args));
        emu.take_arm_requests();
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, c, "create", &out));
        let ops = emu.counters()["operations"].clone();
        let breakdown: Vec<String> = ops
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "token" | "admin" | "managedIdentityToken" | "metadata" | "discovery"
                )
            })
            .map(|(k, v)| format!("{k} {}", v["count"]))
            .collect();
        eprintln!(
            "ARM requests per create: {} on terraform {}: {} (plan and apply: {})",
            c.name,
            tf.version,
            emu.take_arm_requests(),
            breakdown.join(", ")
        );
        // No outputs: `terraform import` on 1.0 leaves them out of state, which a plan shows.
        let shown = wd.run(&["show", "-json"]).json();
        let values = &shown["values"]["root_module"]["resources"][0]["values"];
        assert_eq!(values["datasource_type"], datasource_type);
        let id = values["id"].as_str().unwrap().to_owned();
        let stored = emu.instances();
        assert_eq!(stored.len(), 1, "{stored:?}");
        assert_eq!(
            stored[0]["current_protection_state"],
            "ProtectionConfigured"
        );
        assert_empty_plan(&wd, &tf, c, "second plan");

        // In place: an update, never a replacement; the refresh after it reads the emulator's
        // stored body back, so an empty plan proves the change reached the service.
        wd.write("main.tf", &config(c, &c.changed));
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, c, "change plan", &out));
        out.assert_contains("1 to change, 0 to destroy");
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, c, "change apply", &out));
        assert_eq!(emu.instances()[0]["id"], id);
        assert_empty_plan(&wd, &tf, c, "plan after change");

        // Import: an import block on 1.5+, `terraform import` before.
        wd.run(&["state", "rm", "azurebackup_instance.x"])
            .assert_success();
        if tf.at_least(1, 5) {
            wd.write(
                "import.tf",
                &format!("import {{\n  to = azurebackup_instance.x\n  id = \"{id}\"\n}}\n"),
            );
            let out = apply(&wd);
            assert!(out.success(), "{}", ctx(&tf, c, "import apply", &out));
            out.assert_contains("1 imported, 0 added, 0 changed, 0 destroyed");
        } else {
            let out = wd.run(&[
                "import",
                "-input=false",
                "-no-color",
                "azurebackup_instance.x",
                &id,
            ]);
            assert!(out.success(), "{}", ctx(&tf, c, "import", &out));
        }
        assert_empty_plan(&wd, &tf, c, "plan after import");

        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, c, "destroy", &out));
        assert!(emu.instances().is_empty(), "{:?}", emu.instances());
    }
}

fn account(name: &str) -> String {
    data(&format!("Microsoft.Storage/storageAccounts/{name}"))
}

#[test]
fn blob_operational() {
    lifecycle(
        &Case {
            name: "blob (operational)",
            vault: "vault-demo",
            api_version: None,
            datasource: account("stbackupdemo"),
            policy: "policy-blob",
            args: String::new(),
            changed: TAGS.into(),
        },
        "Microsoft.Storage/storageAccounts/blobServices",
    );
}

#[test]
fn blob_vaulted_containers_change_in_place() {
    lifecycle(
        &Case {
            name: "blob (vaulted)",
            vault: "vault-demo",
            api_version: None,
            datasource: account("stbackupdemo"),
            policy: "policy-blob-vaulted",
            args: "  containers = [\"data\"]\n".into(),
            changed: "  containers = [\"data\", \"logs\"]\n".into(),
        },
        "Microsoft.Storage/storageAccounts/blobServices",
    );
}

#[test]
fn data_lake_containers_change_in_place() {
    let adls = "  datasource_type = \"Microsoft.Storage/storageAccounts/adlsBlobServices\"\n";
    lifecycle(
        &Case {
            name: "Data Lake",
            vault: "vault-demo",
            api_version: None,
            datasource: account("stlakedemo"),
            policy: "policy-adls",
            args: format!("{adls}  containers = [\"raw\"]\n"),
            changed: format!("{adls}  containers = [\"raw\", \"curated\"]\n"),
        },
        "Microsoft.Storage/storageAccounts/adlsBlobServices",
    );
}

#[test]
fn kubernetes_settings_change_in_place() {
    lifecycle(
        &Case {
            name: "AKS",
            vault: "vault-demo",
            api_version: None,
            datasource: data("Microsoft.ContainerService/managedClusters/aks-demo"),
            policy: "policy-aks",
            args: format!(
                "{}  kubernetes {{\n    included_namespaces = [\"app\"]\n    backup_hook_references = [{{ name = \"quiesce\", namespace = \"app\" }}]\n  }}\n",
                snapshot_rg()
            ),
            changed: format!(
                "{}  kubernetes {{\n    included_namespaces = [\"app\", \"data\"]\n    excluded_resource_types = [\"Secret\"]\n    label_selectors = [\"backup=true\"]\n    included_volume_types = [\"AzureDisk\"]\n    snapshot_volumes = false\n  }}\n",
                snapshot_rg()
            ),
        },
        "Microsoft.ContainerService/managedClusters",
    );
}

#[test]
fn kubernetes_without_a_block_takes_the_defaults() {
    lifecycle(
        &Case {
            name: "AKS (defaults)",
            vault: "vault-demo",
            api_version: None,
            datasource: data("Microsoft.ContainerService/managedClusters/aks-demo"),
            policy: "policy-aks",
            args: snapshot_rg(),
            changed: format!(
                "{}  kubernetes {{\n    excluded_namespaces = [\"kube-system\"]\n  }}\n",
                snapshot_rg()
            ),
        },
        "Microsoft.ContainerService/managedClusters",
    );
}

#[test]
fn mysql_flexible_server() {
    lifecycle(
        &Case {
            name: "MySQL flexible server",
            vault: "vault-demo",
            api_version: None,
            datasource: data("Microsoft.DBforMySQL/flexibleServers/mysql-demo"),
            policy: "policy-mysql",
            args: String::new(),
            changed: TAGS.into(),
        },
        "Microsoft.DBforMySQL/flexibleServers",
    );
}

#[test]
fn cosmos_db_account() {
    lifecycle(
        &Case {
            name: "Cosmos DB",
            vault: "vault-demo",
            api_version: None,
            datasource: data("Microsoft.DocumentDB/databaseAccounts/cosmos-demo"),
            policy: "policy-cosmos",
            args: String::new(),
            changed: TAGS.into(),
        },
        "Microsoft.DocumentDB/databaseAccounts",
    );
}

#[test]
fn elastic_san_volume_group() {
    lifecycle(
        &Case {
            name: "Elastic SAN",
            vault: "vault-secure",
            api_version: Some("2026-06-01"),
            datasource: data("Microsoft.ElasticSan/elasticSans/esan-demo/volumeGroups/vg-demo"),
            policy: "policy-esan",
            args: format!("{}  volume_name = \"vol-1\"\n", snapshot_rg()),
            changed: format!("{}  volume_name = \"vol-1\"\n{TAGS}", snapshot_rg()),
        },
        "Microsoft.ElasticSan/elasticSans/volumeGroups",
    );
}

/// Each wrong combination is a plan error on the attribute at fault, before any instance exists.
#[test]
fn wrong_combinations_are_plan_errors() {
    let disk = Case {
        name: "containers on a disk",
        vault: "vault-demo",
        api_version: None,
        datasource: emu::disk("disk-1"),
        policy: "policy-disk",
        args: format!("{}  containers = [\"data\"]\n", snapshot_rg()),
        changed: String::new(),
    };
    let aks = Case {
        name: "AKS without snapshot resource group",
        vault: "vault-demo",
        api_version: None,
        datasource: data("Microsoft.ContainerService/managedClusters/aks-demo"),
        policy: "policy-aks",
        args: String::new(),
        changed: String::new(),
    };
    let esan = |name, api, args: String| Case {
        name,
        vault: "vault-secure",
        api_version: api,
        datasource: data("Microsoft.ElasticSan/elasticSans/esan-demo/volumeGroups/vg-demo"),
        policy: "policy-esan",
        args,
        changed: String::new(),
    };
    let adls_on_disk = Case {
        name: "adlsBlobServices on a disk",
        vault: "vault-demo",
        api_version: None,
        datasource: emu::disk("disk-1"),
        policy: "policy-disk",
        args: format!(
            "{}  datasource_type = \"Microsoft.Storage/storageAccounts/adlsBlobServices\"\n",
            snapshot_rg()
        ),
        changed: String::new(),
    };
    let old_blob = Case {
        name: "containers on 2021-01-01",
        vault: "vault-demo",
        api_version: Some("2021-01-01"),
        datasource: account("stbackupdemo"),
        policy: "policy-blob-vaulted",
        args: "  containers = [\"data\"]\n".into(),
        changed: String::new(),
    };
    let cases = [
        (disk, "Argument Not Allowed", "containers"),
        (old_blob, "Not Supported By API Version", "containers"),
        (
            aks,
            "Missing Snapshot Resource Group",
            "snapshot_resource_group_id",
        ),
        (
            esan(
                "Elastic SAN without volume",
                Some("2026-06-01"),
                snapshot_rg(),
            ),
            "Missing Volume Name",
            "volume_name",
        ),
        (
            esan(
                "Elastic SAN on 2025-07-01",
                Some("2025-07-01"),
                format!("{}  volume_name = \"vol-1\"\n", snapshot_rg()),
            ),
            "Not Supported By API Version",
            "datasource_id",
        ),
        (
            adls_on_disk,
            "Datasource Type Does Not Fit",
            "datasource_type",
        ),
    ];
    for tf in terraforms() {
        let emu = Emu::start();
        for (c, summary, attribute) in &cases {
            let wd = emu.workdir(&tf);
            wd.write("main.tf", &config(c, &c.args));
            let out = wd.run(&["plan", "-input=false", "-no-color"]);
            assert!(!out.success(), "{}", ctx(&tf, c, "plan", &out));
            out.assert_contains(summary);
            // Terraform points at the attribute's line in the configuration.
            out.assert_contains(attribute);
        }
        assert!(emu.instances().is_empty());
    }
}

/// The `azurebackup_instance` data source reports the kind's parameters: the AKS settings as an
/// object, the Elastic SAN volume, the containers.
#[test]
fn the_data_source_reports_the_kind_parameters() {
    let aks = Case {
        name: "AKS data source",
        vault: "vault-demo",
        api_version: None,
        datasource: data("Microsoft.ContainerService/managedClusters/aks-demo"),
        policy: "policy-aks",
        args: format!(
            "{}  kubernetes {{\n    included_namespaces = [\"app\"]\n    snapshot_volumes = false\n  }}\n",
            snapshot_rg()
        ),
        changed: String::new(),
    };
    let reader = r#"
data "azurebackup_instance" "read" {
  id = azurebackup_instance.x.id
}
output "namespaces" { value = data.azurebackup_instance.read.kubernetes.included_namespaces }
output "snapshot_volumes" { value = data.azurebackup_instance.read.kubernetes.snapshot_volumes }
output "containers" { value = data.azurebackup_instance.read.containers }
"#;
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(&aks, &aks.args));
        wd.write("read.tf", reader);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, &aks, "apply", &out));
        let o = wd.run(&["output", "-json"]).json();
        assert_eq!(o["namespaces"]["value"], serde_json::json!(["app"]), "{o}");
        assert_eq!(o["snapshot_volumes"]["value"], false, "{o}");
        assert!(o["containers"]["value"].is_null(), "{o}");
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, &aks, "destroy", &out));
    }
}
