//! `azurebackup_instance` (data source): one backup instance, found by its ID or by the vault and
//! the datasource it protects, with every attribute the resource has.

use std::sync::Arc;

use super::not_configured;
use crate::azure::arm_id::{BackupInstanceId, BackupVaultId, DatasourceId};
use crate::provider::Shared;
use crate::provider::errors::azure_error;
use crate::provider::instance::schema::{self as attr, DEFAULT_READ};
use crate::provider::instance::{ids_equal, state_of};
use crate::tfplugin::{
    Attribute, AttributePath, Block, Context, DataReadResponse, DataSource, Diagnostics, Schema,
    Type, Value,
};

pub const INSTANCE_TYPE_NAME: &str = "azurebackup_instance";

/// The lookup arguments; every other attribute is computed.
const LOOKUP: &[&str] = &[attr::ID, attr::VAULT_ID, attr::DATASOURCE_ID];

pub struct InstanceData {
    shared: Arc<Shared>,
}

impl InstanceData {
    pub fn new(shared: Arc<Shared>) -> Self {
        InstanceData { shared }
    }
}

pub fn schema() -> Schema {
    let s = Type::String;
    let c = |name: &str, d: &str| Attribute::computed(name, Type::String).description(d);
    let attributes = vec![
        Attribute::optional_computed(attr::ID, s.clone()).description("The ARM ID of the backup instance to read. Set either this, or `vault_id` together with `datasource_id`."),
        Attribute::optional_computed(attr::VAULT_ID, s.clone()).description("The ARM ID of the Backup vault to look in, together with `datasource_id`. Computed when `id` is set."),
        Attribute::optional_computed(attr::DATASOURCE_ID, s.clone()).description("The ARM ID of the protected resource: the data source finds the instance of `vault_id` that protects it. Computed when `id` is set."),
        c(attr::LOCATION, "The Azure region of the datasource."),
        c(attr::POLICY_ID, "The ARM ID of the backup policy."),
        c(attr::SNAPSHOT_RESOURCE_GROUP_ID, "Managed disks: the ARM ID of the resource group where operational-tier snapshots are kept. Null for other kinds."),
        c(attr::KEY_VAULT_SECRET_URI, "PostgreSQL single-server databases: the URI of the Key Vault secret holding the connection string, when one is used."),
        c(attr::NAME, "The name of the backup instance."),
        c(attr::FRIENDLY_NAME, "The instance's display name."),
        Attribute::computed(attr::TAGS, Type::Map(Box::new(Type::String))).description("Tags on the backup instance."),
        c(attr::DATASOURCE_TYPE, "The datasource type, e.g. `Microsoft.Compute/disks`."),
        c(attr::PROTECTION_STATE, "The instance's current protection state as Azure reports it (`currentProtectionState`), e.g. `ProtectionConfigured`."),
        c(attr::PROTECTION_STATUS, "The instance's protection status (`protectionStatus.status`)."),
        c(attr::PROVISIONING_STATE, "The ARM provisioning state, e.g. `Succeeded`."),
        c(attr::PROTECTION_ERROR_CODE, attr::PROTECTION_ERROR_CODE_DOC),
        c(attr::PROTECTION_ERROR_MESSAGE, attr::PROTECTION_ERROR_MESSAGE_DOC),
        c(attr::PROTECTION_MODE, "`Protected`, `BackupsSuspended` or `ProtectionStopped`: the resource's `protection_mode` that matches the instance's protection state."),
        c(attr::USER_ASSIGNED_IDENTITY_ID, "The user-assigned identity the vault uses for this instance (`identityDetails`), or null for the vault's system-assigned identity."),
        Attribute::computed(attr::CONTAINERS, Type::List(Box::new(Type::String))).description("Storage accounts (vaulted blob, Data Lake Storage): the blob containers backed up to the vault. Null for operational blob backup and other kinds."),
        c(attr::VOLUME_NAME, "Elastic SAN volume groups: the name of the protected volume."),
        Attribute::computed(attr::KUBERNETES, crate::provider::instance::schema::kubernetes_type()).description("AKS clusters: what of the cluster is backed up, with the attributes of the resource's `kubernetes` block. Null when the service's defaults are used (the whole cluster)."),
    ];
    Schema::new(
        0,
        Block {
            description: "Reads one backup instance: by `id`, or by `vault_id` and `datasource_id` (the instance of that vault protecting that resource; the vault's list is read, following `nextLink`). Fails when no such instance exists.".into(),
            attributes,
            ..Default::default()
        },
    )
}

