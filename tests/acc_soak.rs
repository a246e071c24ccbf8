//! The seeded soak (issue 10), small enough for the suite: 20 instances on Terraform 1.11.4
//! against the emulator with throttling, 5xx answers and 2 % dropped connections. Apply, then
//! plan until empty (applying again while it is not), then destroy; after every step the
//! emulator's instances are compared with the state. It must converge with no orphans (in Azure,
//! not in state), no ghosts (in state, not in Azure), no duplicates (a datasource protected
//! twice) and no panics. `scripts/soak.sh` is the same loop with any size, mix and seed.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::emu::{self, Emu};
use common::{TfOutput, Workdir, terraforms};
use serde_json::json;

const INSTANCES: usize = 20;
const MAX_ROUNDS: usize = 8;
const SEED: u64 = 20261129;

fn config() -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    azurebackup = {{ source = "azurebackup/azurebackup" }}
  }}
}}
provider "azurebackup" {{}}
resource "azurebackup_instance" "soak" {{
  count                      = {INSTANCES}
  vault_id                   = "{vault}"
  datasource_id              = "{disks}/soak-disk-${{count.index}}"
  location                   = "westeurope"
  policy_id                  = "{policy}"
  snapshot_resource_group_id = "{snap}"
}}
"#,
        vault = emu::vault(),
        disks = emu::rg("rg-data") + "/providers/Microsoft.Compute/disks",
        policy = emu::policy("policy-disk"),
        snap = emu::rg("rg-snapshots"),
    )
}

/// Orphans, ghosts and duplicates between the emulator and the state.
#[derive(Debug, Default, PartialEq)]
struct Drift {
    orphans: usize,
    ghosts: usize,
    duplicates: usize,
}

fn state_ids(wd: &Workdir) -> BTreeSet<String> {
    let out = wd.run(&["show", "-json", "-no-color"]);
    assert!(out.success(), "show: {}", out.combined());
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap_or_default();
    v["values"]["root_module"]["resources"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r["values"]["id"].as_str())
                .map(|s| s.to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

fn compare(emu: &Emu, wd: &Workdir) -> Drift {
    let in_azure = emu.instances();
    let azure_ids: BTreeSet<String> = in_azure
        .iter()
        .filter_map(|i| i["id"].as_str())
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let state = state_ids(wd);
    let mut per_datasource: BTreeMap<String, usize> = BTreeMap::new();
    for i in &in_azure {
        let ds = i["datasource_id"]
            .as_str()
            .unwrap_or("")
            .to_ascii_lowercase();
        *per_datasource.entry(ds).or_default() += 1;
    }
    Drift {
        orphans: azure_ids.difference(&state).count(),
        ghosts: state.difference(&azure_ids).count(),
        duplicates: per_datasource.values().filter(|n| **n > 1).count(),
    }
}

fn no_panic(out: &TfOutput) {
    let text = out.combined();
    assert!(
        !text.contains("panicked") && !text.contains("Plugin did not respond"),
        "provider panic:\n{text}"
    );
}

#[test]
fn seeded_soak_converges_without_orphans_ghosts_or_duplicates() {
    let Some(tf) = terraforms().into_iter().find(|t| t.at_least(1, 11)) else {
        panic!("the soak needs Terraform 1.11 on PATH");
    };
    let emu = Emu::start();
    let disks: Vec<_> = (0..INSTANCES)
        .map(|i| {
            json!({
                "id": format!("{}/providers/Microsoft.Compute/disks/soak-disk-{i}", emu::rg("rg-data")),
                "location": "westeurope",
            })
        })
        .collect();
    emu.admin("POST", "/datasources", Some(json!(disks)));
    emu.knobs(json!({
        "seed": SEED,
        "faults": {"throttle_rate": 0.05, "server_error_rate": 0.05, "drop_rate": 0.02},
    }));
    let wd = emu.workdir(&tf);
    wd.write("main.tf", &config());

    // Apply, then plan until empty; every failed or non-empty round applies again.
    let mut converged_after = None;
    for round in 1..=MAX_ROUNDS {
        let out = wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"]);
        no_panic(&out);
        let drift = compare(&emu, &wd);
        assert_eq!(drift.duplicates, 0, "round {round}: {drift:?}");
        assert_eq!(
            drift.orphans,
            0,
            "round {round}: {drift:?}\n{}",
            out.combined()
        );
        if !out.success() {
            continue;
        }
        let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
        no_panic(&plan);
        if plan.status == 0 {
            converged_after = Some(round);
            break;
        }
    }
    let rounds = converged_after.expect("converged within the rounds");
    assert_eq!(compare(&emu, &wd), Drift::default());
    assert_eq!(emu.instances().len(), INSTANCES);
    println!("soak: {INSTANCES} instances, seed {SEED}: converged after {rounds} round(s)");

    let mut destroyed = false;
    for _ in 0..MAX_ROUNDS {
        let out = wd.run(&["destroy", "-input=false", "-auto-approve", "-no-color"]);
        no_panic(&out);
        let drift = compare(&emu, &wd);
        assert_eq!(drift.orphans, 0, "destroy: {drift:?}");
        if out.success() {
            destroyed = true;
            break;
        }
    }
    assert!(
        destroyed,
        "destroy did not finish within {MAX_ROUNDS} rounds"
    );
    assert!(emu.instances().is_empty());
    assert_eq!(compare(&emu, &wd), Drift::default());
}
