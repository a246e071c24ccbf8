//! End to end: real Terraform (1.11.4 on PATH and 1.0.3) drives `azurebackup_instance` against
//! the emulator, for every datasource kind, through the whole lifecycle and the failure paths
//! users of the incumbent provider complain about.

mod common;

use std::time::{Duration, Instant};

use common::emu::{self, Emu, KV_SECRET};
use common::process::{descendants_of, kill, spawn_apply, wait_bounded, wait_until};
use common::{TfOutput, Workdir, apply, ctx, terraforms};
use serde_json::json;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Disk,
    PostgresWithKeyVault,
    PostgresWithoutKeyVault,
    Flexible,
}

impl Kind {
    fn datasource(self) -> String {
        match self {
            Kind::Disk => emu::disk("disk-1"),
            Kind::PostgresWithKeyVault => emu::pg_database("appdb"),
            Kind::PostgresWithoutKeyVault => emu::pg_database("reportsdb"),
            Kind::Flexible => emu::pg_flex("pgflex-1"),
        }
    }
    fn policy(self) -> &'static str {
        match self {
            Kind::Disk => "policy-disk",
            Kind::PostgresWithKeyVault | Kind::PostgresWithoutKeyVault => "policy-postgres",
            Kind::Flexible => "policy-pgflex",
        }
    }
    fn datasource_type(self) -> &'static str {
        match self {
            Kind::Disk => "Microsoft.Compute/disks",
            Kind::PostgresWithKeyVault | Kind::PostgresWithoutKeyVault => {
                "Microsoft.DBforPostgreSQL/servers/databases"
            }
            Kind::Flexible => "Microsoft.DBforPostgreSQL/flexibleServers",
        }
    }
    fn extra(self) -> String {
        match self {
            Kind::Disk => format!(
                "  snapshot_resource_group_id = \"{}\"\n",
                emu::rg("rg-snapshots")
            ),
            Kind::PostgresWithKeyVault => format!("  key_vault_secret_uri = \"{KV_SECRET}\"\n"),
            Kind::PostgresWithoutKeyVault | Kind::Flexible => String::new(),
        }
    }
}

/// One instance of `kind`, with outputs the tests read back.
fn config(kind: Kind, policy: &str, provider_extra: &str, resource_extra: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
provider "azurebackup" {{
{provider_extra}
}}
resource "azurebackup_instance" "x" {{
  vault_id      = "{vault}"
  datasource_id = "{ds}"
  location      = "westeurope"
  policy_id     = "{policy}"
{extra}{resource_extra}
}}
output "id" {{ value = azurebackup_instance.x.id }}
output "protection_state" {{ value = azurebackup_instance.x.protection_state }}
"#,
        vault = emu::vault(),
        ds = kind.datasource(),
        policy = emu::policy(policy),
        extra = kind.extra(),
    )
}

fn plan_exit(wd: &Workdir) -> TfOutput {
    wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
}

fn output(wd: &Workdir, name: &str) -> String {
    let out = wd.run(&["output", "-raw", "-no-color", name]);
    out.assert_success();
    out.stdout.trim().to_owned()
}

