//! The arguments of `azurebackup_role_assignments`: each checked on its attribute (all problems
//! at once), the datasource's kind resolved (Data Lake over blob where `datasource_type` says so),
//! and the inputs the kind's roles need or do not use.

use super::KEY_VAULT_ID;
use crate::azure::arm_id::{BackupVaultId, DatasourceId, KeyVaultSecretUri, ResourceGroupId};
use crate::azure::catalogue::{self, CATALOGUE, Entry, Input, Need, Scope};
use crate::azure::client::identity::{KeyVaultId, UserAssignedIdentityId};
use crate::provider::instance::schema as attr;
use crate::tfplugin::{AttributePath, Diagnostics, Value};

/// The attribute that fills a role scope, if the scope is an input.
pub(super) fn scope_attribute(scope: Scope) -> Option<&'static str> {
    match scope {
        Scope::SnapshotResourceGroup => Some(attr::SNAPSHOT_RESOURCE_GROUP_ID),
        Scope::KeyVault => Some(KEY_VAULT_ID),
        Scope::Datasource | Scope::Parent | Scope::ResourceGroup => None,
    }
}

/// Whether the kind's roles need the input scope `scope`, and how much: `None` when no role
/// is on it; else the catalogue's rule for the input (required unless it says optional).
pub(super) fn need(entry: &Entry, scope: Scope) -> Option<Need> {
    if !entry.roles.iter().any(|r| r.scope == scope) {
        return None;
    }
    let input = match scope {
        Scope::SnapshotResourceGroup => Input::SnapshotResourceGroup,
        Scope::KeyVault => Input::KeyVaultSecret,
        _ => return Some(Need::Required),
    };
    Some(entry.rule(input).map_or(Need::Required, |r| r.need))
}

/// The entries that share `entry`'s ARM ID shape (a storage account: blob and Data Lake).
pub(super) fn same_shape(entry: &Entry) -> Vec<&'static Entry> {
    CATALOGUE
        .iter()
        .filter(|e| e.shape() == entry.shape())
        .collect()
}

/// The kind of `ds`, by the catalogue's rule: the one its ID names, or, where kinds share an ID
/// shape (a storage account), the one whose datasource type is `datasource_type`.
pub(super) fn resolve_kind(
    ds: &DatasourceId,
    datasource_type: Option<&str>,
) -> Result<&'static Entry, String> {
    match catalogue::resolve_kind(&ds.to_string(), datasource_type.map(str::trim)) {
        Ok(Some(kind)) => Ok(kind.entry()),
        // The ID parsed as a datasource, so the catalogue knows its kind.
        Ok(None) => Ok(ds.kind().entry()),
        Err(e) => Err(format!(
            "{e}. Correct `{}`, or remove it to use `{}`.",
            attr::DATASOURCE_TYPE,
            ds.kind().datasource_type()
        )),
    }
}

/// A configuration value as far as checks can tell: absent, not known yet, or a string.
pub(super) enum Arg<'a> {
    Absent,
    Unknown,
    Text(&'a str),
}

pub(super) fn arg<'a>(config: &'a Value, name: &str) -> Arg<'a> {
    let v = config.get(name);
    if v.is_unknown() {
        Arg::Unknown
    } else {
        v.as_str().map_or(Arg::Absent, Arg::Text)
    }
}

/// What a valid configuration resolves to.
#[derive(Debug)]
pub(super) struct Resolved {
    pub(super) vault: BackupVaultId,
    pub(super) datasource: DatasourceId,
    pub(super) entry: &'static Entry,
    pub(super) snapshot_rg: Option<ResourceGroupId>,
    pub(super) key_vault: Option<KeyVaultId>,
    pub(super) user_assigned: Option<UserAssignedIdentityId>,
}

