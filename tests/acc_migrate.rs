//! End to end: real Terraform (1.8+, here 1.11.4) moves azurerm backup instances into
//! `azurebackup_instance` with `moved` blocks. The test writes a state holding
//! azurerm-shaped resources for instances that exist in the emulator; a stand-in for
//! `hashicorp/azurerm` (this crate's `tfplugin` with azurerm's identity and resource schemas,
//! attached through `TF_REATTACH_PROVIDERS`) satisfies Terraform, which needs the source provider
//! present but never calls it for the move. Terraform 1.0.3 has no cross-type moves.

mod common;

use std::sync::Arc;

use common::emu::{self, Emu};
use common::{Terraform, Workdir, ctx, terraforms};
use serde_json::json;
use terraform_provider_azurebackup::tfplugin::{
    self, ApplyRequest, ApplyResponse, Attribute, Block, Context, Diagnostic, Diagnostics,
    ImportResponse, NestedBlock, Nesting, PlanRequest, PlanResponse, PluginIdentity, Provider,
    ReadRequest, ReadResponse, Resource, Schema, ServeOptions, Transport, Type, Value,
};

const AZURERM: PluginIdentity = PluginIdentity {
    name: "azurerm",
    address: "registry.terraform.io/hashicorp/azurerm",
};
const DISK_TYPE: &str = "azurerm_data_protection_backup_instance_disk";
const FLEX_TYPE: &str = "azurerm_data_protection_backup_instance_postgresql_flexible_server";
const PG_TYPE: &str = "azurerm_data_protection_backup_instance_postgresql";

/// azurerm's resource schema (attribute names and kinds as in azurerm's source). Every call
/// but the schema's is an error: a move must not need the source provider.
struct StandIn {
    type_name: &'static str,
    /// (name, required) besides `id`, `protection_state` and `timeouts`.
    args: &'static [(&'static str, bool)],
}

fn refused() -> Diagnostics {
    Diagnostic::error(
        "Stand-In Provider Called",
        "The azurerm stand-in must not be called.",
    )
    .into()
}

#[async_trait::async_trait]
impl Resource for StandIn {
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn schema(&self) -> Schema {
        let mut block = Block::new()
            .attribute(Attribute::computed("id", Type::String))
            .attribute(Attribute::computed("protection_state", Type::String));
        for (name, required) in self.args {
            block = block.attribute(if *required {
                Attribute::required(*name, Type::String)
            } else {
                Attribute::optional(*name, Type::String)
            });
        }
        let mut timeouts = Block::new();
        for t in ["create", "read", "update", "delete"] {
            timeouts = timeouts.attribute(Attribute::optional(t, Type::String));
        }
        Schema::new(
            0,
            block.block(NestedBlock::new("timeouts", Nesting::Single, timeouts)),
        )
    }
    async fn validate(&self, _: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn plan(&self, _: PlanRequest, _: &Context) -> PlanResponse {
        PlanResponse {
            diagnostics: refused(),
            ..Default::default()
        }
    }
    async fn apply(&self, _: ApplyRequest, _: &Context) -> ApplyResponse {
        ApplyResponse {
            diagnostics: refused(),
            ..Default::default()
        }
    }
    async fn read(&self, _: ReadRequest, _: &Context) -> ReadResponse {
        ReadResponse {
            diagnostics: refused(),
            ..Default::default()
        }
    }
    async fn import(&self, _: &str, _: &Context) -> ImportResponse {
        ImportResponse {
            diagnostics: refused(),
            ..Default::default()
        }
    }
}

struct AzurermStandIn;

#[async_trait::async_trait]
impl Provider for AzurermStandIn {
    fn schema(&self) -> Schema {
        Schema::new(0, Block::new())
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(StandIn {
                type_name: DISK_TYPE,
                args: &[
                    ("name", true),
                    ("location", true),
                    ("vault_id", true),
                    ("disk_id", true),
                    ("snapshot_resource_group_name", true),
                    ("backup_policy_id", true),
                    ("snapshot_subscription_id", false),
                ],
            }),
            Arc::new(StandIn {
                type_name: FLEX_TYPE,
                args: &[
                    ("name", true),
                    ("location", true),
                    ("vault_id", true),
                    ("backup_policy_id", true),
                    ("server_id", true),
                ],
            }),
            Arc::new(StandIn {
                type_name: PG_TYPE,
                args: &[
                    ("name", true),
                    ("location", true),
                    ("vault_id", true),
                    ("database_id", true),
                    ("backup_policy_id", true),
                    ("database_credential_key_vault_secret_id", false),
                ],
            }),
        ]
    }
    async fn validate_config(&self, _: &Value) -> Diagnostics {
        Diagnostics::new()
    }
    async fn configure(&self, _: &Value, _: &Context) -> Diagnostics {
        Diagnostics::new()
    }
}

