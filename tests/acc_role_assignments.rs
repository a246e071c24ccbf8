//! End to end: real Terraform (1.11.4 and 1.0.3) reads `azurebackup_role_assignments` from the
//! emulator — the roles of a disk and of a PostgreSQL flexible server with the vault's principal,
//! plan errors on the attribute for an input missing or not used, a missing vault — and the data
//! source's examples (`examples/data-sources/azurebackup_role_assignments`, and the full
//! `examples/role-assignments` feeding a stand-in role-assignment module) validate and apply.

mod common;

use std::path::Path;

use common::emu::{self, Emu};
use common::{Terraform, Workdir, apply, ctx, outputs, repo_root, terraforms};
use serde_json::{Value, json};

/// The default world's vault-demo system-assigned principal.
const VAULT_PRINCIPAL: &str = "44444444-4444-4444-4444-444444444444";

fn header() -> String {
    "terraform {\n  required_providers {\n    azurebackup = { source = \"azurebackup/azurebackup\" }\n  }\n}\nprovider \"azurebackup\" {}\n".to_owned()
}

fn plan_is_empty(wd: &Workdir, tf: &Terraform, what: &str) {
    let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(out.status, 0, "{}", ctx(tf, what, &out));
}

/// `assignments` as `(role, scope, principal, principal_id)`, in order.
fn quads(list: &Value) -> Vec<(String, String, String, String)> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|a| {
            let g = |n: &str| a[n].as_str().unwrap_or_default().to_owned();
            (
                g("role_definition_name"),
                g("scope"),
                g("principal"),
                g("principal_id"),
            )
        })
        .collect()
}

fn vault_role(role: &str, scope: String) -> (String, String, String, String) {
    (
        role.to_owned(),
        scope,
        "vault".to_owned(),
        VAULT_PRINCIPAL.to_owned(),
    )
}

/// A disk needs Disk Backup Reader on itself and Disk Snapshot Contributor on the snapshot
/// resource group; a flexible server Reader on its resource group and the long-term-retention
/// role on itself — all for the vault's system-assigned principal, as the vault GET reports it.
#[test]
fn roles_of_a_disk_and_a_flexible_server_name_the_vault_principal() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &(header()
                + &format!(
                    r#"
data "azurebackup_role_assignments" "disk" {{
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  snapshot_resource_group_id = "{snap}"
}}
data "azurebackup_role_assignments" "server" {{
  vault_id        = "{vault}"
  datasource_id   = "{server}"
  datasource_type = "Microsoft.DBforPostgreSQL/flexibleServers"
}}
output "disk" {{ value = data.azurebackup_role_assignments.disk }}
output "server" {{ value = data.azurebackup_role_assignments.server }}
output "keys" {{ value = [for a in data.azurebackup_role_assignments.disk.assignments : a.key] }}
"#,
                    vault = emu::vault(),
                    disk = emu::disk("disk-1"),
                    server = emu::pg_flex("pgflex-1"),
                    snap = emu::rg("rg-snapshots"),
                )),
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        let o = outputs(&wd);
        let disk = &o["disk"]["value"];
        assert_eq!(disk["principal_id"], VAULT_PRINCIPAL, "{o}");
        assert_eq!(disk["kind"], "Microsoft.Compute/disks", "{o}");
        assert_eq!(
            quads(&disk["assignments"]),
            vec![
                vault_role("Disk Backup Reader", emu::disk("disk-1")),
                vault_role("Disk Snapshot Contributor", emu::rg("rg-snapshots")),
            ],
            "terraform {}",
            tf.version
        );
        assert_eq!(
            o["keys"]["value"],
            json!([
                format!("vault:Disk Backup Reader:{}", emu::disk("disk-1")),
                format!(
                    "vault:Disk Snapshot Contributor:{}",
                    emu::rg("rg-snapshots")
                ),
            ])
        );
        let server = &o["server"]["value"];
        assert_eq!(
            server["kind"], "Microsoft.DBforPostgreSQL/flexibleServers",
            "{o}"
        );
        assert_eq!(
            quads(&server["assignments"]),
            vec![
                vault_role("Reader", emu::rg("rg-data")),
                vault_role(
                    "PostgreSQL Flexible Server Long Term Retention Backup Role",
                    emu::pg_flex("pgflex-1")
                ),
            ],
            "terraform {}",
            tf.version
        );
        plan_is_empty(&wd, &tf, "plan after apply");
    }
}