/// Either `id` alone, or `vault_id` and `datasource_id` together; each malformed ID on its
/// attribute.
fn check(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let set = |n: &str| !config.get(n).is_null();
    let by_id = set(attr::ID);
    let by_ds = set(attr::VAULT_ID) || set(attr::DATASOURCE_ID);
    if by_id && by_ds {
        let n = if set(attr::VAULT_ID) {
            attr::VAULT_ID
        } else {
            attr::DATASOURCE_ID
        };
        d.error_at(AttributePath::root(n), "Conflicting Lookup Arguments", format!("Set either `id`, or `vault_id` together with `datasource_id`, not both: remove `{n}` or `id`."));
    } else if !by_id && !by_ds {
        d.error_at(
            AttributePath::root(attr::ID),
            "Missing Lookup Argument",
            "Set `id` (a backup instance ARM ID), or `vault_id` together with `datasource_id`.",
        );
    } else if by_ds {
        for (n, other) in [
            (attr::VAULT_ID, attr::DATASOURCE_ID),
            (attr::DATASOURCE_ID, attr::VAULT_ID),
        ] {
            if !set(n) {
                d.error_at(AttributePath::root(n), "Missing Lookup Argument", format!("`{other}` needs `{n}` as well: the instance is looked up in a vault by the resource it protects."));
            }
        }
    }
    let bad = |name: &str, what: &str, e: String, d: &mut Diagnostics| {
        d.error_at(
            AttributePath::root(name),
            format!("Invalid {what}"),
            format!("`{name}` is not a valid {what}: {e}"),
        )
    };
    if let Some(t) = config.get(attr::ID).as_str()
        && let Err(e) = t.parse::<BackupInstanceId>()
    {
        bad(attr::ID, "Backup Instance ID", e.to_string(), &mut d);
    }
    if let Some(t) = config.get(attr::VAULT_ID).as_str()
        && let Err(e) = t.parse::<BackupVaultId>()
    {
        bad(attr::VAULT_ID, "Backup Vault ID", e.to_string(), &mut d);
    }
    if let Some(t) = config.get(attr::DATASOURCE_ID).as_str()
        && let Err(e) = t.parse::<DatasourceId>()
    {
        bad(attr::DATASOURCE_ID, "Datasource ID", e.to_string(), &mut d);
    }
    d
}

/// The data source's value: the resource's state restricted to this schema's attributes.
fn value_of(resource_state: &Value) -> Value {
    Value::object(
        schema()
            .block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), resource_state.get(&a.name).clone())),
    )
}

fn failed(diagnostics: Diagnostics) -> DataReadResponse {
    DataReadResponse {
        state: Value::Null,
        diagnostics,
    }
}

