//! The configuration `terraform query -generate-config-out` (and `plan -generate-config-out`)
//! writes for an adopted instance (GenerateResourceConfig, Terraform 1.14+). The server already
//! reduced the state to what a configuration may hold; this leaves out what the user need not
//! write because the resource plans the same value without it: the provider-side defaults, the
//! datasource type `datasource_id` already implies, and the name the resource would choose. What
//! remains plans clean: import only, then no change.

use super::default_name;
use super::schema::{self as attr};
use crate::azure::arm_id::{BackupVaultId, DatasourceId};
use crate::tfplugin::Value;

pub fn config(state: &Value, mut config: Value) -> Value {
    for (name, default) in [
        (attr::PROTECTION_MODE, Value::string(attr::mode::PROTECTED)),
        (attr::DESTROY_BEHAVIOR, Value::string(attr::destroy::DELETE)),
        (attr::RECOVER_SOFT_DELETED, Value::bool(true)),
    ] {
        if *state.get(name) == default {
            config.set(name, Value::Null);
        }
    }
    let vault = state
        .get(attr::VAULT_ID)
        .as_str()
        .and_then(|s| s.parse::<BackupVaultId>().ok());
    let implied = state
        .get(attr::DATASOURCE_ID)
        .as_str()
        .and_then(|s| s.parse::<DatasourceId>().ok());
    let typed = state
        .get(attr::DATASOURCE_ID)
        .as_str()
        .and_then(|s| DatasourceId::with_type(s, state.get(attr::DATASOURCE_TYPE).as_str()).ok());
    if let (Some(implied), Some(t)) = (&implied, state.get(attr::DATASOURCE_TYPE).as_str())
        && implied.datasource_type() == t
    {
        config.set(attr::DATASOURCE_TYPE, Value::Null);
    }
    if let (Some(vault), Some(ds), Some(name)) = (&vault, &typed, state.get(attr::NAME).as_str())
        && default_name(vault, ds) == name
    {
        config.set(attr::NAME, Value::Null);
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_implied_values_are_left_out_and_the_rest_kept() {
        let vault = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo";
        let disk = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1";
        let name = default_name(&vault.parse().unwrap(), &disk.parse().unwrap());
        let state = Value::object([
            (attr::VAULT_ID, Value::string(vault)),
            (attr::DATASOURCE_ID, Value::string(disk)),
            (
                attr::DATASOURCE_TYPE,
                Value::string("Microsoft.Compute/disks"),
            ),
            (attr::NAME, Value::string(name)),
            (attr::PROTECTION_MODE, Value::string("Protected")),
            (attr::DESTROY_BEHAVIOR, Value::string("Delete")),
            (attr::RECOVER_SOFT_DELETED, Value::bool(true)),
        ]);
        let out = config(&state, state.clone());
        for gone in [
            attr::DATASOURCE_TYPE,
            attr::NAME,
            attr::PROTECTION_MODE,
            attr::DESTROY_BEHAVIOR,
            attr::RECOVER_SOFT_DELETED,
        ] {
            assert!(out.get(gone).is_null(), "{gone}: {out:?}");
        }
        assert_eq!(out.get(attr::VAULT_ID).as_str(), Some(vault));
        let mut other = state.clone();
        other.set(attr::NAME, Value::string("my-name"));
        other.set(attr::PROTECTION_MODE, Value::string("BackupsSuspended"));
        let out = config(&other, other.clone());
        assert_eq!(out.get(attr::NAME).as_str(), Some("my-name"));
        assert_eq!(
            out.get(attr::PROTECTION_MODE).as_str(),
            Some("BackupsSuspended")
        );
    }
}