/// The stand-in, served in this process; Terraform attaches to it.
struct Attached {
    rt: tokio::runtime::Runtime,
    serving: Option<tfplugin::Serving>,
    reattach: String,
}

impl Attached {
    fn start() -> Attached {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let serving = rt
            .block_on(tfplugin::serve_with(
                Arc::new(AzurermStandIn),
                ServeOptions {
                    identity: AZURERM,
                    transport: Transport::Tcp {
                        min_port: 0,
                        max_port: 0,
                    },
                    client_cert_pem: None,
                },
            ))
            .expect("stand-in serves");
        let tfplugin::Address::Tcp(addr) = serving.address.clone() else {
            panic!("expected TCP");
        };
        let reattach = json!({
            AZURERM.address: {
                "Protocol": "grpc",
                "ProtocolVersion": 6,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": { "Network": "tcp", "String": addr.to_string() },
            }
        })
        .to_string();
        Attached {
            rt,
            serving: Some(serving),
            reattach,
        }
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        if let Some(s) = self.serving.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

fn header() -> &'static str {
    r#"terraform {
  required_providers {
    azurebackup = { source = "azurebackup/azurebackup" }
    azurerm     = { source = "hashicorp/azurerm" }
  }
}
provider "azurebackup" {}
"#
}

/// The instances the azurerm resources stand for, created with our provider (explicit names,
/// as azurerm requires them).
fn create_instances(emu: &Emu, tf: &Terraform) {
    let wd = emu.workdir(tf);
    wd.write(
        "main.tf",
        &format!(
            r#"terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
resource "azurebackup_instance" "disk" {{
  name                       = "bi-disk"
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "westeurope"
  policy_id                  = "{disk_policy}"
  snapshot_resource_group_id = "{snap}"
}}
resource "azurebackup_instance" "flex" {{
  name          = "bi-flex"
  vault_id      = "{vault}"
  datasource_id = "{flex}"
  location      = "westeurope"
  policy_id     = "{flex_policy}"
}}
resource "azurebackup_instance" "pg" {{
  name                 = "bi-pg"
  vault_id             = "{vault}"
  datasource_id        = "{pg}"
  location             = "westeurope"
  policy_id            = "{pg_policy}"
  key_vault_secret_uri = "{secret}"
}}
"#,
            pg = emu::pg_database("appdb"),
            pg_policy = emu::policy("policy-postgres"),
            secret = emu::KV_SECRET,
            vault = emu::vault(),
            disk = emu::disk("disk-1"),
            flex = emu::pg_flex("pgflex-1"),
            disk_policy = emu::policy("policy-disk"),
            flex_policy = emu::policy("policy-pgflex"),
            snap = emu::rg("rg-snapshots"),
        ),
    );
    let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
    assert!(out.success(), "{}", ctx(tf, "creating the instances", &out));
}

