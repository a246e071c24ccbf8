//! End to end (issue 18, findings 7 and 8; issue 19, item 5): the data sources believe only
//! answers that say what they are about. Real Terraform (every core of `terraforms()`) against
//! the emulator, whose knobs give list entries of another vault, entries without a name or
//! named `..`, a `nextLink` that loops, and answers without `id`.

mod common;

use common::emu::{self, Emu};
use common::{Terraform, Workdir, apply, ctx, outputs, terraforms};
use serde_json::{Value, json};

/// Terraform wraps diagnostics at its terminal width: compare words, not lines.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn header() -> String {
    "terraform {\n  required_providers {\n    azurebackup = { source = \"azurebackup/azurebackup\" }\n  }\n}\nprovider \"azurebackup\" {}\n".to_owned()
}

/// Two protected disks.
fn resources() -> String {
    format!(
        r#"
resource "azurebackup_instance" "disk" {{
  for_each                   = toset(["disk-1", "disk-2"])
  vault_id                   = "{vault}"
  datasource_id              = "{prefix}${{each.key}}"
  location                   = "westeurope"
  policy_id                  = "{policy}"
  snapshot_resource_group_id = "{snap}"
}}
"#,
        vault = emu::vault(),
        prefix = emu::disk(""),
        policy = emu::policy("policy-disk"),
        snap = emu::rg("rg-snapshots"),
    )
}

/// Both list-based data sources, and the instance by its ID.
fn data_sources() -> String {
    format!(
        r#"
data "azurebackup_instances" "all" {{
  vault_id = "{vault}"
}}
data "azurebackup_instance" "by_datasource" {{
  vault_id      = "{vault}"
  datasource_id = "{disk}"
}}
output "ids" {{ value = data.azurebackup_instances.all.instances[*].id }}
output "by_datasource" {{ value = data.azurebackup_instance.by_datasource.id }}
"#,
        vault = emu::vault(),
        disk = emu::disk("disk-2"),
    )
}

/// A workdir with both disks applied, the data sources not yet in the configuration.
fn protected(emu: &Emu, tf: &Terraform) -> Workdir {
    let wd = emu.workdir(tf);
    wd.write("main.tf", &(header() + &resources()));
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(tf, "create", &out));
    wd
}

fn plan(wd: &Workdir) -> common::TfOutput {
    wd.run(&["plan", "-input=false", "-no-color", "-refresh=false"])
}

/// Each misleading list makes both list-based data sources fail with an error on `vault_id`
/// that names the problem; none reports an instance under a made-up ID. With the honest list
/// they report each entry's own ID.
#[test]
fn list_entries_are_checked_by_their_own_id() {
    let other = emu::vault().replace("vault-demo", "vault-secure");
    for tf in terraforms() {
        let emu = Emu::start_with(azurebackup_emulator::Knobs {
            page_size: 1,
            ..emu::zero_latency()
        });
        let wd = protected(&emu, &tf);
        wd.write("main.tf", &(header() + &resources() + &data_sources()));
        for (what, shape, says) in [
            (
                "entries of another vault",
                json!({"entries": {"foreign_vault": other}}),
                "an instance of another vault",
            ),
            (
                "entry without a name",
                json!({"entries": "no_name"}),
                "without a `name`",
            ),
            (
                "entry named ..",
                json!({"entries": "dot_dot_name"}),
                "not a backup instance ID",
            ),
            (
                "nextLink that loops",
                json!({"loop_next_link": true}),
                "same next page link twice",
            ),
            (
                "nextLink to another vault",
                json!({"next_link_vault": other}),
                "another list",
            ),
        ] {
            emu.knobs(json!({"list_shape": shape}));
            let out = plan(&wd);
            let text = one_line(&out.combined());
            assert!(!out.success(), "{}", ctx(&tf, what, &out));
            assert!(text.contains(says), "{}", ctx(&tf, what, &out));
            assert!(
                text.contains("data.azurebackup_instances.all")
                    && text.contains("data.azurebackup_instance.by_datasource"),
                "{}",
                ctx(&tf, &format!("{what}: both data sources fail"), &out)
            );
            assert!(
                !text.contains("backupInstances/..") || what == "entry named ..",
                "{}",
                ctx(&tf, what, &out)
            );
            emu.knobs(json!({"list_shape": {
                "entries": "normal", "loop_next_link": false, "next_link_vault": null
            }}));
        }
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "honest list", &out));
        let o = outputs(&wd);
        let mut ids: Vec<String> = o["ids"]["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        let mut want: Vec<String> = emu
            .instances()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        want.sort();
        assert_eq!(ids, want, "{o}");
    }
}

