//! `azurebackup_role_assignments` (data source): the role assignments that protecting one
//! datasource needs — which role, on which scope, for whose identity — derived from the
//! catalogue's roles of its kind, with the principals read from the vault (and an AKS cluster).

use std::sync::Arc;

use super::not_configured;
use crate::azure::arm_id::ManagedClusterId;
use crate::azure::catalogue::{self, CATALOGUE, Need, Principal, Scope};
use crate::azure::client::identity::ResourceIdentity;
use crate::provider::Shared;
use crate::provider::errors::azure_error;
use crate::provider::instance::schema::{self as attr, DEFAULT_READ};
use crate::tfplugin::{
    Attribute, AttributePath, Block, Context, DataReadResponse, DataSource, Diagnostics, Schema,
    Type, Value,
};

mod args;

use args::{Resolved, check, need, same_shape, scope_attribute};

pub const ROLE_ASSIGNMENTS_TYPE_NAME: &str = "azurebackup_role_assignments";

pub const KEY_VAULT_ID: &str = "key_vault_id";
pub const PRINCIPAL_ID: &str = "principal_id";
pub const KIND: &str = "kind";
pub const ASSIGNMENTS: &str = "assignments";

/// The attributes of each element of `assignments`.
pub const KEY: &str = "key";
pub const ROLE_DEFINITION_NAME: &str = "role_definition_name";
pub const SCOPE: &str = "scope";
pub const PRINCIPAL: &str = "principal";

/// `principal` values.
pub const VAULT: &str = "vault";
pub const CLUSTER: &str = "cluster";

pub struct RoleAssignmentsData {
    shared: Arc<Shared>,
}

impl RoleAssignmentsData {
    pub fn new(shared: Arc<Shared>) -> Self {
        RoleAssignmentsData { shared }
    }
}

fn element_type() -> Type {
    Type::object(
        [KEY, ROLE_DEFINITION_NAME, SCOPE, PRINCIPAL_ID, PRINCIPAL]
            .iter()
            .map(|n| (*n, Type::String)),
    )
}

/// `kind` of the principal in `assignments`.
fn principal_word(p: Principal) -> &'static str {
    match p {
        Principal::Vault => VAULT,
        Principal::Cluster => CLUSTER,
    }
}

/// What the kinds sharing an ID shape are, in words, for `datasource_type`'s description.
fn shared_shapes_text() -> String {
    let mut groups: Vec<String> = Vec::new();
    for e in CATALOGUE {
        let same = same_shape(e);
        if same.len() > 1 && same[0].kind == e.kind {
            let rest: Vec<String> = same[1..]
                .iter()
                .map(|o| format!("`{}`", o.datasource_type))
                .collect();
            groups.push(format!(
                "a {} is `{}` unless this says {}",
                e.noun,
                e.datasource_type,
                rest.join(" or ")
            ));
        }
    }
    if groups.is_empty() {
        "Every datasource ID names one kind today, so this only confirms it.".into()
    } else {
        format!(
            "Picks the kind where one ARM ID can mean two: {}.",
            groups.join("; ")
        )
    }
}

/// The roles of each kind, as a Markdown table for the documentation.
fn roles_table() -> String {
    let mut t = String::from(
        "| kind | `datasource_id` | roles (for the vault's identity unless noted) | inputs |\n|---|---|---|---|\n",
    );
    for e in CATALOGUE {
        let roles: Vec<String> = e
            .roles
            .iter()
            .map(|r| {
                let whom = match r.principal {
                    Principal::Vault => String::new(),
                    Principal::Cluster => " (the cluster's own identity)".into(),
                };
                format!("{} on {}{whom}", r.name, e.scope_text(r.scope))
            })
            .collect();
        let mut inputs: Vec<String> = Vec::new();
        for scope in [Scope::SnapshotResourceGroup, Scope::KeyVault] {
            if let (Some(n), Some(a)) = (need(e, scope), scope_attribute(scope)) {
                let word = if n == Need::Required {
                    "required"
                } else {
                    "when a secret is used"
                };
                inputs.push(format!("`{a}` ({word})"));
            }
        }
        if e.by_type_only {
            inputs.push(format!(
                "`{} = \"{}\"`",
                attr::DATASOURCE_TYPE,
                e.datasource_type
            ));
        }
        t.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            e.datasource_type,
            e.shape(),
            roles.join("; "),
            if inputs.is_empty() {
                "—".into()
            } else {
                inputs.join(", ")
            }
        ));
    }
    t
}