/// Checks every argument (all problems at once, each on its attribute) and, when all are
/// known and valid, resolves them. Unknown values pass; they are checked at read time.
pub(super) fn check(config: &Value) -> (Diagnostics, Option<Resolved>) {
    let mut d = Diagnostics::new();
    let mut complete = true;
    let at = AttributePath::root;
    // Parses an optional argument; `Some(None)` when absent, `None` when unknown or invalid.
    macro_rules! parse {
        ($name:expr, $ty:ty, $what:literal) => {
            match arg(config, $name) {
                Arg::Absent => Some(None),
                Arg::Unknown => {
                    complete = false;
                    None
                }
                Arg::Text(t) => match t.parse::<$ty>() {
                    Ok(v) => Some(Some(v)),
                    Err(e) => {
                        d.error_at(
                            at($name),
                            concat!("Invalid ", $what),
                            format!("`{}` is not a valid {}: {e}", $name, $what),
                        );
                        None
                    }
                },
            }
        };
    }
    let vault = parse!(attr::VAULT_ID, BackupVaultId, "Backup Vault ID");
    let datasource = parse!(attr::DATASOURCE_ID, DatasourceId, "Datasource ID");
    let snapshot_rg = parse!(
        attr::SNAPSHOT_RESOURCE_GROUP_ID,
        ResourceGroupId,
        "Resource Group ID"
    );
    let key_vault = parse!(KEY_VAULT_ID, KeyVaultId, "Key Vault ID");
    let secret = parse!(
        attr::KEY_VAULT_SECRET_URI,
        KeyVaultSecretUri,
        "Key Vault Secret URI"
    );
    let user_assigned = parse!(
        attr::USER_ASSIGNED_IDENTITY_ID,
        UserAssignedIdentityId,
        "User-Assigned Identity ID"
    );
    if let (Some(Some(kv)), Some(Some(uri))) = (&key_vault, &secret)
        && !kv.name.eq_ignore_ascii_case(&uri.vault_name)
    {
        d.error_at(
            at(attr::KEY_VAULT_SECRET_URI),
            "Key Vault Mismatch",
            format!(
                "The secret URI is in the Key Vault `{}` but `{KEY_VAULT_ID}` names `{}`. Set `{KEY_VAULT_ID}` to the ARM ID of the vault that holds the secret.",
                uri.vault_name, kv.name
            ),
        );
    }
    let datasource_type = match arg(config, attr::DATASOURCE_TYPE) {
        Arg::Unknown => {
            complete = false;
            None
        }
        Arg::Absent => Some(None),
        Arg::Text(t) => Some(Some(t)),
    };
    // The kind, once the datasource and its type are known.
    let entry = match (&datasource, datasource_type) {
        (Some(Some(ds)), Some(t)) => match resolve_kind(ds, t) {
            Ok(e) => Some(e),
            Err(e) => {
                d.error_at(at(attr::DATASOURCE_TYPE), "Wrong Datasource Type", e);
                None
            }
        },
        _ => None,
    };
    if let Some(e) = entry {
        check_inputs(config, e, secret.is_some_and(|s| s.is_some()), &mut d);
    }
    if d.has_errors() || !complete {
        return (d, None);
    }
    match (
        vault,
        datasource,
        entry,
        snapshot_rg,
        key_vault,
        user_assigned,
    ) {
        (
            Some(Some(vault)),
            Some(Some(datasource)),
            Some(entry),
            Some(snapshot_rg),
            Some(key_vault),
            Some(user_assigned),
        ) => (
            d,
            Some(Resolved {
                vault,
                datasource,
                entry,
                snapshot_rg,
                key_vault,
                user_assigned,
            }),
        ),
        _ => (d, None),
    }
}

/// The kind's inputs: one its roles need is required (on its attribute), one they do not use is
/// an error (on its attribute), so a wrong combination is caught at plan time.
pub(super) fn check_inputs(config: &Value, e: &Entry, has_secret: bool, d: &mut Diagnostics) {
    let set = |n: &str| !matches!(arg(config, n), Arg::Absent);
    let roles = e.roles_text();
    for scope in [Scope::SnapshotResourceGroup, Scope::KeyVault] {
        let Some(name) = scope_attribute(scope) else {
            continue;
        };
        let also: &[&str] = if scope == Scope::KeyVault {
            &[attr::KEY_VAULT_SECRET_URI]
        } else {
            &[]
        };
        match need(e, scope) {
            None => {
                for n in std::iter::once(name).chain(also.iter().copied()) {
                    if set(n) {
                        d.error_at(
                            AttributePath::root(n),
                            "Argument Not Used by This Kind",
                            format!(
                                "A {} needs no role on what `{n}` names (its roles: {roles}). Remove `{n}`.",
                                e.noun
                            ),
                        );
                    }
                }
            }
            Some(need) if !set(name) && (need == Need::Required || has_secret) => {
                d.error_at(
                    AttributePath::root(name),
                    "Missing Argument for This Kind",
                    format!(
                        "A {} needs {roles}: set `{name}` to the ARM ID of {}.",
                        e.noun,
                        e.scope_text(scope)
                    ),
                );
            }
            Some(_) => {}
        }
    }
}
