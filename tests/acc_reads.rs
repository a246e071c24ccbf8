//! End to end (issue 18, findings 2 and 3): what a 404 and a list walk may make the provider
//! believe. Real Terraform (every core of `terraforms()`: 1.11.4, 1.0.3, 1.15.5) against the
//! emulator, whose knobs give the 404 shapes of proxies and wrong endpoints (`answer_rules`) and
//! lists that end early, shift, or continue with another vault's list (`list_shape`).
//!
//! Each test plans (and refreshes) instances that exist in Azure while the service misbehaves,
//! and checks that every instance stays in state and that no create is planned: a 404 that does
//! not prove the instance absent fails the read; an absence from a list is confirmed by a GET.

mod common;

use common::emu::{self, Emu};
use common::{TfOutput, Workdir, ctx, terraforms};
use serde_json::{Value, json};

/// `n` disk instances (`rd-00` …) in the emulator's vault.
fn config(n: usize) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
resource "azurebackup_instance" "disk" {{
  for_each                   = toset([for i in range({n}) : format("rd-%02d", i)])
  vault_id                   = "{vault}"
  datasource_id              = "{rg}/providers/Microsoft.Compute/disks/${{each.key}}"
  location                   = "westeurope"
  policy_id                  = "{vault}/backupPolicies/policy-disk"
  snapshot_resource_group_id = "{snapshots}"
}}
"#,
        vault = emu::vault(),
        rg = emu::rg("rg-data"),
        snapshots = emu::rg("rg-snapshots"),
    )
}

/// An emulator with `n` more disks, `page_size` instances per list page.
fn estate(n: usize, page_size: usize) -> Emu {
    let emu = Emu::start_with(azurebackup_emulator::Knobs {
        page_size,
        ..emu::zero_latency()
    });
    let disks: Vec<Value> = (0..n)
        .map(|i| json!({"id": emu::disk(&format!("rd-{i:02}")), "location": "westeurope"}))
        .collect();
    emu.admin("POST", "/datasources", Some(Value::Array(disks)));
    emu
}

/// Terraform wraps diagnostics at its terminal width: compare words, not lines.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn run(wd: &Workdir, args: &[&str]) -> TfOutput {
    let mut all = args.to_vec();
    all.extend(["-input=false", "-no-color"]);
    wd.run(&all)
}

/// The instances in Terraform's state.
fn in_state(wd: &Workdir) -> usize {
    let out = wd.run(&["state", "list"]);
    assert!(out.success(), "state list: {}", out.combined());
    out.stdout
        .lines()
        .filter(|l| l.starts_with("azurebackup_instance."))
        .count()
}

/// `n` instances applied in a fresh workdir of `emu`.
fn applied(emu: &Emu, tf: &common::Terraform, n: usize) -> Workdir {
    let wd = emu.workdir(tf);
    wd.write("main.tf", &config(n));
    let out = run(&wd, &["apply", "-auto-approve"]);
    assert!(out.success(), "{}", ctx(tf, "create", &out));
    assert_eq!(emu.instances().len(), n);
    wd
}

/// A plan that must keep every instance: it fails (the read failed) or plans nothing, never a
/// create; state and Azure still hold all `n`.
fn assert_kept(wd: &Workdir, emu: &Emu, tf: &common::Terraform, n: usize, what: &str) {
    let out = run(wd, &["plan", "-detailed-exitcode"]);
    let text = one_line(&out.combined());
    assert!(
        !text.contains("to add") && !text.contains("will be created"),
        "{}",
        ctx(tf, what, &out)
    );
    assert_eq!(in_state(wd), n, "{}", ctx(tf, what, &out));
    assert_eq!(emu.instances().len(), n, "{what}");
    // Also through an apply: whatever it does, it must not drop or create an instance.
    let out = run(wd, &["apply", "-auto-approve"]);
    assert!(
        !out.combined().contains("Creating..."),
        "{}",
        ctx(tf, &format!("{what}: apply"), &out)
    );
    assert_eq!(
        in_state(wd),
        n,
        "{}",
        ctx(tf, &format!("{what}: apply"), &out)
    );
    assert_eq!(emu.instances().len(), n, "{what}: apply");
}