/// A missing input the kind's roles need and an input the kind does not use are plan errors on
/// that attribute, reported before anything is asked of Azure.
#[test]
fn missing_and_unused_inputs_are_plan_errors_on_the_attribute() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &(header()
                + &format!(
                    r#"
data "azurebackup_role_assignments" "disk" {{
  vault_id      = "{vault}"
  datasource_id = "{disk}"
}}
data "azurebackup_role_assignments" "server" {{
  vault_id                   = "{vault}"
  datasource_id              = "{server}"
  snapshot_resource_group_id = "{snap}"
}}
"#,
                    vault = emu::vault(),
                    disk = emu::disk("disk-1"),
                    server = emu::pg_flex("pgflex-1"),
                    snap = emu::rg("rg-snapshots"),
                )),
        );
        emu.take_arm_requests();
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        let what = ctx(&tf, "plan", &out);
        assert!(!out.success(), "{what}");
        // Terraform wraps details: compare with whitespace runs collapsed.
        let text = out
            .combined()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains("Missing Argument for This Kind"), "{what}");
        assert!(
            text.contains(
                "set `snapshot_resource_group_id` to the ARM ID of the snapshot resource group"
            ),
            "{what}"
        );
        assert!(text.contains("Disk Snapshot Contributor"), "{what}");
        assert!(text.contains("Argument Not Used by This Kind"), "{what}");
        // Terraform quotes the configuration line of the attribute at fault.
        assert!(
            text.contains(&format!(
                "snapshot_resource_group_id = \"{}\"",
                emu::rg("rg-snapshots")
            )),
            "{what}"
        );
        assert_eq!(emu.take_arm_requests(), 0, "{what}");
    }
}

/// A vault that does not exist is an error on `vault_id` naming it; a vault whose
/// user-assigned identity is not attached is an error on `user_assigned_identity_id`.
#[test]
fn a_missing_vault_or_an_unattached_identity_is_an_error_on_its_attribute() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        let missing = emu::vault().replace("vault-demo", "vault-nowhere");
        let uami = format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-unattached",
            emu::rg("rg-backup")
        );
        wd.write(
            "main.tf",
            &(header()
                + &format!(
                    r#"
data "azurebackup_role_assignments" "gone" {{
  vault_id      = "{missing}"
  datasource_id = "{server}"
}}
"#,
                    server = emu::pg_flex("pgflex-1"),
                )),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(!out.success(), "{}", ctx(&tf, "plan", &out));
        out.assert_contains("Backup Vault Not Found")
            .assert_contains("vault-nowhere");

        wd.write(
            "main.tf",
            &(header()
                + &format!(
                    r#"
data "azurebackup_role_assignments" "uami" {{
  vault_id                  = "{vault}"
  datasource_id             = "{server}"
  user_assigned_identity_id = "{uami}"
}}
"#,
                    vault = emu::vault(),
                    server = emu::pg_flex("pgflex-1"),
                    uami = uami,
                )),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(!out.success(), "{}", ctx(&tf, "plan", &out));
        out.assert_contains("Identity Not Attached to the Vault")
            .assert_contains("uami-unattached");
    }
}

/// Copies `dir` (recursively) into the working directory.
fn copy_example(wd: &Workdir, dir: &str) {
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
    walk(wd, &repo_root().join(dir), "");
}

