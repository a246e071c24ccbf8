//! Unit tests of the resource model (and its `disk_config` fixture for the other modules).

use super::*;
use crate::azure::arm_id::{BackupVaultId, DatasourceId};

pub(in crate::provider::instance) fn disk_config() -> Value {
    Value::object([
        (
            attr::VAULT_ID,
            Value::string(
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo",
            ),
        ),
        (
            attr::DATASOURCE_ID,
            Value::string(
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1",
            ),
        ),
        (attr::LOCATION, Value::string("westeurope")),
        (
            attr::POLICY_ID,
            Value::string(
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-disk",
            ),
        ),
        (
            attr::SNAPSHOT_RESOURCE_GROUP_ID,
            Value::string(
                "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots",
            ),
        ),
        (attr::KEY_VAULT_SECRET_URI, Value::Null),
        (attr::NAME, Value::Null),
        (attr::FRIENDLY_NAME, Value::Null),
        (attr::TAGS, Value::Null),
        (attr::ID, Value::Null),
        (attr::DATASOURCE_TYPE, Value::Null),
        (attr::PROTECTION_STATE, Value::Null),
        (attr::PROTECTION_STATUS, Value::Null),
        (attr::PROVISIONING_STATE, Value::Null),
        (attr::PROTECTION_ERROR_CODE, Value::Null),
        (attr::PROTECTION_ERROR_MESSAGE, Value::Null),
        (attr::TIMEOUTS, Value::Null),
        (attr::CONTAINERS, Value::Null),
        (attr::VOLUME_NAME, Value::Null),
        (attr::KUBERNETES, Value::Null),
    ])
}

#[test]
fn valid_disk_config_has_no_diagnostics() {
    let mut d = Diagnostics::new();
    let inputs = check_inputs(&disk_config(), &mut d).expect("inputs");
    assert!(d.is_empty(), "{d:?}");
    assert!(inputs.name.starts_with("disk-1-"));
}

#[test]
fn default_name_ignores_id_casing() {
    let v: BackupVaultId =
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/RG/providers/Microsoft.DataProtection/backupVaults/Vault-A"
            .parse()
            .unwrap();
    let v2: BackupVaultId =
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg/providers/microsoft.dataprotection/backupvaults/vault-a"
            .parse()
            .unwrap();
    let d: DatasourceId =
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"
            .parse()
            .unwrap();
    assert_eq!(default_name(&v, &d), default_name(&v2, &d));
    let upper: DatasourceId =
        "/SUBSCRIPTIONS/11111111-1111-1111-1111-111111111111/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMPUTE/DISKS/D1"
            .parse()
            .unwrap();
    assert_eq!(default_name(&v, &d), default_name(&v, &upper));
    assert!(default_name(&v, &upper).starts_with("d1-"));
}

#[test]
fn every_cross_field_problem_is_reported_with_its_path() {
    let mut c = disk_config();
    c.set(attr::SNAPSHOT_RESOURCE_GROUP_ID, Value::Null);
    c.set(
        attr::KEY_VAULT_SECRET_URI,
        Value::string("https://kv.vault.azure.net/secrets/x"),
    );
    c.set(attr::POLICY_ID, Value::string("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/other/backupPolicies/p"));
    c.set(attr::PROTECTION_STATE, Value::string("x"));
    c.set(
        attr::TIMEOUTS,
        Value::object([
            ("create", Value::string("soon")),
            ("read", Value::Null),
            ("update", Value::Null),
            ("delete", Value::Null),
        ]),
    );
    let mut d = Diagnostics::new();
    assert!(check_inputs(&c, &mut d).is_none());
    let paths: Vec<String> = d
        .iter()
        .filter_map(|d| d.attribute.as_ref().map(|p| p.to_string()))
        .collect();
    for want in [
        "snapshot_resource_group_id",
        "key_vault_secret_uri",
        "policy_id",
        "protection_state",
        "timeouts.create",
    ] {
        assert!(
            paths.iter().any(|p| p == want),
            "missing {want} in {paths:?}"
        );
    }
}

#[test]
fn unknown_values_are_skipped_not_reported() {
    let mut c = disk_config();
    c.set(attr::DATASOURCE_ID, Value::Unknown);
    c.set(attr::SNAPSHOT_RESOURCE_GROUP_ID, Value::Null);
    let mut d = Diagnostics::new();
    assert!(check_inputs(&c, &mut d).is_none());
    assert!(d.is_empty(), "{d:?}");
}

#[test]
fn bad_ids_name_the_attribute() {
    let mut c = disk_config();
    c.set(
        attr::VAULT_ID,
        Value::string("/subscriptions/x/resourceGroups/rg"),
    );
    c.set(attr::DATASOURCE_ID, Value::string("not an id"));
    let mut d = Diagnostics::new();
    check_inputs(&c, &mut d);
    let paths: Vec<String> = d
        .iter()
        .filter_map(|d| d.attribute.as_ref().map(|p| p.to_string()))
        .collect();
    assert!(
        paths.contains(&"vault_id".to_string()) && paths.contains(&"datasource_id".to_string()),
        "{paths:?}"
    );
}

/// Read keeps the configured spelling of IDs Azure returns in other casing (no flapping),
/// but a different policy is drift and shows.
#[test]
fn read_normalises_casing_but_shows_policy_drift() {
    let mut prior = disk_config();
    let id: BackupInstanceId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi".parse().unwrap();
    prior.set(attr::ID, Value::string(id.to_string()));
    let inputs = check_inputs(&disk_config(), &mut Diagnostics::new()).unwrap();
    let mut res = body_of(&inputs);
    res.properties.policy_info.policy_id = inputs
        .policy
        .to_string()
        .to_ascii_lowercase()
        .replace("backupvaults", "Backupvaults");
    res.properties.data_source_info.resource_location = Some("West Europe".into());
    let state = state_of(&res, &id, &prior);
    assert_eq!(state.get(attr::POLICY_ID), prior.get(attr::POLICY_ID));
    assert_eq!(state.get(attr::LOCATION), prior.get(attr::LOCATION));
    res.properties.policy_info.policy_id = inputs
        .policy
        .to_string()
        .replace("policy-disk", "policy-other");
    let drifted = state_of(&res, &id, &prior);
    assert!(
        drifted
            .get(attr::POLICY_ID)
            .as_str()
            .unwrap()
            .ends_with("policy-other")
    );
}

#[test]
fn region_spellings_are_equal() {
    assert!(locations_equal("West Europe", "westeurope"));
    assert!(!locations_equal("westeurope", "northeurope"));
}
