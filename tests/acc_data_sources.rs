//! End to end: real Terraform (1.11.4 and 1.0.3) reads `azurebackup_instance` and
//! `azurebackup_instances` from the emulator, on a vault whose list spans several pages.

mod common;

use common::emu::{self, Emu};
use common::{apply, ctx, outputs, terraforms};
use serde_json::json;

const DISKS: &[&str] = &["disk-1", "disk-2", "disk-3"];
const SERVERS: &[&str] = &["pgflex-1", "pgflex-2"];
/// Five instances at two per page: the list is three pages.
const PAGE_SIZE: usize = 2;

fn header() -> String {
    "terraform {\n  required_providers {\n    azurebackup = { source = \"azurebackup/azurebackup\" }\n  }\n}\nprovider \"azurebackup\" {}\n".to_owned()
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Three protected disks and two protected flexible servers.
fn resources() -> String {
    format!(
        r#"
locals {{
  vault = "{vault}"
}}
resource "azurebackup_instance" "disk" {{
  for_each                   = toset([{disks}])
  vault_id                   = local.vault
  datasource_id              = "{disk_prefix}${{each.key}}"
  location                   = "westeurope"
  policy_id                  = "{disk_policy}"
  snapshot_resource_group_id = "{snap}"
}}
resource "azurebackup_instance" "server" {{
  for_each      = toset([{servers}])
  vault_id      = local.vault
  datasource_id = "{server_prefix}${{each.key}}"
  location      = "westeurope"
  policy_id     = "{server_policy}"
}}
"#,
        vault = emu::vault(),
        disks = quoted(DISKS),
        servers = quoted(SERVERS),
        disk_prefix = emu::disk(""),
        server_prefix = emu::pg_flex(""),
        disk_policy = emu::policy("policy-disk"),
        server_policy = emu::policy("policy-pgflex"),
        snap = emu::rg("rg-snapshots"),
    )
}

fn data_sources() -> String {
    format!(
        r#"
data "azurebackup_instance" "by_id" {{
  id = azurebackup_instance.disk["disk-1"].id
}}
data "azurebackup_instance" "by_datasource" {{
  vault_id      = local.vault
  datasource_id = "{disk2}"
}}
data "azurebackup_instances" "all" {{
  vault_id = local.vault
}}
data "azurebackup_instances" "disks" {{
  vault_id        = local.vault
  datasource_type = "Microsoft.Compute/disks"
}}
data "azurebackup_instances" "failing" {{
  vault_id         = local.vault
  protection_state = "ProtectionError"
}}
output "by_id" {{ value = data.azurebackup_instance.by_id }}
output "by_datasource_name" {{ value = data.azurebackup_instance.by_datasource.name }}
output "disk2_name" {{ value = azurebackup_instance.disk["disk-2"].name }}
output "all" {{ value = data.azurebackup_instances.all.instances }}
output "disk_count" {{ value = length(data.azurebackup_instances.disks.instances) }}
output "failing" {{ value = data.azurebackup_instances.failing.instances[*].datasource_id }}
"#,
        disk2 = emu::disk("disk-2"),
    )
}

fn list_requests(emu: &Emu) -> u64 {
    emu.counters()["operations"]["listBackupInstances"]["count"]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn data_sources_read_instances_from_a_paged_list() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.knobs(json!({ "page_size": PAGE_SIZE }));
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &(header() + &resources()));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        assert_eq!(emu.instances().len(), DISKS.len() + SERVERS.len());
        let failing_id = emu
            .instances()
            .iter()
            .find(|i| {
                i["datasource_id"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("pgflex-2")
            })
            .and_then(|i| i["id"].as_str().map(str::to_owned))
            .expect("pgflex-2 instance");
        emu.admin(
            "POST",
            "/instances/protection-state",
            Some(json!({ "id": failing_id, "state": "ProtectionError" })),
        );

        wd.write("main.tf", &(header() + &resources() + &data_sources()));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "read data sources", &out));
        let o = outputs(&wd);
        let by_id = &o["by_id"]["value"];
        assert_eq!(by_id["protection_state"], "ProtectionConfigured", "{o}");
        assert_eq!(by_id["datasource_id"], emu::disk("disk-1"));
        assert_eq!(by_id["datasource_type"], "Microsoft.Compute/disks");
        assert_eq!(by_id["vault_id"], emu::vault());
        assert_eq!(by_id["policy_id"], emu::policy("policy-disk"));
        assert_eq!(by_id["snapshot_resource_group_id"], emu::rg("rg-snapshots"));
        assert_eq!(by_id["location"], "westeurope");
        assert_eq!(
            o["by_datasource_name"]["value"], o["disk2_name"]["value"],
            "{o}"
        );
        let all = o["all"]["value"].as_array().expect("instances list");
        assert_eq!(
            all.len(),
            DISKS.len() + SERVERS.len(),
            "every page read: {o}"
        );
        for i in all {
            for attr in [
                "id",
                "name",
                "datasource_id",
                "datasource_type",
                "policy_id",
                "protection_state",
                "provisioning_state",
            ] {
                assert!(i[attr].is_string(), "{attr} missing in {i}");
            }
        }
        assert_eq!(o["disk_count"]["value"], DISKS.len(), "{o}");
        assert_eq!(
            o["failing"]["value"],
            json!([emu::pg_flex("pgflex-2")]),
            "{o}"
        );

        let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        assert_eq!(
            out.status,
            0,
            "{}",
            ctx(&tf, "plan after reading must be empty", &out)
        );

        // One list data source alone: one request per page, none per instance.
        let alone = emu.workdir(&tf);
        alone.write(
            "main.tf",
            &format!(
                "{}data \"azurebackup_instances\" \"all\" {{\n  vault_id = \"{}\"\n}}\noutput \"n\" {{ value = length(data.azurebackup_instances.all.instances) }}\n",
                header(),
                emu::vault()
            ),
        );
        emu.admin("DELETE", "/requests", None);
        let out = apply(&alone);
        assert!(out.success(), "{}", ctx(&tf, "list alone", &out));
        let pages = (DISKS.len() + SERVERS.len()).div_ceil(PAGE_SIZE) as u64;
        let counters = emu.counters();
        assert_eq!(list_requests(&emu), pages, "{counters}");
        assert_eq!(
            counters["operations"]["getBackupInstance"]["count"]
                .as_u64()
                .unwrap_or(0),
            0,
            "{counters}"
        );
    }
}

/// Lookup mistakes are reported on the attribute at fault, before any request where possible.
#[test]
fn lookup_errors_name_the_attribute() {
    let tf = terraforms().remove(0);
    let emu = Emu::start();
    let wd = emu.workdir(&tf);
    wd.write(
        "main.tf",
        &format!(
            "{}data \"azurebackup_instance\" \"x\" {{\n  vault_id = \"{}\"\n}}\n",
            header(),
            emu::vault()
        ),
    );
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    out.assert_failure();
    out.assert_contains("Missing Lookup Argument");
    out.assert_contains("datasource_id");

    wd.write(
        "main.tf",
        &format!(
            "{}data \"azurebackup_instance\" \"x\" {{\n  vault_id      = \"{}\"\n  datasource_id = \"{}\"\n}}\n",
            header(),
            emu::vault(),
            emu::disk("disk-3")
        ),
    );
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    out.assert_failure();
    out.assert_contains("No Backup Instance Protects This Datasource");
}