/// create → second plan empty → policy change in place → import into a fresh state gives an
/// empty plan → out-of-band delete → plan shows a create → destroy → emulator holds nothing.
fn lifecycle(kind: Kind, provider_extra: &str) {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.add_policy(&format!("{}-2", kind.policy()), kind.datasource_type());
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(kind, kind.policy(), provider_extra, ""));

        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "create", &out));
        assert_eq!(output(&wd, "protection_state"), "ProtectionConfigured");
        let id = output(&wd, "id");
        assert_eq!(emu.instances().len(), 1);

        let out = plan_exit(&wd);
        assert_eq!(
            out.status,
            0,
            "{}",
            ctx(&tf, "second plan must be empty", &out)
        );

        wd.write(
            "main.tf",
            &config(kind, &format!("{}-2", kind.policy()), provider_extra, ""),
        );
        let out = plan_exit(&wd);
        assert_eq!(out.status, 2, "{}", ctx(&tf, "policy change plan", &out));
        assert!(
            out.stdout.contains("updated in-place")
                && out.stdout.contains("0 to add, 1 to change, 0 to destroy"),
            "{}",
            ctx(&tf, "policy change must be in place", &out)
        );
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "policy change", &out));
        let inst = &emu.instances()[0];
        assert!(
            inst["policy_id"]
                .as_str()
                .unwrap()
                .ends_with(&format!("{}-2", kind.policy())),
            "emulator did not get the new policy: {inst}"
        );
        assert_eq!(
            plan_exit(&wd).status,
            0,
            "plan after update not empty (terraform {})",
            tf.version
        );

        let imported = emu.workdir(&tf);
        // Without outputs: import does not record them, so they would show as changes.
        let full = config(kind, &format!("{}-2", kind.policy()), provider_extra, "");
        imported.write("main.tf", full.split("\noutput ").next().unwrap());
        let out = imported.run(&[
            "import",
            "-input=false",
            "-no-color",
            "azurebackup_instance.x",
            &id,
        ]);
        assert!(out.success(), "{}", ctx(&tf, "import", &out));
        let out = plan_exit(&imported);
        assert_eq!(
            out.status,
            0,
            "{}",
            ctx(&tf, "plan after import must be empty", &out)
        );

        emu.delete_out_of_band(&id);
        let out = plan_exit(&wd);
        assert_eq!(
            out.status,
            2,
            "{}",
            ctx(&tf, "plan after out-of-band delete", &out)
        );
        assert!(
            out.stdout.contains("will be created"),
            "{}",
            ctx(&tf, "out-of-band delete must plan a create", &out)
        );

        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "re-create", &out));
        assert_eq!(emu.instances().len(), 1);
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        assert!(
            emu.instances().is_empty(),
            "emulator still holds {:?} (terraform {})",
            emu.instances(),
            tf.version
        );
    }
}

#[test]
fn lifecycle_managed_disk() {
    lifecycle(Kind::Disk, "");
}

#[test]
fn lifecycle_postgresql_database_with_key_vault() {
    lifecycle(Kind::PostgresWithKeyVault, "");
}

/// Without credentials the vault identity's access to the server is used (the documented
/// 2021-01-01 flow, still accepted by current versions).
#[test]
fn lifecycle_postgresql_database_without_key_vault() {
    lifecycle(Kind::PostgresWithoutKeyVault, "");
}

#[test]
fn lifecycle_postgresql_flexible_server() {
    lifecycle(Kind::Flexible, "");
}

/// The documentation's API version: operation status at subscription/location scope.
#[test]
fn lifecycle_with_api_version_2021_01_01() {
    lifecycle(Kind::Disk, "  api_version = \"2021-01-01\"");
    lifecycle(Kind::Flexible, "  api_version = \"2021-01-01\"");
    lifecycle(
        Kind::PostgresWithoutKeyVault,
        "  api_version = \"2021-01-01\"",
    );
}

/// Key Vault credentials do not exist in 2021-01-01: a plan error on the attribute, before any
/// call to Azure.
#[test]
fn key_vault_with_api_version_2021_01_01_is_a_plan_error() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &config(
                Kind::PostgresWithKeyVault,
                "policy-postgres",
                "  api_version = \"2021-01-01\"",
                "",
            ),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(!out.success(), "{}", ctx(&tf, "plan", &out));
        out.assert_contains("Not Supported By API Version")
            .assert_contains("key_vault_secret_uri = ");
    }
}

/// A datasource protected by another instance: a plan warning with the service's message (a
/// plan error would also fail `terraform destroy`, issue 10), and apply fails before any PUT.
#[test]
fn already_protected_warns_at_plan_and_fails_apply() {
    for tf in terraforms() {
        let emu = Emu::start();
        let first = emu.workdir(&tf);
        first.write(
            "main.tf",
            &config(Kind::Disk, "policy-disk", "", "  name = \"first\""),
        );
        let out = apply(&first);
        assert!(out.success(), "{}", ctx(&tf, "first apply", &out));

        let second = emu.workdir(&tf);
        second.write(
            "main.tf",
            &config(Kind::Disk, "policy-disk", "", "  name = \"second\""),
        );
        let out = second.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "plan warns", &out));
        out.assert_contains("Warning: Datasource Already Protected");
        out.assert_contains("UserErrorDppDatasourceAlready");
        out.assert_contains("Correlation ID:");
        let out = apply(&second);
        assert!(!out.success(), "{}", ctx(&tf, "apply must fail", &out));
        out.assert_contains("Error: ");
        out.assert_contains("UserErrorDppDatasourceAlready");
        assert_eq!(emu.instances().len(), 1);
    }
}

