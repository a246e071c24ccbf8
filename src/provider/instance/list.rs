//! The `azurebackup_instance` list resource (Terraform 1.14+ `terraform query`): every backup
//! instance of one vault, optionally filtered, from the vault's list pages only (never a GET per
//! instance), so that `terraform query -generate-config-out=FILE` can adopt a whole vault.
//!
//! Every page is checked like every other answer: `nextLink`s go through the same pipeline
//! (Resource Manager origin only), a repeated `nextLink` or a list that does not end is an
//! error, and an entry that is not an instance of the listed vault aborts the list rather than
//! offering an import of something else.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::value::RawValue;

use super::model::{adopted_blank, is_soft_deleted, state_of};
use super::schema::{self as attr, DEFAULT_READ};
use super::{TYPE_NAME, identity};
use crate::azure::arm_id::{BackupInstanceId, BackupVaultId, DatasourceId};
use crate::azure::catalogue::CATALOGUE;
use crate::azure::models::BackupInstanceResource;
use crate::provider::Shared;
use crate::provider::errors::azure_error;
use crate::tfplugin::{
    Attribute, AttributePath, Block, Context, Diagnostic, Diagnostics, ListRequest, ListResource,
    ListResult, ListSink, Schema, Type, Value,
};

/// The filter on the datasource's resource group.
pub const DATASOURCE_RESOURCE_GROUP: &str = "datasource_resource_group";

/// Pages one list may take (as many as the client's own walks allow).
const MAX_PAGES: usize = 1000;

/// Protection states Azure reports (`currentProtectionState`), for checking the filter.
pub const PROTECTION_STATES: &[&str] = &[
    "ProtectionConfigured",
    "ConfiguringProtection",
    "ConfiguringProtectionFailed",
    "UpdatingProtection",
    "ProtectionError",
    "ProtectionStopped",
    "BackupsSuspended",
    "BackupSchedulesSuspended",
    "RetentionSchedulesSuspended",
    "SoftDeleting",
    "SoftDeleted",
    "NotProtected",
];

pub struct InstanceList {
    shared: Arc<Shared>,
}

impl InstanceList {
    pub fn new(shared: Arc<Shared>) -> Self {
        InstanceList { shared }
    }
}

pub fn schema() -> Schema {
    let types: Vec<String> = CATALOGUE
        .iter()
        .map(|e| format!("`{}`", e.datasource_type))
        .collect();
    Schema::new(
        0,
        Block::new()
            .description(
                "Finds the backup instances of a Backup vault for `terraform query` (Terraform \
                 1.14 and later), optionally filtered. With `-generate-config-out=FILE` Terraform \
                 writes an `import` block (by identity) and a `resource` block for each. Reads \
                 the vault's list page by page (one request per page, never one per instance) \
                 and stops at the list block's `limit`. Soft-deleted instances are left out.",
            )
            .attribute(
                Attribute::required(attr::VAULT_ID, Type::String)
                    .description("The ARM ID of the Backup vault whose instances to find."),
            )
            .attribute(
                Attribute::optional(attr::DATASOURCE_TYPE, Type::String).description(format!(
                    "Only instances of this datasource type (compared case-insensitively): one \
                     of {}.",
                    types.join(", ")
                )),
            )
            .attribute(
                Attribute::optional(attr::PROTECTION_STATE, Type::String).description(format!(
                    "Only instances in this protection state (compared case-insensitively), as \
                     the resource's `protection_state` reports it: one of {}.",
                    PROTECTION_STATES
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            )
            .attribute(
                Attribute::optional(DATASOURCE_RESOURCE_GROUP, Type::String).description(
                    "Only instances whose datasource is in this resource group (its name, \
                     compared case-insensitively), e.g. the resource group of one application.",
                ),
            ),
    )
}

fn check(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(v) = config.get(attr::VAULT_ID).as_str()
        && let Err(e) = v.parse::<BackupVaultId>()
    {
        d.error_at(
            AttributePath::root(attr::VAULT_ID),
            "Invalid Backup Vault ID",
            format!(
                "`{}` must be a Backup vault's ARM ID ({}): {e}",
                attr::VAULT_ID,
                BackupVaultId::shape()
            ),
        );
    }
    let one_of = |name: &str, value: &str, allowed: &[&str], d: &mut Diagnostics| {
        if value.trim().is_empty() {
            d.error_at(
                AttributePath::root(name),
                "Empty Filter",
                format!("`{name}` is empty; remove it to find every instance, or give a value."),
            );
        } else if !allowed.iter().any(|a| a.eq_ignore_ascii_case(value)) {
            d.error_at(
                AttributePath::root(name),
                "Unknown Filter Value",
                format!(
                    "`{name} = {value:?}` matches no instance this provider manages. Use one of: {}.",
                    allowed.join(", ")
                ),
            );
        }
    };
    if let Some(t) = config.get(attr::DATASOURCE_TYPE).as_str() {
        let types: Vec<&str> = CATALOGUE.iter().map(|e| e.datasource_type).collect();
        one_of(attr::DATASOURCE_TYPE, t, &types, &mut d);
    }
    if let Some(s) = config.get(attr::PROTECTION_STATE).as_str() {
        one_of(attr::PROTECTION_STATE, s, PROTECTION_STATES, &mut d);
    }
    if config
        .get(DATASOURCE_RESOURCE_GROUP)
        .as_str()
        .is_some_and(|s| s.trim().is_empty())
    {
        d.error_at(
            AttributePath::root(DATASOURCE_RESOURCE_GROUP),
            "Empty Filter",
            format!("`{DATASOURCE_RESOURCE_GROUP}` is empty; remove it, or name a resource group."),
        );
    }
    d
}

/// The filters of one list, compared case-insensitively.
struct Filters<'a> {
    datasource_type: Option<&'a str>,
    protection_state: Option<&'a str>,
    resource_group: Option<&'a str>,
}

impl Filters<'_> {
    fn pass(&self, state: &Value) -> bool {
        let is = |want: Option<&str>, got: Option<&str>| {
            want.is_none_or(|w| got.is_some_and(|g| g.eq_ignore_ascii_case(w)))
        };
        let ds_rg = state
            .get(attr::DATASOURCE_ID)
            .as_str()
            .and_then(|id| id.parse::<DatasourceId>().ok())
            .map(|d| d.resource_group().to_owned());
        is(
            self.datasource_type,
            state.get(attr::DATASOURCE_TYPE).as_str(),
        ) && is(
            self.protection_state,
            state.get(attr::PROTECTION_STATE).as_str(),
        ) && is(self.resource_group, ds_rg.as_deref())
    }
}