#[async_trait::async_trait]
impl DataSource for InstanceData {
    fn type_name(&self) -> &'static str {
        INSTANCE_TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        // Unknown values (from other resources) are checked at read time.
        if LOOKUP.iter().any(|n| config.get(n).is_unknown()) {
            return Diagnostics::new();
        }
        check(config)
    }

    async fn read(&self, config: &Value, ctx: &Context) -> DataReadResponse {
        let d = check(config);
        if d.has_errors() {
            return failed(d);
        }
        let Some(c) = self.shared.get() else {
            return failed(not_configured());
        };
        let op = c.client.op_options(DEFAULT_READ, &ctx.cancel);
        let mut d = Diagnostics::new();
        // The user's spelling of the lookup IDs is kept (state_of keeps prior spellings).
        let prior = config.clone();
        if let Some(text) = config.get(attr::ID).as_str() {
            let Ok(id) = text.parse::<BackupInstanceId>() else {
                return failed(check(config));
            };
            return match c.client.get_backup_instance(&id, &op).await {
                Ok(Some(res)) => DataReadResponse {
                    state: value_of(&state_of(&res, &id, &prior)),
                    diagnostics: d,
                },
                Ok(None) => {
                    d.error_at(AttributePath::root(attr::ID), "Backup Instance Not Found", format!("No backup instance exists at {text}. Check the ID, or look the instance up by `vault_id` and `datasource_id`."));
                    failed(d)
                }
                Err(e) => {
                    d.push(
                        azure_error(
                            "Unable to Read Backup Instance",
                            "reading of the backup instance",
                            Some(text),
                            &e,
                        )
                        .at(AttributePath::root(attr::ID)),
                    );
                    failed(d)
                }
            };
        }
        let (Some(Ok(vault)), Some(ds)) = (
            config
                .get(attr::VAULT_ID)
                .as_str()
                .map(str::parse::<BackupVaultId>),
            config.get(attr::DATASOURCE_ID).as_str(),
        ) else {
            return failed(check(config));
        };
        let list = match c.client.list_backup_instances(&vault, &op).await {
            Ok(l) => l,
            Err(e) => {
                d.push(
                    azure_error(
                        "Unable to List Backup Instances",
                        "listing of the vault's backup instances",
                        None,
                        &e,
                    )
                    .at(AttributePath::root(attr::VAULT_ID)),
                );
                return failed(d);
            }
        };
        // Every entry must be the vault's own before any of them is believed.
        let mut ids = Vec::with_capacity(list.len());
        for res in &list {
            match super::entry_id(res, &vault) {
                Ok(id) => ids.push(id),
                Err(problem) => {
                    d.push(super::bad_entry(&vault, &problem));
                    return failed(d);
                }
            }
        }
        let found = list
            .iter()
            .zip(ids)
            .find(|(r, _)| ids_equal(&r.properties.data_source_info.resource_id, ds));
        match found {
            Some((res, id)) => DataReadResponse {
                state: value_of(&state_of(res, &id, &prior)),
                diagnostics: d,
            },
            None => {
                d.error_at(AttributePath::root(attr::DATASOURCE_ID), "No Backup Instance Protects This Datasource", format!("None of the {} backup instances of the vault protects {ds}. Check `datasource_id` and `vault_id`; use the `azurebackup_instances` data source to list what the vault protects.", list.len()));
                failed(d)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo";
    const DISK: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1";

    fn cfg(id: Option<&str>, vault: Option<&str>, ds: Option<&str>) -> Value {
        let s = |o: Option<&str>| o.map(Value::string).unwrap_or(Value::Null);
        Value::object([
            (attr::ID, s(id)),
            (attr::VAULT_ID, s(vault)),
            (attr::DATASOURCE_ID, s(ds)),
        ])
    }

    fn paths(d: &Diagnostics) -> Vec<String> {
        d.iter()
            .map(|d| format!("{}:{:?}", d.summary, d.attribute))
            .collect()
    }

    #[test]
    fn lookup_arguments_are_checked_on_the_attribute_at_fault() {
        assert!(
            check(&cfg(
                Some(&format!("{VAULT}/backupInstances/x")),
                None,
                None
            ))
            .is_empty()
        );
        assert!(check(&cfg(None, Some(VAULT), Some(DISK))).is_empty());
        let d = check(&cfg(None, None, None));
        assert_eq!(
            d.iter().next().unwrap().attribute,
            Some(AttributePath::root(attr::ID))
        );
        let d = check(&cfg(None, Some(VAULT), None));
        assert_eq!(
            d.iter().next().unwrap().attribute,
            Some(AttributePath::root(attr::DATASOURCE_ID)),
            "{:?}",
            paths(&d)
        );
        let d = check(&cfg(
            Some(&format!("{VAULT}/backupInstances/x")),
            Some(VAULT),
            Some(DISK),
        ));
        assert!(
            d.iter()
                .any(|x| x.summary == "Conflicting Lookup Arguments"),
            "{:?}",
            paths(&d)
        );
        let d = check(&cfg(None, Some(DISK), Some(DISK)));
        assert_eq!(
            d.iter().next().unwrap().attribute,
            Some(AttributePath::root(attr::VAULT_ID))
        );
    }

    /// Every attribute that describes the instance. `destroy_behavior` and
    /// `recover_soft_deleted` only steer what the resource does on destroy and create; they are
    /// not properties of an instance a data source could read.
    #[test]
    fn has_every_attribute_of_the_resource() {
        let ours = schema();
        let behaviour = [attr::DESTROY_BEHAVIOR, attr::RECOVER_SOFT_DELETED];
        for a in crate::provider::instance::schema().block.attributes {
            if behaviour.contains(&a.name.as_str()) {
                continue;
            }
            assert!(
                ours.block.find_attribute(&a.name).is_some(),
                "{} missing",
                a.name
            );
        }
    }
}