/// An instance GET, a vault GET (behind `azurebackup_role_assignments`) or a policy GET answered
/// without `id` is an error naming that, never state: the role assignments' `principal_id` is
/// not taken from a body that does not say whose it is.
#[test]
fn answers_without_id_are_errors() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = protected(&emu, &tf);
        let config = format!(
            r#"
data "azurebackup_instance" "by_id" {{
  id = azurebackup_instance.disk["disk-1"].id
}}
data "azurebackup_role_assignments" "disk" {{
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  snapshot_resource_group_id = "{snap}"
}}
output "principal" {{ value = data.azurebackup_role_assignments.disk.principal_id }}
"#,
            vault = emu::vault(),
            disk = emu::disk("disk-1"),
            snap = emu::rg("rg-snapshots"),
        );
        wd.write("main.tf", &(header() + &resources() + &config));
        for (what, operation, address) in [
            (
                "instance GET",
                "getBackupInstance",
                "data.azurebackup_instance.by_id",
            ),
            (
                "vault GET",
                "getBackupVault",
                "data.azurebackup_role_assignments.disk",
            ),
        ] {
            emu.knobs(json!({"answer_rules": [
                {"operation": operation, "answer": "without_id"}
            ]}));
            let out = plan(&wd);
            let text = one_line(&out.combined());
            assert!(!out.success(), "{}", ctx(&tf, what, &out));
            assert!(
                text.contains("(no id)") && text.contains(address),
                "{}",
                ctx(&tf, what, &out)
            );
        }
        // The refresh of the resource refuses an instance answer without `id` too, and keeps
        // the instance in state.
        emu.knobs(json!({"answer_rules": [
            {"operation": "getBackupInstance", "answer": "without_id"}
        ]}));
        wd.write("main.tf", &(header() + &resources()));
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(
            !out.success() && one_line(&out.combined()).contains("(no id)"),
            "{}",
            ctx(&tf, "resource refresh", &out)
        );
        emu.knobs(json!({"answer_rules": []}));
        let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        assert_eq!(out.status, 0, "{}", ctx(&tf, "answers with id", &out));
    }
}

/// `azurebackup_instances` gives each element every kind-specific attribute the resource has:
/// a vaulted blob instance's `containers`, an AKS instance's `kubernetes` block, an Elastic SAN
/// instance's `volume_name`, a disk's snapshot resource group; null where the kind has none.
#[test]
fn instances_elements_carry_the_kind_specific_attributes() {
    let tf = terraforms().into_iter().next().expect("a Terraform core");
    let emu = Emu::start();
    let wd = emu.workdir(&tf);
    let secure = emu::vault().replace("vault-demo", "vault-secure");
    let data = |p: &str| format!("{}/providers/{p}", emu::rg("rg-data"));
    let resources = format!(
        r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
provider "azurebackup" {{}}
provider "azurebackup" {{
  alias       = "newest"
  api_version = "2026-06-01"
}}
resource "azurebackup_instance" "disk" {{
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "westeurope"
  policy_id                  = "{vault}/backupPolicies/policy-disk"
  snapshot_resource_group_id = "{snap}"
}}
resource "azurebackup_instance" "blob" {{
  vault_id      = "{vault}"
  datasource_id = "{blob}"
  location      = "westeurope"
  policy_id     = "{vault}/backupPolicies/policy-blob-vaulted"
  containers    = ["data"]
}}
resource "azurebackup_instance" "aks" {{
  vault_id                   = "{vault}"
  datasource_id              = "{aks}"
  location                   = "westeurope"
  policy_id                  = "{vault}/backupPolicies/policy-aks"
  snapshot_resource_group_id = "{snap}"
  kubernetes {{
    included_namespaces = ["app"]
  }}
}}
resource "azurebackup_instance" "esan" {{
  provider                   = azurebackup.newest
  vault_id                   = "{secure}"
  datasource_id              = "{esan}"
  location                   = "westeurope"
  policy_id                  = "{secure}/backupPolicies/policy-esan"
  snapshot_resource_group_id = "{snap}"
  volume_name                = "vol-1"
}}
"#,
        vault = emu::vault(),
        disk = emu::disk("disk-1"),
        blob = data("Microsoft.Storage/storageAccounts/stbackupdemo"),
        aks = data("Microsoft.ContainerService/managedClusters/aks-demo"),
        esan = data("Microsoft.ElasticSan/elasticSans/esan-demo/volumeGroups/vg-demo"),
        snap = emu::rg("rg-snapshots"),
    );
    wd.write("main.tf", &resources);
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(&tf, "create", &out));
    wd.write(
        "main.tf",
        &(resources
            + &format!(
                r#"
data "azurebackup_instances" "demo" {{
  vault_id = "{vault}"
}}
data "azurebackup_instances" "secure" {{
  provider = azurebackup.newest
  vault_id = "{secure}"
}}
output "all" {{
  value = concat(data.azurebackup_instances.demo.instances, data.azurebackup_instances.secure.instances)
}}
"#,
                vault = emu::vault()
            )),
    );
    let out = apply(&wd);
    assert!(out.success(), "{}", ctx(&tf, "read", &out));
    let all: Vec<Value> = outputs(&wd)["all"]["value"].as_array().unwrap().clone();
    assert_eq!(all.len(), 4, "{all:?}");
    let by_type = |t: &str| {
        all.iter()
            .find(|e| e["datasource_type"] == t)
            .unwrap_or_else(|| panic!("no {t} in {all:?}"))
    };
    let disk = by_type("Microsoft.Compute/disks");
    assert_eq!(
        disk["snapshot_resource_group_id"],
        json!(emu::rg("rg-snapshots"))
    );
    for a in [
        "containers",
        "volume_name",
        "kubernetes",
        "key_vault_secret_uri",
    ] {
        assert!(
            disk.as_object().unwrap().contains_key(a) && disk[a].is_null(),
            "{a}: {disk}"
        );
    }
    let blob = by_type("Microsoft.Storage/storageAccounts/blobServices");
    assert_eq!(blob["containers"], json!(["data"]), "{blob}");
    let aks = by_type("Microsoft.ContainerService/managedClusters");
    assert_eq!(
        aks["kubernetes"]["included_namespaces"],
        json!(["app"]),
        "{aks}"
    );
    let esan = by_type("Microsoft.ElasticSan/elasticSans/volumeGroups");
    assert_eq!(esan["volume_name"], json!("vol-1"), "{esan}");
}