/// `bi-name (managed disk disk-1)`: the instance with its kind and datasource.
fn display_name(state: &Value, name: &str) -> String {
    let ds = state.get(attr::DATASOURCE_ID).as_str().unwrap_or_default();
    let noun = state
        .get(attr::DATASOURCE_TYPE)
        .as_str()
        .and_then(|t| {
            CATALOGUE
                .iter()
                .find(|e| e.datasource_type.eq_ignore_ascii_case(t))
        })
        .map_or("datasource", |e| e.noun);
    let ds_name = ds
        .parse::<DatasourceId>()
        .map(|d| d.name().to_owned())
        .unwrap_or_else(|_| ds.rsplit('/').next().unwrap_or_default().to_owned());
    format!("{name} ({noun} {ds_name})")
}

/// The entry's ID, if it is an instance of `vault`; the entry's own ID text otherwise.
fn entry_of_vault(entry: &RawValue, vault: &BackupVaultId) -> Result<BackupInstanceId, String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    let text = serde_json::from_str::<IdOnly>(entry.get())
        .ok()
        .and_then(|e| e.id)
        .unwrap_or_default();
    match text.parse::<BackupInstanceId>() {
        Ok(id)
            if id
                .vault
                .to_string()
                .eq_ignore_ascii_case(&vault.to_string()) =>
        {
            Ok(vault.instance(id.name))
        }
        _ => Err(text),
    }
}

fn list_error(summary: &str, detail: String) -> Diagnostic {
    Diagnostic::error(summary, detail).at(AttributePath::root(attr::VAULT_ID))
}

