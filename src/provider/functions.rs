//! The provider functions (`provider::azurebackup::...`, Terraform 1.8+): pure helpers over IDs
//! that module authors would otherwise rebuild with `split` and regular expressions.

use std::sync::Arc;

use crate::azure::arm_id::{BackupInstanceId, BackupVaultId, DatasourceId};
use crate::provider::instance::default_name;
use crate::tfplugin::{Function, FunctionError, FunctionParameter, FunctionSignature, Type, Value};

pub const PARSE_BACKUP_INSTANCE_ID: &str = "parse_backup_instance_id";
pub const BACKUP_INSTANCE_NAME: &str = "backup_instance_name";

/// The attributes of the object `parse_backup_instance_id` returns.
pub const PARTS: &[(&str, &str)] = &[
    ("subscription_id", "The subscription ID (a GUID)."),
    ("resource_group_name", "The vault's resource group."),
    ("vault_name", "The Backup vault's name."),
    ("vault_id", "The Backup vault's ARM ID."),
    ("name", "The backup instance's name."),
];

pub fn all() -> Vec<Arc<dyn Function>> {
    vec![
        Arc::new(ParseBackupInstanceId),
        Arc::new(BackupInstanceName),
    ]
}

fn string_param(name: &str, description: &str) -> FunctionParameter {
    FunctionParameter {
        name: name.into(),
        ty: Type::String,
        description: description.into(),
    }
}

/// `parse_backup_instance_id(id)`.
pub struct ParseBackupInstanceId;

