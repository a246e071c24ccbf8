//! The resource identity of `azurebackup_instance` (Terraform 1.12+): the same four attributes
//! as azurerm's backup-instance resources, so that users' `import { identity = {...} }` blocks
//! carry over. The identity is always computed from the instance's ARM ID in state (or, while a
//! create's plan does not know the ID, from the planned vault and name), so it names exactly the
//! object the state does.

use crate::azure::arm_id::{BackupInstanceId, BackupVaultId};
use crate::tfplugin::{Diagnostic, Diagnostics, IdentityAttribute, IdentitySchema, Value};

use super::schema as attr;

pub const SUBSCRIPTION_ID: &str = "subscription_id";
pub const RESOURCE_GROUP_NAME: &str = "resource_group_name";
pub const BACKUP_VAULT_NAME: &str = "backup_vault_name";
pub const NAME: &str = "name";

/// Version 0: state written before identities existed carries none and needs no upgrade.
pub fn schema() -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute::required(
                SUBSCRIPTION_ID,
                "The ID (GUID) of the subscription that holds the backup vault.",
            ),
            IdentityAttribute::required(
                RESOURCE_GROUP_NAME,
                "The name of the resource group that holds the backup vault.",
            ),
            IdentityAttribute::required(BACKUP_VAULT_NAME, "The name of the backup vault."),
            IdentityAttribute::required(NAME, "The name of the backup instance."),
        ],
    }
}

/// The identity of one backup instance.
pub fn of_id(id: &BackupInstanceId) -> Value {
    Value::object([
        (SUBSCRIPTION_ID, Value::string(&id.vault.subscription)),
        (RESOURCE_GROUP_NAME, Value::string(&id.vault.resource_group)),
        (BACKUP_VAULT_NAME, Value::string(&id.vault.name)),
        (NAME, Value::string(&id.name)),
    ])
}

/// The identity of the instance `state` describes; unknown while the plan of a create does not
/// know its vault or name yet.
pub fn of_state(state: &Value) -> Value {
    if let Some(id) = state
        .get(attr::ID)
        .as_str()
        .and_then(|s| s.parse::<BackupInstanceId>().ok())
    {
        return of_id(&id);
    }
    let vault = state
        .get(attr::VAULT_ID)
        .as_str()
        .and_then(|s| s.parse::<BackupVaultId>().ok());
    match (vault, state.get(attr::NAME).as_str()) {
        (Some(vault), Some(name)) => of_id(&vault.instance(name)),
        _ => Value::Unknown,
    }
}

/// The backup instance ID an `import { identity = {...} }` names, every part checked as any ID
/// this provider sends a request for.
pub fn import_id(identity: &Value) -> Result<String, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut part = |name: &str| match identity.get(name).as_str() {
        Some(s) if !s.trim().is_empty() => s.to_owned(),
        _ => {
            diags.push(Diagnostic::error(
                "Incomplete Import Identity",
                format!(
                    "The identity of an {} import needs `{name}`: set all of {SUBSCRIPTION_ID}, \
                     {RESOURCE_GROUP_NAME}, {BACKUP_VAULT_NAME} and {NAME}.",
                    super::TYPE_NAME
                ),
            ));
            String::new()
        }
    };
    let id = BackupInstanceId {
        vault: BackupVaultId {
            subscription: part(SUBSCRIPTION_ID),
            resource_group: part(RESOURCE_GROUP_NAME),
            name: part(BACKUP_VAULT_NAME),
        },
        name: part(NAME),
    };
    if diags.has_errors() {
        return Err(diags);
    }
    // Parsing the ID back applies the same segment rules as every other ID (no `/`, `?`, `#`,
    // `..`, valid name characters), so an identity cannot steer a request elsewhere.
    let text = id.to_string();
    match text.parse::<BackupInstanceId>() {
        Ok(parsed) if parsed == id => Ok(text),
        Ok(_) | Err(_) => {
            let why = text
                .parse::<BackupInstanceId>()
                .err()
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            Err(Diagnostic::error(
                "Invalid Import Identity",
                format!(
                    "The identity does not name a backup instance{why}. Check \
                     {SUBSCRIPTION_ID} (a GUID), {RESOURCE_GROUP_NAME}, {BACKUP_VAULT_NAME} and \
                     {NAME} against the instance in the Azure portal."
                ),
            )
            .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi-1";

    fn identity(parts: [&str; 4]) -> Value {
        Value::object([
            (SUBSCRIPTION_ID, Value::string(parts[0])),
            (RESOURCE_GROUP_NAME, Value::string(parts[1])),
            (BACKUP_VAULT_NAME, Value::string(parts[2])),
            (NAME, Value::string(parts[3])),
        ])
    }

    #[test]
    fn identity_and_import_id_round_trip() {
        let state = Value::object([(attr::ID, Value::string(ID))]);
        let id = of_state(&state);
        assert_eq!(
            id,
            identity([
                "11111111-1111-1111-1111-111111111111",
                "rg-backup",
                "vault-demo",
                "bi-1"
            ])
        );
        assert_eq!(import_id(&id).unwrap(), ID);
    }

    #[test]
    fn a_create_plan_derives_it_from_vault_and_name_or_leaves_it_unknown() {
        let vault = ID.split("/backupInstances/").next().unwrap();
        let mut state = Value::object([
            (attr::ID, Value::Unknown),
            (attr::VAULT_ID, Value::string(vault)),
            (attr::NAME, Value::string("bi-1")),
        ]);
        assert_eq!(of_state(&state).get(NAME).as_str(), Some("bi-1"));
        state.set(attr::NAME, Value::Unknown);
        assert!(of_state(&state).is_unknown());
    }

    #[test]
    fn bad_identities_are_refused() {
        let missing = import_id(&identity([
            "11111111-1111-1111-1111-111111111111",
            "",
            "v",
            "n",
        ]));
        assert!(
            format!("{missing:?}").contains(RESOURCE_GROUP_NAME),
            "{missing:?}"
        );
        for bad in [
            ["not-a-guid", "rg", "vault-demo", "bi"],
            [
                "11111111-1111-1111-1111-111111111111",
                "rg/../x",
                "vault-demo",
                "bi",
            ],
            [
                "11111111-1111-1111-1111-111111111111",
                "rg",
                "vault-demo",
                "bi?x=1",
            ],
        ] {
            let e = import_id(&identity(bad)).unwrap_err();
            assert!(
                format!("{e:?}").contains("Invalid Import Identity"),
                "{bad:?}: {e:?}"
            );
        }
    }
}