pub fn schema() -> Schema {
    let s = Type::String;
    let attributes = vec![
        Attribute::required(attr::VAULT_ID, s.clone()).description("The ARM ID of the Backup vault that will protect the datasource. Its managed identity is the principal of the vault's roles (read from the vault)."),
        Attribute::required(attr::DATASOURCE_ID, s.clone()).description("The ARM ID of the resource to protect; its kind decides the roles (see the table above)."),
        Attribute::optional(attr::DATASOURCE_TYPE, s.clone()).description(format!("The datasource type, as the `azurebackup_instance` resource takes it. {}", shared_shapes_text())),
        Attribute::optional(attr::SNAPSHOT_RESOURCE_GROUP_ID, s.clone()).description("The ARM ID of the resource group that holds operational-tier snapshots. Required for the kinds whose roles are on it (see the table above); an error for the others."),
        Attribute::optional(KEY_VAULT_ID, s.clone()).description("The ARM ID of the Key Vault holding the datasource's connection-string secret, for the kinds that read one (see the table above); an error for the others. A role scope must be an ARM ID, and a secret URI does not say the vault's resource group, so this is needed even when `key_vault_secret_uri` is set."),
        Attribute::optional(attr::KEY_VAULT_SECRET_URI, s.clone()).description("The secret's URI, as the `azurebackup_instance` resource takes it. Optional: when set, its vault name must be that of `key_vault_id`."),
        Attribute::optional(attr::USER_ASSIGNED_IDENTITY_ID, s.clone()).description("The ARM ID of a user-assigned identity attached to the vault that the backup instance will use (the resource's `user_assigned_identity_id`). The vault's roles are then for that identity; its principal ID is read from the vault. Unset: the vault's system-assigned identity."),
        Attribute::computed(PRINCIPAL_ID, s.clone()).description("The object (principal) ID of the vault's identity that the vault's roles are for: the system-assigned identity's, or that of `user_assigned_identity_id`."),
        Attribute::computed(KIND, s.clone()).description("The datasource type the roles are for, e.g. `Microsoft.Compute/disks`."),
        Attribute::computed(ASSIGNMENTS, Type::list(element_type())).description(format!(
            "The role assignments protection needs, in the table's order. Each has `{KEY}` (`<principal>:<role>:<scope>`, stable, for `for_each`), `{ROLE_DEFINITION_NAME}`, `{SCOPE}` (an ARM ID), `{PRINCIPAL_ID}` (the object ID to assign the role to) and `{PRINCIPAL}` (`{VAULT}` for the vault's identity, `{CLUSTER}` for an AKS cluster's own identity, read from the cluster)."
        )),
    ];
    let description = format!(
        "Tells which roles to grant so that a Backup vault can protect a datasource: each role, on which scope, for which principal. Feed `assignments` to `azurerm_role_assignment` with `for_each = {{ for a in data.azurebackup_role_assignments.NAME.assignments : a.key => a }}` and never look a role up by hand. The roles come from the provider's catalogue of kinds; the principals are read from Azure (the vault, and for AKS the cluster). Grant the roles before creating the backup instance: role assignments take a few minutes to propagate, and the service checks them when the instance is created.\n\n## Roles per kind\n\n{}",
        roles_table().trim_end()
    );
    Schema::new(
        0,
        Block {
            description,
            attributes,
            ..Default::default()
        },
    )
}

/// The ARM ID a role's scope names, for a resolved configuration.
fn scope_id(r: &Resolved, scope: Scope) -> Option<String> {
    let ds = &r.datasource;
    match scope {
        Scope::Datasource => Some(ds.to_string()),
        Scope::Parent => catalogue::parent_of(ds).map(|(id, _)| id),
        Scope::ResourceGroup => Some(format!(
            "/subscriptions/{}/resourceGroups/{}",
            ds.subscription(),
            ds.resource_group()
        )),
        Scope::SnapshotResourceGroup => r.snapshot_rg.as_ref().map(ToString::to_string),
        Scope::KeyVault => r.key_vault.as_ref().map(ToString::to_string),
    }
}

/// The assignments: the kind's roles whose scope is known (an optional input left out drops its
/// role), each once.
fn assignments(r: &Resolved, vault_principal: &str, cluster_principal: Option<&str>) -> Vec<Value> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for role in r.entry.roles {
        let Some(scope) = scope_id(r, role.scope) else {
            continue;
        };
        let principal_id = match role.principal {
            Principal::Vault => vault_principal,
            Principal::Cluster => match cluster_principal {
                Some(p) => p,
                None => continue,
            },
        };
        let who = principal_word(role.principal);
        let key = format!("{who}:{}:{scope}", role.name);
        if !seen.insert(key.to_ascii_lowercase()) {
            continue;
        }
        out.push(Value::object([
            (KEY, Value::string(key)),
            (ROLE_DEFINITION_NAME, Value::string(role.name)),
            (SCOPE, Value::string(scope)),
            (PRINCIPAL_ID, Value::string(principal_id)),
            (PRINCIPAL, Value::string(who)),
        ]))
    }
    out
}