/// A 404 that does not say the instance is gone (an HTML page from a proxy, an empty body,
/// `SubscriptionNotFound`, the generic `NotFound` of a path nobody serves) fails the refresh
/// with an error that says state was kept; every instance stays and nothing is planned to be
/// created. A 404 that does prove an instance gone (deleted out of band) still plans its create.
#[test]
fn a_404_that_does_not_prove_absence_keeps_every_instance() {
    const N: usize = 6;
    for tf in terraforms() {
        let emu = estate(N, 200);
        let wd = applied(&emu, &tf, N);
        for (what, answer) in [
            ("HTML 404", json!("not_found_html")),
            ("empty 404", json!("not_found_empty")),
            (
                "SubscriptionNotFound",
                json!({"not_found_code": "SubscriptionNotFound"}),
            ),
            ("NotFound", json!({"not_found_code": "NotFound"})),
        ] {
            emu.knobs(json!({"answer_rules": [
                {"operation": "any", "pattern": "*/backupInstances*", "answer": answer}
            ]}));
            let out = run(&wd, &["plan"]);
            assert!(!out.success(), "{}", ctx(&tf, what, &out));
            assert!(
                one_line(&out.combined()).contains("state was kept"),
                "{}",
                ctx(&tf, what, &out)
            );
            assert_kept(&wd, &emu, &tf, N, what);
        }
        emu.knobs(json!({"answer_rules": []}));
        let out = run(&wd, &["plan", "-detailed-exitcode"]);
        assert_eq!(out.status, 0, "{}", ctx(&tf, "service answers again", &out));

        // The control: Azure's own 404 of a deleted instance is believed.
        let first = emu.instances()[0]["id"].as_str().unwrap().to_owned();
        emu.delete_out_of_band(&first);
        let out = run(&wd, &["plan", "-no-color"]);
        assert!(
            out.success() && out.combined().contains("1 to add"),
            "{}",
            ctx(&tf, "deleted out of band", &out)
        );
    }
}

/// `ARM_RESOURCE_MANAGER_ENDPOINT` with an extra path prefix: every request goes to a path the
/// service does not serve (404 `NotFound`). The plan fails instead of planning creates, and an
/// apply leaves state holding every instance.
#[test]
fn an_endpoint_with_an_extra_path_prefix_drops_nothing() {
    const N: usize = 5;
    for tf in terraforms() {
        let emu = estate(N, 200);
        let mut wd = applied(&emu, &tf, N);
        let endpoint = emu.handle.env["ARM_RESOURCE_MANAGER_ENDPOINT"].clone();
        wd.env(
            "ARM_RESOURCE_MANAGER_ENDPOINT",
            &format!("{}/extra/prefix/", endpoint.trim_end_matches('/')),
        );
        let out = run(&wd, &["plan"]);
        assert!(!out.success(), "{}", ctx(&tf, "prefixed endpoint", &out));
        assert_kept(&wd, &emu, &tf, N, "prefixed endpoint");
    }
}

/// Eleven instances listed two per page while the list misbehaves: it ends after the first
/// page, its pages shift by one entry, its `nextLink` continues with another vault's (empty)
/// list, or its entries claim another vault. The refresh plans no change for any of them:
/// every absence is confirmed by a GET (or the walk is refused), and all 11 stay.
#[test]
fn a_list_walk_that_misleads_drops_nothing() {
    const N: usize = 11;
    let other_vault = emu::vault().replace("vault-demo", "vault-secure");
    for tf in terraforms() {
        let emu = estate(N, 2);
        let wd = applied(&emu, &tf, N);
        for (what, shape) in [
            ("ends early", json!({"end_after_pages": 1})),
            ("pages shift by one", json!({"shift_pages": true})),
            (
                "nextLink to another vault",
                json!({"next_link_vault": other_vault}),
            ),
            (
                "entries of another vault",
                json!({"entries": {"foreign_vault": other_vault}}),
            ),
            ("nextLink loops", json!({"loop_next_link": true})),
        ] {
            emu.knobs(json!({"list_shape": shape}));
            emu.admin("DELETE", "/requests", None);
            let out = run(&wd, &["plan", "-detailed-exitcode"]);
            assert_eq!(out.status, 0, "{}", ctx(&tf, what, &out));
            assert!(
                emu.counters()["operations"]["listBackupInstances"]["count"]
                    .as_u64()
                    .unwrap_or(0)
                    >= 1,
                "terraform {}: {what}: the refresh did not list",
                tf.version
            );
            assert_eq!(in_state(&wd), N, "{what}");
            emu.knobs(json!({"list_shape": {
                "end_after_pages": null, "shift_pages": false, "next_link_vault": null,
                "loop_next_link": false, "entries": "normal"
            }}));
        }
        // A complete, honest walk at the service's page size costs no confirming GET: only
        // the reads before the list is used (4 of them) are GETs.
        emu.knobs(json!({"page_size": 200}));
        emu.admin("DELETE", "/requests", None);
        let out = run(&wd, &["plan", "-detailed-exitcode"]);
        assert_eq!(out.status, 0, "{}", ctx(&tf, "honest list", &out));
        let gets = emu.counters()["operations"]["getBackupInstance"]["count"]
            .as_u64()
            .unwrap_or(0);
        assert!(gets <= 4, "terraform {}: {gets} GETs", tf.version);
    }
}