impl Function for ParseBackupInstanceId {
    fn name(&self) -> &'static str {
        PARSE_BACKUP_INSTANCE_ID
    }

    fn signature(&self) -> FunctionSignature {
        FunctionSignature {
            parameters: vec![string_param(
                "id",
                "The ARM ID of a backup instance (`/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults/{vault}/backupInstances/{name}`).",
            )],
            returns: Type::object(PARTS.iter().map(|(n, _)| (*n, Type::String))),
            summary: "Splits a backup instance ID into its parts".into(),
            description: format!(
                "Returns an object with the attributes {} of a backup instance's ARM ID. Fails, naming the argument, when the ID is not a backup instance ID.",
                PARTS
                    .iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let text = args.first().and_then(Value::as_str).unwrap_or_default();
        let id: BackupInstanceId = text.parse().map_err(|e| {
            FunctionError::at(0, format!("Argument `id` is not a backup instance ID: {e}"))
        })?;
        Ok(Value::object([
            ("subscription_id", Value::string(&id.vault.subscription)),
            (
                "resource_group_name",
                Value::string(&id.vault.resource_group),
            ),
            ("vault_name", Value::string(&id.vault.name)),
            ("vault_id", Value::string(id.vault.to_string())),
            ("name", Value::string(&id.name)),
        ]))
    }
}

/// `backup_instance_name(vault_id, datasource_id)`.
pub struct BackupInstanceName;

impl Function for BackupInstanceName {
    fn name(&self) -> &'static str {
        BACKUP_INSTANCE_NAME
    }

    fn signature(&self) -> FunctionSignature {
        FunctionSignature {
            parameters: vec![
                string_param("vault_id", "The ARM ID of the Backup vault."),
                string_param(
                    "datasource_id",
                    "The ARM ID of the protected resource (any kind `azurebackup_instance` protects: managed disk, storage account, AKS cluster, MySQL or PostgreSQL flexible server, Cosmos DB account, Elastic SAN volume group, PostgreSQL database).",
                ),
            ],
            returns: Type::String,
            summary: "The name azurebackup_instance chooses when `name` is not set".into(),
            description: "Returns `{datasource name}-{UUIDv5 of the vault and datasource IDs}`, the deterministic name `azurebackup_instance` gives a new instance when its `name` is not set. IDs are compared case-insensitively (the datasource name is lower-cased), so differently cased IDs give the same name. Fails, naming the argument, when an ID is malformed, the datasource kind is not supported, or the name would not be one the resource accepts (a datasource name outside ASCII).".into(),
        }
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let arg = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or_default();
        let vault: BackupVaultId = arg(0).parse().map_err(|e| {
            FunctionError::at(
                0,
                format!("Argument `vault_id` is not a Backup vault ID: {e}"),
            )
        })?;
        let datasource: DatasourceId = arg(1).parse().map_err(|e| {
            FunctionError::at(
                1,
                format!("Argument `datasource_id` is not a supported datasource ID: {e}"),
            )
        })?;
        let name = default_name(&vault, &datasource);
        // The resource refuses such a name (a datasource name outside ASCII): so does this.
        crate::azure::names::NameRule::AsciiName
            .check("name", &name)
            .map_err(|e| {
                FunctionError::at(
                    1,
                    format!(
                        "Argument `datasource_id` gives the name {name:?}, which `azurebackup_instance` refuses ({e}); set the resource's `name` to a name of ASCII letters, digits and punctuation instead."
                    ),
                )
            })?;
        Ok(Value::string(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo";
    const DISK: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1";

    #[test]
    fn parses_an_instance_id_into_its_parts() {
        let v = ParseBackupInstanceId
            .call(&[Value::string(format!("{VAULT}/backupInstances/bi-1"))])
            .unwrap();
        assert_eq!(v.get("name").as_str(), Some("bi-1"));
        assert_eq!(v.get("vault_name").as_str(), Some("vault-demo"));
        assert_eq!(v.get("resource_group_name").as_str(), Some("rg-backup"));
        assert_eq!(v.get("vault_id").as_str(), Some(VAULT));
        assert_eq!(
            v.get("subscription_id").as_str(),
            Some("11111111-1111-1111-1111-111111111111")
        );
        let e = ParseBackupInstanceId
            .call(&[Value::string(VAULT)])
            .unwrap_err();
        assert_eq!(e.argument, Some(0));
        assert!(e.text.contains("`id`"), "{}", e.text);
    }

    #[test]
    fn name_is_the_resources_default_and_ignores_casing() {
        let vault: BackupVaultId = VAULT.parse().unwrap();
        let ds: DatasourceId = DISK.parse().unwrap();
        let v = BackupInstanceName
            .call(&[Value::string(VAULT), Value::string(DISK)])
            .unwrap();
        assert_eq!(v.as_str(), Some(default_name(&vault, &ds).as_str()));
        assert!(v.as_str().unwrap().starts_with("disk-1-"));
        let upper = BackupInstanceName
            .call(&[
                Value::string(
                    VAULT
                        .to_uppercase()
                        .replace("SUBSCRIPTIONS", "subscriptions"),
                ),
                Value::string(DISK),
            ])
            .unwrap();
        assert_eq!(upper, v);
        let e = BackupInstanceName
            .call(&[Value::string(VAULT), Value::string("/nope")])
            .unwrap_err();
        assert_eq!(e.argument, Some(1));
        assert!(e.text.contains("`datasource_id`"), "{}", e.text);
        let e = BackupInstanceName
            .call(&[Value::string("x"), Value::string(DISK)])
            .unwrap_err();
        assert_eq!(e.argument, Some(0));
    }

    /// An upper-cased datasource ID names the same instance (issue 18, finding 11).
    #[test]
    fn name_ignores_the_casing_of_the_datasource_id() {
        let lower = BackupInstanceName
            .call(&[Value::string(VAULT), Value::string(DISK)])
            .unwrap();
        let upper = BackupInstanceName
            .call(&[
                Value::string(VAULT),
                Value::string(
                    DISK.to_uppercase()
                        .replace("SUBSCRIPTIONS", "subscriptions"),
                ),
            ])
            .unwrap();
        assert_eq!(upper, lower);
        assert!(upper.as_str().unwrap().starts_with("disk-1-"), "{upper:?}");
    }

    /// A name the resource refuses is a function error on `datasource_id` (finding 11).
    #[test]
    fn a_name_the_resource_refuses_is_an_error() {
        let e = BackupInstanceName
            .call(&[
                Value::string(VAULT),
                Value::string(DISK.replace("disk-1", "disk-\u{fc}")),
            ])
            .unwrap_err();
        assert_eq!(e.argument, Some(1));
        assert!(e.text.contains("refuses"), "{}", e.text);
    }
}