/// Missing permission at plan is a warning; granted while apply waits, apply succeeds.
#[test]
fn permission_granted_during_apply_is_waited_for() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.revoke(&emu::rg("rg-data"), "Disk Backup Reader");
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &config(
                Kind::Disk,
                "policy-disk",
                "  role_propagation_timeout = \"2m\"",
                "",
            ),
        );
        let out = wd.run(&["plan", "-input=false", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "plan must only warn", &out));
        assert!(
            out.combined().contains("Backup Vault Lacks Permissions"),
            "{}",
            ctx(&tf, "warning", &out)
        );

        let child = spawn_apply(&wd);
        std::thread::sleep(Duration::from_secs(3));
        emu.grant(&emu::rg("rg-data"), "Disk Backup Reader");
        let out = wait_bounded(child, Duration::from_secs(120));
        assert_eq!(
            out.status,
            0,
            "terraform {}: apply after the grant: {}",
            tf.version,
            out.combined()
        );
        assert_eq!(output(&wd, "protection_state"), "ProtectionConfigured");
    }
}

/// A permission never granted fails apply after the propagation window, quoting the exact
/// missing action, and leaves nothing behind.
#[test]
fn permission_never_granted_fails_with_the_exact_permission() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.revoke(&emu::rg("rg-data"), "Disk Backup Reader");
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &config(
                Kind::Disk,
                "policy-disk",
                "  role_propagation_timeout = \"3s\"",
                "",
            ),
        );
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "apply must fail", &out));
        out.assert_contains("Microsoft.Compute/disks/beginGetAccess/action");
        out.assert_contains("UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent");
        assert!(emu.instances().is_empty());
        let state = wd.run(&["state", "list"]);
        assert!(
            state.stdout.trim().is_empty(),
            "state must be empty: {}",
            state.stdout
        );
    }
}

/// Protection that fails after the instance exists: apply error with Azure's details, the
/// instance stays in state as tainted (never orphaned), and destroy removes it.
#[test]
fn protection_error_is_reported_tainted_and_destroyable() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.knobs(json!({"protection": [{"pattern": "*disk-1*", "outcome": "ProtectionError"}]}));
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(Kind::Disk, "policy-disk", "", ""));
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "apply must fail", &out));
        assert!(
            out.combined().contains("Backup Protection Failed"),
            "{}",
            ctx(&tf, "summary", &out)
        );
        let show = wd.run(&["state", "show", "-no-color", "azurebackup_instance.x"]);
        assert!(
            show.stdout.contains("tainted"),
            "terraform {}: not tainted: {}",
            tf.version,
            show.combined()
        );
        assert_eq!(emu.instances().len(), 1);
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        assert!(emu.instances().is_empty());
    }
}

/// Invalid IDs are reported at validate time, each on its attribute.
#[test]
fn invalid_ids_are_errors_on_their_attributes() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        let bad = config(Kind::Disk, "policy-disk", "", "")
            .replace("/backupVaults/vault-demo\"", "/backupVault/vault-demo\"")
            .replace("/disks/disk-1", "/disk/disk-1");
        wd.write("main.tf", &bad);
        let out = wd.run(&["validate", "-no-color"]);
        assert!(!out.success(), "{}", ctx(&tf, "validate", &out));
        out.assert_contains("Invalid Backup Vault ID")
            .assert_contains("vault_id      =");
        out.assert_contains("Invalid Datasource ID")
            .assert_contains("datasource_id =");
    }
}

/// An operation that never ends hits the create timeout: a clear error, and the instance that
/// exists is in state (tainted), so the next apply or destroy handles it.
#[test]
fn operation_that_never_ends_times_out_with_consistent_state() {
    for tf in terraforms() {
        let emu = Emu::start();
        emu.knobs(json!({"operation_rules": [{"pattern": "*disk-1*", "operation": "put", "outcome": "never_finish"}]}));
        let wd = emu.workdir(&tf);
        wd.write(
            "main.tf",
            &config(
                Kind::Disk,
                "policy-disk",
                "",
                "  timeouts {\n    create = \"6s\"\n  }",
            ),
        );
        let started = Instant::now();
        let out = apply(&wd);
        assert!(!out.success(), "{}", ctx(&tf, "apply must time out", &out));
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timeout not honoured: {:?}",
            started.elapsed()
        );
        let all = out.combined();
        assert!(
            all.contains("did not finish in time") || all.contains("Timed Out"),
            "{}",
            ctx(&tf, "timeout message", &out)
        );
        let in_emu = emu.instances().len();
        let state = wd.run(&["state", "list"]).stdout;
        assert_eq!(
            in_emu,
            state.lines().filter(|l| !l.trim().is_empty()).count(),
            "state and Azure disagree: emulator {in_emu}, state {state:?}"
        );
        // The stuck operation blocks the instance (409 AnotherOperationInProgress, as Azure
        // does) until it ends.
        emu.knobs(json!({"operation_rules": []}));
        emu.admin("POST", "/operations/finish", None);
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        assert!(emu.instances().is_empty());
    }
}

