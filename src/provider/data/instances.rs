//! `azurebackup_instances` (data source): the backup instances of a vault, optionally filtered by
//! datasource type and protection state, from the vault's list (one request per page, never one
//! per instance).

use std::sync::Arc;

use super::not_configured;
use crate::azure::arm_id::BackupVaultId;
use crate::provider::Shared;
use crate::provider::errors::azure_error;
use crate::provider::instance::schema::{self as attr, DEFAULT_READ};
use crate::provider::instance::state_of;
use crate::tfplugin::{
    Attribute, AttributePath, Block, Context, DataReadResponse, DataSource, Diagnostics, Schema,
    Type, Value,
};

pub const INSTANCES_TYPE_NAME: &str = "azurebackup_instances";
pub const INSTANCES: &str = "instances";

/// The attributes of each element of `instances`, all taken from the resource's state: what
/// identifies and describes an instance, and every kind-specific input (`snapshot_resource_group_id`,
/// `key_vault_secret_uri`, `containers`, `volume_name`, `kubernetes`), null for kinds without it.
pub const ELEMENT: &[&str] = &[
    attr::ID,
    attr::NAME,
    attr::DATASOURCE_ID,
    attr::DATASOURCE_TYPE,
    attr::POLICY_ID,
    attr::PROTECTION_STATE,
    attr::PROTECTION_STATUS,
    attr::PROVISIONING_STATE,
    attr::SNAPSHOT_RESOURCE_GROUP_ID,
    attr::KEY_VAULT_SECRET_URI,
    attr::CONTAINERS,
    attr::VOLUME_NAME,
    attr::KUBERNETES,
];

pub struct InstancesData {
    shared: Arc<Shared>,
}

impl InstancesData {
    pub fn new(shared: Arc<Shared>) -> Self {
        InstancesData { shared }
    }
}

/// Each element attribute's type: the resource's own.
fn element_attribute_type(name: &str) -> Type {
    match name {
        attr::CONTAINERS => Type::List(Box::new(Type::String)),
        attr::KUBERNETES => crate::provider::instance::schema::kubernetes_type(),
        _ => Type::String,
    }
}

fn element_type() -> Type {
    Type::object(ELEMENT.iter().map(|n| (*n, element_attribute_type(n))))
}

pub fn schema() -> Schema {
    let attributes = vec![
        Attribute::required(attr::VAULT_ID, Type::String).description("The ARM ID of the Backup vault whose instances to list."),
        Attribute::optional(attr::DATASOURCE_TYPE, Type::String).description("Only instances of this datasource type, e.g. `Microsoft.Compute/disks` (compared case-insensitively)."),
        Attribute::optional(attr::PROTECTION_STATE, Type::String).description("Only instances in this protection state, e.g. `ProtectionConfigured` (compared case-insensitively)."),
        Attribute::computed(INSTANCES, Type::list(element_type())).description(format!(
            "The matching instances, in the order the service lists them. Each has {}, as the `azurebackup_instance` resource reports them (a kind-specific attribute is null for the other kinds).",
            ELEMENT.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        )),
    ];
    Schema::new(
        0,
        Block {
            description: "Lists the backup instances of a Backup vault, optionally filtered. Reads the vault's list (following `nextLink`): one request per page of the list, not one per instance.".into(),
            attributes,
            ..Default::default()
        },
    )
}

fn check(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(t) = config.get(attr::VAULT_ID).as_str()
        && let Err(e) = t.parse::<BackupVaultId>()
    {
        d.error_at(
            AttributePath::root(attr::VAULT_ID),
            "Invalid Backup Vault ID",
            format!("`{}` is not a valid Backup Vault ID: {e}", attr::VAULT_ID),
        );
    }
    for n in [attr::DATASOURCE_TYPE, attr::PROTECTION_STATE] {
        if config.get(n).as_str().is_some_and(|s| s.trim().is_empty()) {
            d.error_at(
                AttributePath::root(n),
                "Empty Filter",
                format!("`{n}` is empty; remove it to list every instance, or give a value."),
            );
        }
    }
    d
}

/// Whether `value` passes the optional filter `filter` (case-insensitive).
fn passes(filter: Option<&str>, value: &Value) -> bool {
    filter.is_none_or(|f| value.as_str().is_some_and(|v| v.eq_ignore_ascii_case(f)))
}

#[async_trait::async_trait]
impl DataSource for InstancesData {
    fn type_name(&self) -> &'static str {
        INSTANCES_TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        check(config)
    }

    async fn read(&self, config: &Value, ctx: &Context) -> DataReadResponse {
        let mut d = check(config);
        let failed = |diagnostics| DataReadResponse {
            state: Value::Null,
            diagnostics,
        };
        if d.has_errors() {
            return failed(d);
        }
        let Some(c) = self.shared.get() else {
            return failed(not_configured());
        };
        let Some(Ok(vault)) = config
            .get(attr::VAULT_ID)
            .as_str()
            .map(str::parse::<BackupVaultId>)
        else {
            return failed(check(config));
        };
        let op = c.client.op_options(DEFAULT_READ, &ctx.cancel);
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
        let blank = Value::object([(attr::TIMEOUTS, Value::Null)]);
        let want_type = config.get(attr::DATASOURCE_TYPE).as_str();
        let want_state = config.get(attr::PROTECTION_STATE).as_str();
        let mut states = Vec::with_capacity(list.len());
        for res in &list {
            match super::entry_id(res, &vault) {
                Ok(id) => states.push(state_of(res, &id, &blank)),
                Err(problem) => {
                    d.push(super::bad_entry(&vault, &problem));
                    return failed(d);
                }
            }
        }
        let instances: Vec<Value> = states
            .into_iter()
            .filter(|s| {
                passes(want_type, s.get(attr::DATASOURCE_TYPE))
                    && passes(want_state, s.get(attr::PROTECTION_STATE))
            })
            .map(|s| Value::object(ELEMENT.iter().map(|n| (*n, s.get(n).clone()))))
            .collect();
        let mut state = config.clone();
        state.set(INSTANCES, Value::List(instances));
        DataReadResponse {
            state,
            diagnostics: d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_optional_and_case_insensitive() {
        let v = Value::string("ProtectionConfigured");
        assert!(passes(None, &v));
        assert!(passes(Some("protectionconfigured"), &v));
        assert!(!passes(Some("ProtectionError"), &v));
        assert!(!passes(Some("x"), &Value::Null));
    }

    #[test]
    fn bad_vault_and_empty_filters_are_on_their_attributes() {
        let d = check(&Value::object([
            (attr::VAULT_ID, Value::string("/subscriptions/x")),
            (attr::DATASOURCE_TYPE, Value::string(" ")),
            (attr::PROTECTION_STATE, Value::Null),
        ]));
        let at: Vec<_> = d.iter().map(|d| d.attribute.clone()).collect();
        assert_eq!(
            at,
            vec![
                Some(AttributePath::root(attr::VAULT_ID)),
                Some(AttributePath::root(attr::DATASOURCE_TYPE))
            ]
        );
    }
}