/// A state file as azurerm writes it for the three instances.
fn azurerm_state(tf: &Terraform) -> String {
    let instance = |name: &str| format!("{}/backupInstances/{name}", emu::vault());
    let resource = |ty: &str, name: &str, attributes: serde_json::Value| {
        json!({
            "mode": "managed",
            "type": ty,
            "name": name,
            "provider": "provider[\"registry.terraform.io/hashicorp/azurerm\"]",
            "instances": [{
                "schema_version": 0,
                "attributes": attributes,
                "sensitive_attributes": [],
                "private": "eyJlMmJmYjczMC1lY2FhLTExZTYtOGY4OC0zNDM2M2JjN2M0YzAiOnsiY3JlYXRlIjoxODAwMDAwMDAwMDAwfX0="
            }]
        })
    };
    json!({
        "version": 4,
        "terraform_version": tf.version,
        "serial": 1,
        "lineage": "3b9a0f5e-0c4d-4a57-9d39-000000000013",
        "outputs": {},
        "resources": [
            resource(DISK_TYPE, "disk", json!({
                "id": instance("bi-disk"),
                "name": "bi-disk",
                "location": "westeurope",
                "vault_id": emu::vault(),
                "disk_id": emu::disk("disk-1"),
                "snapshot_resource_group_name": "rg-snapshots",
                "snapshot_subscription_id": emu::SUB,
                "backup_policy_id": emu::policy("policy-disk"),
                "protection_state": "ProtectionConfigured",
                "timeouts": null
            })),
            resource(FLEX_TYPE, "flex", json!({
                "id": instance("bi-flex"),
                "name": "bi-flex",
                "location": "westeurope",
                "vault_id": emu::vault(),
                "server_id": emu::pg_flex("pgflex-1"),
                "backup_policy_id": emu::policy("policy-pgflex"),
                "protection_state": "ProtectionConfigured",
                "timeouts": null
            })),
            resource(PG_TYPE, "pg", json!({
                "id": instance("bi-pg"),
                "name": "bi-pg",
                "location": "westeurope",
                "vault_id": emu::vault(),
                "database_id": emu::pg_database("appdb"),
                "backup_policy_id": emu::policy("policy-postgres"),
                "database_credential_key_vault_secret_id": emu::KV_SECRET,
                "protection_state": "ProtectionConfigured",
                "timeouts": { "create": "45m", "read": null, "update": null, "delete": null }
            })),
        ],
        "check_results": null
    })
    .to_string()
}

/// The configuration after the move: `name` spelled out for the disk and the database, left to
/// the prior value for the flexible server (all plan without replacement); the database keeps its
/// Key Vault secret and its azurerm `timeouts`.
fn moved_config() -> String {
    format!(
        r#"{header}
resource "azurebackup_instance" "disk" {{
  name                       = "bi-disk"
  vault_id                   = "{vault}"
  datasource_id              = "{disk}"
  location                   = "westeurope"
  policy_id                  = "{disk_policy}"
  snapshot_resource_group_id = "{snap}"
}}
moved {{
  from = {DISK_TYPE}.disk
  to   = azurebackup_instance.disk
}}
resource "azurebackup_instance" "flex" {{
  vault_id      = "{vault}"
  datasource_id = "{flex}"
  location      = "westeurope"
  policy_id     = "{flex_policy}"
}}
moved {{
  from = {FLEX_TYPE}.flex
  to   = azurebackup_instance.flex
}}
resource "azurebackup_instance" "pg" {{
  name                 = "bi-pg"
  vault_id             = "{vault}"
  datasource_id        = "{pg}"
  location             = "westeurope"
  policy_id            = "{pg_policy}"
  key_vault_secret_uri = "{secret}"
  timeouts {{
    create = "45m"
  }}
}}
moved {{
  from = {PG_TYPE}.pg
  to   = azurebackup_instance.pg
}}
"#,
        pg = emu::pg_database("appdb"),
        pg_policy = emu::policy("policy-postgres"),
        secret = emu::KV_SECRET,
        header = header(),
        vault = emu::vault(),
        disk = emu::disk("disk-1"),
        flex = emu::pg_flex("pgflex-1"),
        disk_policy = emu::policy("policy-disk"),
        flex_policy = emu::policy("policy-pgflex"),
        snap = emu::rg("rg-snapshots"),
    )
}

fn movers() -> Vec<Terraform> {
    terraforms()
        .into_iter()
        .filter(|tf| tf.at_least(1, 8))
        .collect()
}