/// The provider is killed in the middle of a create (state never saved); the next apply finds
/// the instance by its deterministic name and adopts it: exactly one instance.
#[test]
fn provider_killed_during_create_then_apply_again_makes_no_duplicate() {
    for tf in terraforms() {
        let emu = Emu::start();
        // The PUT's operation outlives the killed provider by a few seconds: the next apply must
        // wait for it (409 AnotherOperationInProgress) and adopt the instance.
        emu.knobs(json!({"put_ms": 6000}));
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(Kind::Disk, "policy-disk", "", ""));
        let child = spawn_apply(&wd);
        let tf_pid = child.id();
        wait_until(Duration::from_secs(60), || !emu.instances().is_empty());
        // Terraform 1.0 runs itself under panicwrap, so the provider may be a grandchild.
        let kids = descendants_of(tf_pid);
        let provider = kids
            .iter()
            .find(|(_, name)| name.starts_with("terraform-provi"))
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "no provider process among the children of terraform {}: {kids:?}",
                    tf.version
                )
            });
        kill(provider.0, "KILL");
        let out = wait_bounded(child, Duration::from_secs(60));
        assert_ne!(out.status, 0, "apply should fail when its provider dies");
        emu.knobs(json!({"put_ms": 0}));
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "second apply", &out));
        assert_eq!(
            emu.instances().len(),
            1,
            "duplicate instances: {:?}",
            emu.instances()
        );
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
    }
}

/// Ctrl-C while apply waits on Azure: Terraform stops promptly, and the instance that exists is
/// in state, so nothing is orphaned.
#[test]
fn ctrl_c_during_create_stops_promptly_and_keeps_the_instance() {
    for tf in terraforms() {
        let emu = Emu::start();
        // The interrupted PUT's operation runs on in Azure; destroy waits for it.
        emu.knobs(json!({"put_ms": 6000}));
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(Kind::Disk, "policy-disk", "", ""));
        let child = spawn_apply(&wd);
        wait_until(Duration::from_secs(60), || !emu.instances().is_empty());
        let interrupted = Instant::now();
        kill(child.id(), "INT");
        let out = wait_bounded(child, Duration::from_secs(30));
        let took = interrupted.elapsed();
        assert!(
            took < Duration::from_secs(10),
            "terraform {} took {took:?} to stop after Ctrl-C: {}",
            tf.version,
            out.combined()
        );
        let state = wd.run(&["state", "list"]).stdout;
        assert!(
            state.contains("azurebackup_instance.x"),
            "terraform {}: instance orphaned after Ctrl-C; state: {state:?}; output: {}",
            tf.version,
            out.combined()
        );
        emu.knobs(json!({"put_ms": 0}));
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        assert!(out.success(), "{}", ctx(&tf, "destroy", &out));
        assert!(emu.instances().is_empty());
    }
}

/// `terraform apply` plans twice (the plan it shows, and again while applying); the re-plan takes
/// the first plan's passed `validateForBackup` as its own, and the create goes straight to the PUT
/// instead of validating again — against Azure each validation takes 12-72 s.
#[test]
fn apply_does_not_repeat_a_validation_its_plan_passed() {
    for tf in terraforms() {
        let emu = Emu::start();
        let wd = emu.workdir(&tf);
        wd.write("main.tf", &config(Kind::Flexible, "policy-pgflex", "", ""));
        emu.admin("DELETE", "/requests", None);
        let out = apply(&wd);
        assert!(out.success(), "{}", ctx(&tf, "apply", &out));
        let counters = emu.counters();
        let validations = counters["operations"]["validateForBackup"]["count"].as_u64();
        assert_eq!(validations, Some(1), "terraform {}: {counters}", tf.version);
        assert_eq!(
            counters["operations"]["putBackupInstance"]["count"].as_u64(),
            Some(1)
        );
    }
}