#[async_trait::async_trait]
impl ListResource for InstanceList {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        check(config)
    }

    async fn list(&self, req: ListRequest, sink: &ListSink, ctx: &Context) -> Diagnostics {
        let mut d = check(&req.config);
        if d.has_errors() {
            return d;
        }
        let Some(c) = self.shared.get() else {
            d.error(
                "Provider Not Configured",
                "The provider was not configured before the list ran. Check the provider block \
                 for errors reported above.",
            );
            return d;
        };
        let Some(Ok(vault)) = req
            .config
            .get(attr::VAULT_ID)
            .as_str()
            .map(str::parse::<BackupVaultId>)
        else {
            d.error_at(
                AttributePath::root(attr::VAULT_ID),
                "Missing Backup Vault ID",
                "Set `vault_id` in the list block's `config` to the vault whose instances to find.",
            );
            return d;
        };
        let filters = Filters {
            datasource_type: req.config.get(attr::DATASOURCE_TYPE).as_str(),
            protection_state: req.config.get(attr::PROTECTION_STATE).as_str(),
            resource_group: req.config.get(DATASOURCE_RESOURCE_GROUP).as_str(),
        };
        let op = c.client.op_options(DEFAULT_READ, &ctx.cancel);
        let mut sent = 0_i64;
        let mut next: Option<String> = None;
        let mut seen = HashSet::new();
        for _ in 0..MAX_PAGES {
            if sent >= req.limit {
                return d;
            }
            let page = match c
                .client
                .list_backup_instances_page(&vault, next.as_deref(), &op)
                .await
            {
                Ok(p) => p,
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
                    return d;
                }
            };
            for entry in page.value {
                let id = match entry_of_vault(&entry, &vault) {
                    Ok(id) => id,
                    Err(other) => {
                        d.push(list_error(
                            "List Entry of Another Vault",
                            format!(
                                "The list of {vault} holds {:?}, which is not a backup instance \
                                 of that vault. Nothing was imported from this list; check that \
                                 `vault_id` names the vault you mean and report this answer to \
                                 Azure support if it does.",
                                other
                            ),
                        ));
                        return d;
                    }
                };
                let res: BackupInstanceResource = match serde_json::from_str(entry.get()) {
                    Ok(r) => r,
                    Err(e) => {
                        d.push(list_error(
                            "Unreadable List Entry",
                            format!("The list entry for {id} could not be read: {e}."),
                        ));
                        return d;
                    }
                };
                if is_soft_deleted(&res) {
                    continue;
                }
                // As an import would have it: a held instance keeps its data on destroy, and
                // the generated configuration says so.
                let (blank, _) = adopted_blank(&res);
                let state = state_of(&res, &id, &blank);
                if !filters.pass(&state) {
                    continue;
                }
                let result = ListResult {
                    identity: identity::of_id(&id),
                    display_name: display_name(&state, &id.name),
                    resource: req.include_resource.then_some(state),
                    diagnostics: Diagnostics::new(),
                };
                if !sink.send(result).await {
                    return d;
                }
                sent += 1;
                if sent >= req.limit {
                    return d;
                }
            }
            match page.next_link.filter(|l| !l.trim().is_empty()) {
                None => return d,
                Some(link) => {
                    if !seen.insert(link.clone()) {
                        d.push(list_error(
                            "Backup Instance List Repeats Itself",
                            format!(
                                "The list of {vault} sent the same next page link twice, so it \
                                 would never end. The results so far were kept; try again later."
                            ),
                        ));
                        return d;
                    }
                    next = Some(link);
                }
            }
        }
        d.push(list_error(
            "Backup Instance List Too Long",
            format!("The list of {vault} did not end after {MAX_PAGES} pages."),
        ));
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Value {
        let mut v = Value::object([
            (attr::VAULT_ID, Value::Null),
            (attr::DATASOURCE_TYPE, Value::Null),
            (attr::PROTECTION_STATE, Value::Null),
            (DATASOURCE_RESOURCE_GROUP, Value::Null),
        ]);
        for (k, val) in pairs {
            v.set(*k, Value::string(*val));
        }
        v
    }

    #[test]
    fn only_entries_of_the_listed_vault_are_taken() {
        let vault: BackupVaultId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo".parse().unwrap();
        let entry =
            |id: &str| RawValue::from_string(serde_json::json!({ "id": id }).to_string()).unwrap();
        let ours = format!("{}/backupInstances/bi-1", vault.to_string().to_uppercase());
        assert_eq!(entry_of_vault(&entry(&ours), &vault).unwrap().name, "bi-1");
        let theirs = format!(
            "{}/backupInstances/bi-1",
            vault.to_string().replace("vault-demo", "vault-other")
        );
        assert_eq!(entry_of_vault(&entry(&theirs), &vault).unwrap_err(), theirs);
        assert!(entry_of_vault(&entry("/subscriptions/x"), &vault).is_err());
    }

    #[test]
    fn filter_values_that_match_nothing_are_refused_on_their_attribute() {
        let d = check(&config(&[
            (attr::VAULT_ID, "/subscriptions/x"),
            (attr::DATASOURCE_TYPE, "Microsoft.Compute/virtualMachines"),
            (attr::PROTECTION_STATE, "Happy"),
            (DATASOURCE_RESOURCE_GROUP, " "),
        ]));
        let got: Vec<_> = d
            .iter()
            .map(|d| (d.summary.clone(), d.attribute.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "Invalid Backup Vault ID".into(),
                    Some(AttributePath::root(attr::VAULT_ID))
                ),
                (
                    "Unknown Filter Value".into(),
                    Some(AttributePath::root(attr::DATASOURCE_TYPE))
                ),
                (
                    "Unknown Filter Value".into(),
                    Some(AttributePath::root(attr::PROTECTION_STATE))
                ),
                (
                    "Empty Filter".into(),
                    Some(AttributePath::root(DATASOURCE_RESOURCE_GROUP))
                ),
            ]
        );
        assert!(
            check(&config(&[
                (attr::DATASOURCE_TYPE, "microsoft.compute/DISKS"),
                (attr::PROTECTION_STATE, "protectionconfigured"),
            ]))
            .is_empty()
        );
    }
}