/// The data source's own example validates and applies against the emulator on every core.
#[test]
fn the_data_source_example_validates_and_applies() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        copy_example(&wd, "examples/data-sources/azurebackup_role_assignments");
        let out = wd.run(&["validate", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "validate", &out));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        let o = outputs(&wd);
        assert_eq!(o["vault_principal_id"]["value"], VAULT_PRINCIPAL, "{o}");
        assert_eq!(
            o["disk_backup_roles"]["value"],
            json!({
                "Disk Backup Reader": emu::disk("disk-1"),
                "Disk Snapshot Contributor": emu::rg("rg-snapshots"),
            }),
            "{o}"
        );
    }
}

/// The full example: `terraform init` (from a filesystem mirror, as users run it offline),
/// validate, apply against the emulator — one stand-in assignment per role of the disk and the
/// flexible server, then both instances — an empty plan, and a destroy that leaves nothing.
/// `terraform_data` needs Terraform 1.4, so older cores only check its formatting (elsewhere).
#[test]
fn the_full_role_assignments_example_validates_and_applies() {
    for tf in terraforms().into_iter().filter(|tf| tf.at_least(1, 4)) {
        let emu = Emu::start();
        let mut wd = Workdir::with_mirror(&tf);
        for (k, v) in &emu.handle.env {
            wd.env(k, v);
        }
        copy_example(&wd, "examples/role-assignments");
        let out = wd.run(&["init", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "init", &out));
        let out = wd.run(&["validate", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "validate", &out));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        let o = outputs(&wd);
        let got = o["role_assignments"]["value"]
            .as_object()
            .unwrap_or_else(|| panic!("{o}"));
        let mut roles: Vec<(String, String)> = got
            .values()
            .map(|a| {
                assert_eq!(a["principal_id"], VAULT_PRINCIPAL, "{o}");
                (
                    a["role_definition_name"].as_str().unwrap().to_owned(),
                    a["scope"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        roles.sort();
        assert_eq!(
            roles,
            vec![
                ("Disk Backup Reader".to_owned(), emu::disk("disk-1")),
                (
                    "Disk Snapshot Contributor".to_owned(),
                    emu::rg("rg-snapshots")
                ),
                (
                    "PostgreSQL Flexible Server Long Term Retention Backup Role".to_owned(),
                    emu::pg_flex("pgflex-1")
                ),
                ("Reader".to_owned(), emu::rg("rg-data")),
            ],
            "{o}"
        );
        assert_eq!(emu.instances().len(), 2);
        plan_is_empty(&wd, &tf, "plan after apply");
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        assert!(emu.instances().is_empty());
    }
}

/// Every kind the catalogue knows beyond disks and PostgreSQL, against the emulator's default
/// world: AKS names the cluster's own principal (read from the cluster) for Contributor on the
/// snapshot resource group, beside the vault's Reader roles; a storage account is blob unless
/// `datasource_type` says Data Lake; Elastic SAN's roles are for `vault-secure`'s principal.
#[test]
fn roles_of_every_other_kind_name_their_principals() {
    const CLUSTER_PRINCIPAL: &str = "55555555-5555-5555-5555-555555555555";
    const SECURE_PRINCIPAL: &str = "66666666-6666-6666-6666-666666666666";
    let data = emu::rg("rg-data");
    let snap = emu::rg("rg-snapshots");
    let aks = format!("{data}/providers/Microsoft.ContainerService/managedClusters/aks-demo");
    let blob = format!("{data}/providers/Microsoft.Storage/storageAccounts/stbackupdemo");
    let lake = format!("{data}/providers/Microsoft.Storage/storageAccounts/stlakedemo");
    let mysql = format!("{data}/providers/Microsoft.DBforMySQL/flexibleServers/mysql-demo");
    let cosmos = format!("{data}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-demo");
    let vg =
        format!("{data}/providers/Microsoft.ElasticSan/elasticSans/esan-demo/volumeGroups/vg-demo");
    let secure = emu::vault().replace("vault-demo", "vault-secure");
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &(header()
                + &format!(
                    r#"
data "azurebackup_role_assignments" "aks" {{
  vault_id                   = "{vault}"
  datasource_id              = "{aks}"
  snapshot_resource_group_id = "{snap}"
}}
data "azurebackup_role_assignments" "blob" {{
  vault_id      = "{vault}"
  datasource_id = "{blob}"
}}
data "azurebackup_role_assignments" "lake" {{
  vault_id        = "{vault}"
  datasource_id   = "{lake}"
  datasource_type = "Microsoft.Storage/storageAccounts/adlsBlobServices"
}}
data "azurebackup_role_assignments" "mysql" {{
  vault_id      = "{vault}"
  datasource_id = "{mysql}"
}}
data "azurebackup_role_assignments" "cosmos" {{
  vault_id      = "{vault}"
  datasource_id = "{cosmos}"
}}
data "azurebackup_role_assignments" "esan" {{
  vault_id                   = "{secure}"
  datasource_id              = "{vg}"
  snapshot_resource_group_id = "{snap}"
}}
output "all" {{
  value = {{
    aks    = data.azurebackup_role_assignments.aks
    blob   = data.azurebackup_role_assignments.blob
    lake   = data.azurebackup_role_assignments.lake
    mysql  = data.azurebackup_role_assignments.mysql
    cosmos = data.azurebackup_role_assignments.cosmos
    esan   = data.azurebackup_role_assignments.esan
  }}
}}
"#,
                    vault = emu::vault(),
                )),
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        let o = outputs(&wd);
        let all = &o["all"]["value"];
        let sorted = |name: &str| {
            let mut q = quads(&all[name]["assignments"]);
            q.sort();
            q
        };
        let who = |role: &str, scope: &str, p: &str, id: &str| {
            (
                role.to_owned(),
                scope.to_owned(),
                p.to_owned(),
                id.to_owned(),
            )
        };
        let v = |role: &str, scope: &str| who(role, scope, "vault", VAULT_PRINCIPAL);
        let mut want = vec![
            v("Reader", &aks),
            v("Reader", &snap),
            who("Contributor", &snap, "cluster", CLUSTER_PRINCIPAL),
        ];
        want.sort();
        assert_eq!(sorted("aks"), want, "terraform {}: {o}", tf.version);
        assert_eq!(
            all["aks"]["kind"],
            "Microsoft.ContainerService/managedClusters"
        );
        assert_eq!(
            sorted("blob"),
            vec![v("Storage Account Backup Contributor", &blob)],
            "{o}"
        );
        assert_eq!(
            all["blob"]["kind"],
            "Microsoft.Storage/storageAccounts/blobServices"
        );
        assert_eq!(
            sorted("lake"),
            vec![v("Storage Account Backup Contributor", &lake)],
            "{o}"
        );
        assert_eq!(
            all["lake"]["kind"],
            "Microsoft.Storage/storageAccounts/adlsBlobServices"
        );
        let mut want = vec![
            v("Reader", &data),
            v("MySQL Backup And Export Operator", &mysql),
        ];
        want.sort();
        assert_eq!(sorted("mysql"), want, "{o}");
        let mut want = vec![v("Reader", &data), v("Cosmos DB Operator", &cosmos)];
        want.sort();
        assert_eq!(sorted("cosmos"), want, "{o}");
        let s = |role: &str, scope: &str| who(role, scope, "vault", SECURE_PRINCIPAL);
        let mut want = vec![
            s("Elastic SAN Snapshot Exporter", &vg),
            s("Disk Snapshot Contributor", &snap),
        ];
        want.sort();
        assert_eq!(sorted("esan"), want, "{o}");
        assert_eq!(all["esan"]["principal_id"], SECURE_PRINCIPAL, "{o}");
        plan_is_empty(&wd, &tf, "plan after apply");
    }
}

/// With `user_assigned_identity_id`, the vault's roles are for that identity: its principal ID
/// comes from the vault GET's `userAssignedIdentities`.
#[test]
fn a_user_assigned_identity_of_the_vault_gets_the_vault_roles() {
    const UAMI_PRINCIPAL: &str = "77777777-7777-7777-7777-777777777777";
    let uami = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-backup",
        emu::rg("rg-backup")
    );
    for tf in terraforms() {
        let emu = Emu::start();
        let mut world = emu.admin("GET", "/world", None);
        world["vaults"][0]["user_assigned_identities"] = json!([{
            "id": uami,
            "principal_id": UAMI_PRINCIPAL,
            "client_id": "88888888-8888-8888-8888-888888888888"
        }]);
        emu.admin("PUT", "/world", Some(world));
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &(header()
                + &format!(
                    r#"
data "azurebackup_role_assignments" "server" {{
  vault_id                  = "{vault}"
  datasource_id             = "{server}"
  user_assigned_identity_id = "{uami}"
}}
output "server" {{ value = data.azurebackup_role_assignments.server }}
"#,
                    vault = emu::vault(),
                    server = emu::pg_flex("pgflex-1"),
                )),
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        let o = outputs(&wd);
        let server = &o["server"]["value"];
        assert_eq!(server["principal_id"], UAMI_PRINCIPAL, "{o}");
        for a in server["assignments"].as_array().unwrap() {
            assert_eq!(a["principal_id"], UAMI_PRINCIPAL, "{o}");
            assert_eq!(a["principal"], "vault", "{o}");
        }
    }
}

/// What one read costs: one vault GET, plus one cluster GET for AKS, and nothing else.
#[test]
fn one_read_is_one_vault_get_and_for_aks_one_cluster_get() {
    let aks = format!(
        "{}/providers/Microsoft.ContainerService/managedClusters/aks-demo",
        emu::rg("rg-data")
    );
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        for (datasource, extra, cluster_gets) in [
            (emu::disk("disk-1"), true, 0),
            (emu::pg_flex("pgflex-1"), false, 0),
            (aks.clone(), true, 1),
        ] {
            let snap = if extra {
                format!(
                    "snapshot_resource_group_id = \"{}\"",
                    emu::rg("rg-snapshots")
                )
            } else {
                String::new()
            };
            wd.write(
                "main.tf",
                &(header()
                    + &format!(
                        "data \"azurebackup_role_assignments\" \"x\" {{\n  vault_id = \"{}\"\n  datasource_id = \"{datasource}\"\n  {snap}\n}}\n",
                        emu::vault()
                    )),
            );
            emu.take_arm_requests();
            let out = wd.run(&["plan", "-input=false", "-no-color"]);
            assert!(out.success(), "{}", ctx(&tf, "plan", &out));
            let ops = emu.counters()["operations"].clone();
            let count = |op: &str| ops[op]["count"].as_u64().unwrap_or(0);
            assert_eq!(count("getBackupVault"), 1, "{datasource}: {ops}");
            assert_eq!(
                count("getManagedCluster"),
                cluster_gets,
                "{datasource}: {ops}"
            );
            assert_eq!(
                emu.take_arm_requests(),
                1 + cluster_gets,
                "{datasource}: {ops}"
            );
            println!(
                "terraform {}: ARM requests for one read of {datasource}: {}",
                tf.version,
                1 + cluster_gets
            );
        }
    }
}

/// A PostgreSQL single-server database: Reader on its server and, with a Key Vault secret,
/// Key Vault Secrets User on the vault named by `key_vault_id` (whose name must match the
/// secret URI's: a mismatch is a plan error on `key_vault_secret_uri`).
#[test]
fn a_database_names_its_server_and_the_key_vault() {
    let kv = format!(
        "{}/providers/Microsoft.KeyVault/vaults/kv-demo",
        emu::rg("rg-data")
    );
    let server = format!(
        "{}/providers/Microsoft.DBforPostgreSQL/servers/pg-single",
        emu::rg("rg-data")
    );
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        let config = |secret: &str| {
            header()
                + &format!(
                    r#"
data "azurebackup_role_assignments" "db" {{
  vault_id             = "{vault}"
  datasource_id        = "{db}"
  key_vault_id         = "{kv}"
  key_vault_secret_uri = "{secret}"
}}
output "db" {{ value = data.azurebackup_role_assignments.db }}
"#,
                    vault = emu::vault(),
                    db = emu::pg_database("appdb"),
                )
        };
        wd.write("main.tf", &config(emu::KV_SECRET));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        let o = outputs(&wd);
        assert_eq!(
            quads(&o["db"]["value"]["assignments"]),
            vec![
                vault_role("Reader", server.clone()),
                vault_role("Key Vault Secrets User", kv.clone()),
            ],
            "terraform {}: {o}",
            tf.version
        );
        wd.write(
            "main.tf",
            &config("https://kv-other.vault.azure.net/secrets/pg-conn"),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(!out.success(), "{}", ctx(&tf, "plan", &out));
        out.assert_contains("Key Vault Mismatch")
            .assert_contains("key_vault_secret_uri = \"https://kv-other");
    }
}

/// One role table: with no role granted at all, granting exactly what the data source returns
/// for each of the nine kinds (through the emulator's admin API, standing in for
/// `azurerm_role_assignment`) is enough for every kind to apply at once — with
/// `role_propagation_timeout = "0s"`, so a role the data source misnames or leaves out fails the
/// apply instead of being waited for.
#[test]
fn granting_what_the_data_source_returns_lets_every_kind_apply_without_waiting() {
    let data = emu::rg("rg-data");
    let snap = emu::rg("rg-snapshots");
    let secure = emu::vault().replace("vault-demo", "vault-secure");
    let kv = format!("{data}/providers/Microsoft.KeyVault/vaults/kv-demo");
    let p = |path: &str| format!("{data}/providers/{path}");
    let adls = "Microsoft.Storage/storageAccounts/adlsBlobServices";
    // (name, vault, datasource, policy, the kind's own arguments, data source extras, provider)
    let kinds: Vec<(&str, String, String, &str, String, String, &str)> = vec![
        (
            "disk",
            emu::vault(),
            emu::disk("disk-1"),
            "policy-disk",
            format!("snapshot_resource_group_id = \"{snap}\""),
            format!("snapshot_resource_group_id = \"{snap}\""),
            "azurebackup",
        ),
        (
            "postgresql",
            emu::vault(),
            emu::pg_database("appdb"),
            "policy-postgres",
            format!("key_vault_secret_uri = \"{}\"", emu::KV_SECRET),
            format!(
                "key_vault_id = \"{kv}\"\n  key_vault_secret_uri = \"{}\"",
                emu::KV_SECRET
            ),
            "azurebackup",
        ),
        (
            "flexible",
            emu::vault(),
            emu::pg_flex("pgflex-1"),
            "policy-pgflex",
            String::new(),
            String::new(),
            "azurebackup",
        ),
        (
            "blob",
            emu::vault(),
            p("Microsoft.Storage/storageAccounts/stbackupdemo"),
            "policy-blob",
            String::new(),
            String::new(),
            "azurebackup",
        ),
        (
            "lake",
            emu::vault(),
            p("Microsoft.Storage/storageAccounts/stlakedemo"),
            "policy-adls",
            format!("datasource_type = \"{adls}\"\n  containers = [\"raw\"]"),
            format!("datasource_type = \"{adls}\""),
            "azurebackup",
        ),
        (
            "aks",
            emu::vault(),
            p("Microsoft.ContainerService/managedClusters/aks-demo"),
            "policy-aks",
            format!("snapshot_resource_group_id = \"{snap}\""),
            format!("snapshot_resource_group_id = \"{snap}\""),
            "azurebackup",
        ),
        (
            "mysql",
            emu::vault(),
            p("Microsoft.DBforMySQL/flexibleServers/mysql-demo"),
            "policy-mysql",
            String::new(),
            String::new(),
            "azurebackup",
        ),
        (
            "cosmos",
            emu::vault(),
            p("Microsoft.DocumentDB/databaseAccounts/cosmos-demo"),
            "policy-cosmos",
            String::new(),
            String::new(),
            "azurebackup",
        ),
        (
            "esan",
            secure.clone(),
            p("Microsoft.ElasticSan/elasticSans/esan-demo/volumeGroups/vg-demo"),
            "policy-esan",
            format!("snapshot_resource_group_id = \"{snap}\"\n  volume_name = \"vol-1\""),
            format!("snapshot_resource_group_id = \"{snap}\""),
            "azurebackup.v2026",
        ),
    ];
    let providers = "terraform {\n  required_providers {\n    azurebackup = { source = \"azurebackup/azurebackup\" }\n  }\n}\nprovider \"azurebackup\" {\n  role_propagation_timeout = \"0s\"\n}\nprovider \"azurebackup\" {\n  alias                    = \"v2026\"\n  api_version              = \"2026-06-01\"\n  role_propagation_timeout = \"0s\"\n}\n";
    let mut roles = String::from(providers);
    let mut instances = String::new();
    for (name, vault, ds, policy, args, extra, provider) in &kinds {
        roles.push_str(&format!(
            "data \"azurebackup_role_assignments\" \"{name}\" {{\n  vault_id      = \"{vault}\"\n  datasource_id = \"{ds}\"\n  {extra}\n}}\n"
        ));
        instances.push_str(&format!(
            "resource \"azurebackup_instance\" \"{name}\" {{\n  provider      = {provider}\n  vault_id      = \"{vault}\"\n  datasource_id = \"{ds}\"\n  location      = \"westeurope\"\n  policy_id     = \"{vault}/backupPolicies/{policy}\"\n  {args}\n}}\n"
        ));
    }
    let names: Vec<&str> = kinds.iter().map(|k| k.0).collect();
    roles.push_str(&format!(
        "output \"needed\" {{\n  value = {{\n{}  }}\n}}\n",
        names
            .iter()
            .map(|n| format!("    {n} = data.azurebackup_role_assignments.{n}.assignments\n"))
            .collect::<String>()
    ));
    for tf in terraforms() {
        let emu = Emu::start();
        // Nothing is granted to anyone: only what the data source names will be.
        let mut world = emu.admin("GET", "/world", None);
        world["grants"] = json!([]);
        emu.admin("PUT", "/world", Some(world));
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &roles);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "read the roles", &out));
        let needed = outputs(&wd)["needed"]["value"].clone();
        let mut granted = 0;
        for name in &names {
            let list = quads(&needed[*name]);
            assert!(!list.is_empty(), "no roles for {name}: {needed}");
            for (role, scope, _, principal_id) in list {
                emu.admin(
                    "POST",
                    "/grants",
                    Some(json!({"principal_id": principal_id, "scope": scope, "role": role})),
                );
                granted += 1;
            }
        }
        let world = emu.admin("GET", "/world", None);
        assert_eq!(world["grants"].as_array().map(Vec::len), Some(granted));
        wd.write("instances.tf", &instances);
        let out = apply(&wd);
        assert!(
            out.success(),
            "terraform {}: granting what azurebackup_role_assignments returned was not enough:\n{}",
            tf.version,
            out.combined()
        );
        let stored = emu.instances();
        assert_eq!(stored.len(), kinds.len(), "{stored:?}");
        for i in &stored {
            assert_eq!(i["current_protection_state"], "ProtectionConfigured", "{i}");
        }
        plan_is_empty(&wd, &tf, "plan after apply");
    }
}