/// The vault's principal for its roles: the user-assigned identity asked for, else the
/// system-assigned one; a missing one is an error that says what to do.
fn vault_principal(
    r: &Resolved,
    identity: &ResourceIdentity,
    d: &mut Diagnostics,
) -> Option<String> {
    if let Some(uami) = &r.user_assigned {
        let text = uami.to_string();
        match identity.user_assigned(&text) {
            Some(u) if u.principal_id.is_some() => u.principal_id.clone(),
            Some(_) => {
                d.error_at(AttributePath::root(attr::USER_ASSIGNED_IDENTITY_ID), "Identity Principal Unknown", format!("The vault reports the user-assigned identity {text} as attached but gives no principal ID for it. Check the identity in the portal, or detach and attach it again."));
                None
            }
            None => {
                d.error_at(AttributePath::root(attr::USER_ASSIGNED_IDENTITY_ID), "Identity Not Attached to the Vault", format!("The user-assigned identity {text} is not attached to the vault {}. Attach it to the vault (its `identity` block), or remove `{}` to use the vault's system-assigned identity.", r.vault, attr::USER_ASSIGNED_IDENTITY_ID));
                None
            }
        }
    } else if let Some(p) = &identity.system_assigned {
        Some(p.clone())
    } else {
        d.error_at(AttributePath::root(attr::VAULT_ID), "Vault Has No System-Assigned Identity", format!("The vault {} has no system-assigned managed identity, so there is no principal to grant the roles to. Enable it on the vault (azurerm: `identity {{ type = \"SystemAssigned\" }}`), or set `{}` to a user-assigned identity attached to the vault.", r.vault, attr::USER_ASSIGNED_IDENTITY_ID));
        None
    }
}

/// The cluster's own principal: its system-assigned identity, else its only user-assigned one.
fn cluster_principal(identity: &ResourceIdentity) -> Option<String> {
    if let Some(p) = &identity.system_assigned {
        return Some(p.clone());
    }
    match identity.user_assigned.as_slice() {
        [one] => one.principal_id.clone(),
        _ => None,
    }
}

fn failed(diagnostics: Diagnostics) -> DataReadResponse {
    DataReadResponse {
        state: Value::Null,
        diagnostics,
    }
}

#[async_trait::async_trait]
impl DataSource for RoleAssignmentsData {
    fn type_name(&self) -> &'static str {
        ROLE_ASSIGNMENTS_TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        check(config).0
    }

    async fn read(&self, config: &Value, ctx: &Context) -> DataReadResponse {
        let (mut d, resolved) = check(config);
        let Some(r) = resolved else {
            return failed(d);
        };
        let Some(c) = self.shared.get() else {
            return failed(not_configured());
        };
        let op = c.client.op_options(DEFAULT_READ, &ctx.cancel);
        let identity = match c.client.get_vault_identity(&r.vault, &op).await {
            Ok(Some(i)) => i,
            Ok(None) => {
                d.error_at(
                    AttributePath::root(attr::VAULT_ID),
                    "Backup Vault Not Found",
                    format!(
                        "No Backup vault exists at {}. Check `{}`.",
                        r.vault,
                        attr::VAULT_ID
                    ),
                );
                return failed(d);
            }
            Err(e) => {
                d.push(
                    azure_error(
                        "Unable to Read Backup Vault",
                        "reading of the Backup vault's identity",
                        None,
                        &e,
                    )
                    .at(AttributePath::root(attr::VAULT_ID)),
                );
                return failed(d);
            }
        };
        let Some(principal) = vault_principal(&r, &identity, &mut d) else {
            return failed(d);
        };
        let mut cluster = None;
        if r.entry
            .roles
            .iter()
            .any(|x| x.principal == Principal::Cluster)
        {
            let at = AttributePath::root(attr::DATASOURCE_ID);
            let id = match r.datasource.to_string().parse::<ManagedClusterId>() {
                Ok(id) => id,
                Err(e) => {
                    d.error_at(
                        at,
                        "Invalid Datasource ID",
                        format!(
                            "Roles for the cluster's own identity need a managed cluster ID: {e}"
                        ),
                    );
                    return failed(d);
                }
            };
            match c.client.get_cluster_identity(&id, &op).await {
                Ok(Some(i)) => match cluster_principal(&i) {
                    Some(p) => cluster = Some(p),
                    None => {
                        d.error_at(at, "Cluster Has No Managed Identity", format!("The cluster {id} reports no managed identity principal, and {} need one. Enable a system-assigned (or a single user-assigned) identity on the cluster.", r.entry.roles_text()));
                        return failed(d);
                    }
                },
                Ok(None) => {
                    d.error_at(
                        at,
                        "Cluster Not Found",
                        format!(
                            "No AKS cluster exists at {id}. Check `{}`.",
                            attr::DATASOURCE_ID
                        ),
                    );
                    return failed(d);
                }
                Err(e) => {
                    d.push(
                        azure_error(
                            "Unable to Read Cluster",
                            "reading of the AKS cluster's identity",
                            None,
                            &e,
                        )
                        .at(at),
                    );
                    return failed(d);
                }
            }
        }
        let mut state = config.clone();
        state.set(PRINCIPAL_ID, Value::string(&principal));
        state.set(KIND, Value::string(r.entry.datasource_type));
        state.set(
            ASSIGNMENTS,
            Value::List(assignments(&r, &principal, cluster.as_deref())),
        );
        DataReadResponse {
            state,
            diagnostics: d,
        }
    }
}

#[cfg(test)]
mod tests;