#[test]
fn moved_blocks_take_azurerm_instances_without_replacement() {
    let tfs = movers();
    assert!(!tfs.is_empty(), "no Terraform 1.8+ on PATH");
    for tf in tfs {
        let emu = Emu::start();
        create_instances(&emu, &tf);
        let before = emu.instances();
        let standin = Attached::start();
        let mut wd: Workdir = emu.workdir(&tf);
        wd.env("TF_REATTACH_PROVIDERS", &standin.reattach);
        wd.write("terraform.tfstate", &azurerm_state(&tf));
        wd.write("main.tf", &moved_config());

        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "plan of the move", &out));
        for (ty, to) in [(DISK_TYPE, "disk"), (FLEX_TYPE, "flex"), (PG_TYPE, "pg")] {
            out.assert_contains(&format!("{ty}.{to} has moved to azurebackup_instance.{to}"));
        }
        assert!(
            !out.stdout.contains("must be replaced") && !out.stdout.contains("destroy and then"),
            "{}",
            ctx(&tf, "the move must not replace", &out)
        );
        out.assert_contains("0 to add, 0 to change, 0 to destroy");

        let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "apply of the move", &out));
        let out = wd.run(&["state", "list"]);
        out.assert_success();
        assert_eq!(
            out.stdout.lines().collect::<Vec<_>>(),
            vec![
                "azurebackup_instance.disk",
                "azurebackup_instance.flex",
                "azurebackup_instance.pg"
            ],
            "{}",
            ctx(&tf, "state after the move", &out)
        );
        let out = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        assert_eq!(
            out.status,
            0,
            "{}",
            ctx(&tf, "plan after the move must be empty", &out)
        );
        assert_eq!(emu.instances(), before, "the move must not touch Azure");
    }
}

/// A source state the provider does not understand (a schema version azurerm never wrote) fails
/// the plan with a clear error.
#[test]
fn unsupported_sources_fail_with_a_clear_error() {
    for tf in movers() {
        let emu = Emu::start();
        let standin = Attached::start();
        let mut wd = emu.workdir(&tf);
        wd.env("TF_REATTACH_PROVIDERS", &standin.reattach);
        // Schema version 3 of the disk resource: not one azurerm has written.
        let mut v: serde_json::Value = serde_json::from_str(&azurerm_state(&tf)).unwrap();
        v["resources"][0]["instances"][0]["schema_version"] = json!(3);
        wd.write("terraform.tfstate", &v.to_string());
        wd.write("main.tf", &moved_config());
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        out.assert_failure();
        out.assert_contains("Unsupported Source Schema Version");
    }
}

/// Issue 18, finding 10: azurerm values the resource would refuse are not moved into state: a
/// `vault_id` of another vault than the ID's, a 10 KB location with a newline, a Key Vault
/// secret URI off https or a vault host. With `-refresh=false` the plan fails with the move's
/// error (naming the value) instead of planning the real instance's replacement, and the
/// state keeps the azurerm resources.
#[test]
fn azurerm_values_the_resource_refuses_are_not_moved() {
    for tf in movers() {
        let emu = Emu::start();
        create_instances(&emu, &tf);
        let before = emu.instances();
        let standin = Attached::start();
        for (what, index, attribute, value, says) in [
            (
                "vault_id of another vault",
                0,
                "vault_id",
                json!(emu::vault().replace("vault-demo", "vault-secure")),
                "`vault_id`",
            ),
            (
                "10 KB location with a newline",
                0,
                "location",
                json!(format!("westeurope\n{}", "x".repeat(10 * 1024))),
                "Invalid Location",
            ),
            (
                "secret URI off a vault host",
                2,
                "database_credential_key_vault_secret_id",
                json!("http://evil.example/secrets/../../x"),
                "Key Vault secret URI",
            ),
        ] {
            let mut wd: Workdir = emu.workdir(&tf);
            wd.env("TF_REATTACH_PROVIDERS", &standin.reattach);
            let mut v: serde_json::Value = serde_json::from_str(&azurerm_state(&tf)).unwrap();
            v["resources"][index]["instances"][0]["attributes"][attribute] = value;
            wd.write("terraform.tfstate", &v.to_string());
            wd.write("main.tf", &moved_config());
            let out = wd.run(&["plan", "-input=false", "-no-color", "-refresh=false"]);
            assert!(!out.success(), "{}", ctx(&tf, what, &out));
            let text = out
                .combined()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                text.contains("Invalid Source State") && text.contains(says),
                "{}",
                ctx(&tf, what, &out)
            );
            assert!(
                !text.contains("must be replaced"),
                "{}",
                ctx(&tf, what, &out)
            );
        }
        assert_eq!(
            emu.instances(),
            before,
            "a refused move must not touch Azure"
        );
    }
}
