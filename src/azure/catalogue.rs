//! The datasource catalogue: one entry per kind of datasource this provider can protect, with
//! everything the client and the resource need to know about it.
//!
//! Adding a kind:
//! 1. add a [`DatasourceKind`] variant and its [`Entry`] to [`CATALOGUE`] (datasource type, ARM
//!    ID shape, set info, parameters, roles, minimum API version, inputs);
//! 2. add its typed ID and a `DatasourceId` variant in `arm_id.rs` (the parser picks the kind
//!    from this catalogue);
//! 3. teach the emulator the kind, independently of this table (it must not read it, so that
//!    a misunderstanding is not mirrored on both sides).
//!
//! The unit tests below walk the table and check every entry for consistency.

use crate::azure::arm_id::DatasourceId;

/// The kinds of datasource this provider can protect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasourceKind {
    Disk,
    PostgresDatabase,
    PostgresFlexibleServer,
}

/// How `dataSourceSetInfo` is derived from the datasource ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetInfo {
    /// Not sent.
    None,
    /// The datasource itself.
    Itself,
    /// The resource one level up (a database's server).
    Parent,
}

/// Parameters a backup instance of this kind carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameter {
    /// `policyParameters.dataStoreParametersList`: `AzureOperationalStoreParameters` naming the
    /// snapshot resource group.
    OperationalStore,
    /// `datasourceAuthCredentials`: `SecretStoreBasedAuthCredentials` (a Key Vault secret).
    SecretStoreCredentials,
}

/// A user input that only some kinds take. The provider maps each to an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The resource group for operational-tier snapshots.
    SnapshotResourceGroup,
    /// The Key Vault secret holding the connection string.
    KeyVaultSecret,
}

impl Input {
    pub const ALL: &[Input] = &[Input::SnapshotResourceGroup, Input::KeyVaultSecret];

    /// The parameter this input fills.
    pub fn parameter(self) -> Parameter {
        match self {
            Input::SnapshotResourceGroup => Parameter::OperationalStore,
            Input::KeyVaultSecret => Parameter::SecretStoreCredentials,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputRule {
    pub input: Input,
    pub need: Need,
}

/// Where the vault's identity needs a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Datasource,
    /// The resource one level up (a database's server).
    Parent,
    /// The datasource's resource group.
    ResourceGroup,
    /// The snapshot resource group ([`Input::SnapshotResourceGroup`]).
    SnapshotResourceGroup,
    /// The Key Vault of [`Input::KeyVaultSecret`].
    KeyVault,
}

/// Whose identity needs a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// The backup vault's managed identity (system-assigned, or the instance's user-assigned one).
    Vault,
    /// The AKS cluster's own managed identity (it writes the volume snapshots itself).
    Cluster,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    pub name: &'static str,
    pub scope: Scope,
    pub principal: Principal,
}

/// One kind of datasource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub kind: DatasourceKind,
    /// The `datasourceType` the service expects.
    pub datasource_type: &'static str,
    /// ARM resource provider namespace, e.g. `Microsoft.Compute`.
    pub namespace: &'static str,
    /// The resource type path as (segment, name placeholder) pairs, outermost first.
    pub type_path: &'static [(&'static str, &'static str)],
    /// For messages, singular and plural: "managed disk", "managed disks".
    pub noun: &'static str,
    pub plural: &'static str,
    pub set_info: SetInfo,
    pub parameters: &'static [Parameter],
    /// Roles the vault's identity needs for backup.
    pub roles: &'static [Role],
    /// The first API version (`YYYY-MM-DD`) that knows this kind.
    pub min_api_version: &'static str,
    pub inputs: &'static [InputRule],
}

/// A role the vault's identity needs.
const fn role(name: &'static str, scope: Scope) -> Role {
    Role {
        name,
        scope,
        principal: Principal::Vault,
    }
}

/// A role the AKS cluster's own identity needs.
#[allow(dead_code)] // the Kubernetes entry uses it
const fn cluster_role(name: &'static str, scope: Scope) -> Role {
    Role {
        name,
        scope,
        principal: Principal::Cluster,
    }
}

pub const CATALOGUE: &[Entry] = &[
    Entry {
        kind: DatasourceKind::Disk,
        datasource_type: "Microsoft.Compute/disks",
        namespace: "Microsoft.Compute",
        type_path: &[("disks", "diskName")],
        noun: "managed disk",
        plural: "managed disks",
        set_info: SetInfo::None,
        parameters: &[Parameter::OperationalStore],
        roles: &[
            role("Disk Backup Reader", Scope::Datasource),
            role("Disk Snapshot Contributor", Scope::SnapshotResourceGroup),
        ],
        min_api_version: "2021-01-01",
        inputs: &[InputRule {
            input: Input::SnapshotResourceGroup,
            need: Need::Required,
        }],
    },
    Entry {
        kind: DatasourceKind::PostgresDatabase,
        datasource_type: "Microsoft.DBforPostgreSQL/servers/databases",
        namespace: "Microsoft.DBforPostgreSQL",
        type_path: &[("servers", "serverName"), ("databases", "databaseName")],
        noun: "PostgreSQL database",
        plural: "PostgreSQL single-server databases",
        set_info: SetInfo::Parent,
        parameters: &[Parameter::SecretStoreCredentials],
        roles: &[
            role("Reader", Scope::Parent),
            role("Key Vault Secrets User", Scope::KeyVault),
        ],
        min_api_version: "2021-01-01",
        inputs: &[InputRule {
            input: Input::KeyVaultSecret,
            need: Need::Optional,
        }],
    },
    Entry {
        kind: DatasourceKind::PostgresFlexibleServer,
        datasource_type: "Microsoft.DBforPostgreSQL/flexibleServers",
        namespace: "Microsoft.DBforPostgreSQL",
        type_path: &[("flexibleServers", "serverName")],
        noun: "PostgreSQL flexible server",
        plural: "PostgreSQL flexible servers",
        set_info: SetInfo::Itself,
        parameters: &[],
        roles: &[
            role("Reader", Scope::ResourceGroup),
            role(
                "PostgreSQL Flexible Server Long Term Retention Backup Role",
                Scope::Datasource,
            ),
        ],
        min_api_version: "2021-01-01",
        inputs: &[],
    },
];

impl DatasourceKind {
    /// This kind's catalogue entry.
    pub fn entry(self) -> &'static Entry {
        CATALOGUE
            .iter()
            .find(|e| e.kind == self)
            .expect("every datasource kind has a catalogue entry")
    }

    /// The `datasourceType` the service expects for this kind.
    pub fn datasource_type(self) -> &'static str {
        self.entry().datasource_type
    }
}

impl Entry {
    /// The ARM resource type, e.g. `Microsoft.DBforPostgreSQL/servers/databases`.
    pub fn resource_type(&self) -> String {
        let path: Vec<&str> = self.type_path.iter().map(|(seg, _)| *seg).collect();
        format!("{}/{}", self.namespace, path.join("/"))
    }

    /// The ARM resource type one level up, for kinds nested in another resource.
    pub fn parent_resource_type(&self) -> Option<String> {
        let n = self.type_path.len();
        (n > 1).then(|| {
            let path: Vec<&str> = self.type_path[..n - 1].iter().map(|(s, _)| *s).collect();
            format!("{}/{}", self.namespace, path.join("/"))
        })
    }

    /// The expected ID shape, as `arm_id` prints shapes.
    pub fn shape(&self) -> String {
        let mut s = format!(
            "/subscriptions/{{subscriptionId}}/resourceGroups/{{resourceGroupName}}/providers/{}",
            self.namespace
        );
        for (seg, name) in self.type_path {
            s.push_str(&format!("/{seg}/{{{name}}}"));
        }
        s
    }

    /// Whether an ID names this kind, judged by its provider and first type segment, so that
    /// a malformed ID is still reported against the kind the user most likely meant.
    pub fn claims(&self, id: &str) -> bool {
        let marker = format!("/providers/{}/{}/", self.namespace, self.type_path[0].0);
        let lower = id.to_ascii_lowercase();
        lower.contains(&marker.to_ascii_lowercase())
    }

    /// Whether API version `api_version` (`YYYY-MM-DD[-preview]`) knows this kind.
    pub fn available_in(&self, api_version: &str) -> bool {
        api_version.get(..10).unwrap_or(api_version) >= self.min_api_version
    }

    pub fn rule(&self, input: Input) -> Option<InputRule> {
        self.inputs.iter().copied().find(|r| r.input == input)
    }

    /// What the datasource is called in a role's scope: "disk", "server".
    fn name_of(&self, level: usize) -> String {
        let (_, placeholder) = self.type_path[level];
        placeholder.trim_end_matches("Name").to_ascii_lowercase()
    }

    /// Where a role applies, in words: "the disk", "the snapshot resource group".
    pub fn scope_text(&self, scope: Scope) -> String {
        let n = self.type_path.len();
        match scope {
            Scope::Datasource => format!("the {}", self.name_of(n - 1)),
            Scope::Parent if n > 1 => format!("the {}", self.name_of(n - 2)),
            Scope::Parent => format!("the {}'s parent", self.name_of(n - 1)),
            Scope::ResourceGroup => format!("the {}'s resource group", self.name_of(n - 1)),
            Scope::SnapshotResourceGroup => "the snapshot resource group".into(),
            Scope::KeyVault => "the key vault".into(),
        }
    }

    /// The roles in words: "`Disk Backup Reader` on the disk and `...` on ...".
    pub fn roles_text(&self) -> String {
        let parts: Vec<String> = self
            .roles
            .iter()
            .map(|r| match r.principal {
                Principal::Vault => format!("`{}` on {}", r.name, self.scope_text(r.scope)),
                Principal::Cluster => format!(
                    "`{}` on {} for the cluster's own identity",
                    r.name,
                    self.scope_text(r.scope)
                ),
            })
            .collect();
        parts.join(" and ")
    }
}

/// The entry whose ID shape `id` has, if any.
pub fn entry_for_id(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.claims(id))
}

/// Every kind's roles in words, for the permission advice.
pub fn all_roles_text() -> String {
    let parts: Vec<String> = CATALOGUE
        .iter()
        .map(|e| format!("{}: {}", e.noun, e.roles_text()))
        .collect();
    parts.join("; ")
}

/// `a`, `a or b`, `a, b or c`.
pub fn either(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The parent's ID and name of a nested datasource (a database's server).
pub fn parent_of(ds: &DatasourceId) -> Option<(String, String)> {
    if ds.kind().entry().type_path.len() < 2 {
        return None;
    }
    let id = ds.to_string();
    let mut it = id.rsplitn(3, '/');
    let (_name, _seg, parent) = (it.next()?, it.next()?, it.next()?);
    let parent_name = parent.rsplit('/').next()?.to_string();
    Some((parent.to_string(), parent_name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::arm_id::BackupPolicyId;
    use crate::azure::models::BackupInstance;

    /// An ID of the entry's shape with made-up names.
    fn sample_id(e: &Entry) -> String {
        let mut id = format!(
            "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/{}",
            e.namespace
        );
        for (i, (seg, _)) in e.type_path.iter().enumerate() {
            id.push_str(&format!("/{seg}/n{i}"));
        }
        id
    }

    /// Every entry: its ID shape parses to its kind and prints back the same; its body has the
    /// set info, parameters and types the entry promises; its inputs fill its parameters; its
    /// roles' scopes exist for it.
    #[test]
    fn every_entry_is_consistent() {
        let policy: BackupPolicyId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-a/backupPolicies/p".parse().unwrap();
        let mut kinds = Vec::new();
        for e in CATALOGUE {
            assert!(!kinds.contains(&e.kind), "{:?} listed twice", e.kind);
            kinds.push(e.kind);
            assert_eq!(e.kind.entry(), e);
            let text = sample_id(e);
            let ds: DatasourceId = text.parse().unwrap_or_else(|err| panic!("{text}: {err}"));
            assert_eq!(ds.kind(), e.kind, "{text}");
            assert_eq!(ds.to_string(), text);
            assert_eq!(ds.datasource_type(), e.datasource_type);
            assert_eq!(
                entry_for_id(&text.to_ascii_uppercase()).map(|x| x.kind),
                Some(e.kind)
            );
            assert!(e.available_in(e.min_api_version) && e.available_in("2099-01-01"));
            assert!(!e.available_in("2020-12-31"));

            let bi = BackupInstance::new_for(&ds, "westeurope", &policy);
            assert_eq!(bi.data_source_info.resource_id, text);
            assert_eq!(
                bi.data_source_info.datasource_type.as_deref(),
                Some(e.datasource_type)
            );
            assert_eq!(
                bi.data_source_info.resource_type.as_deref(),
                Some(e.resource_type().as_str())
            );
            let set = bi.data_source_set_info.as_ref();
            match e.set_info {
                SetInfo::None => assert!(set.is_none(), "{:?}", e.kind),
                SetInfo::Itself => {
                    let set = set.expect("set info");
                    assert_eq!(set.resource_id, text);
                    assert_eq!(
                        set.resource_type.as_deref(),
                        Some(e.resource_type().as_str())
                    );
                }
                SetInfo::Parent => {
                    let set = set.expect("set info");
                    let (parent, name) = parent_of(&ds).expect("a parent");
                    assert!(text.starts_with(&format!("{parent}/")), "{parent}");
                    assert_eq!(set.resource_id, parent);
                    assert_eq!(set.resource_name.as_deref(), Some(name.as_str()));
                    assert_eq!(set.resource_type, e.parent_resource_type());
                }
            }
            if let Some(set) = set {
                assert_eq!(set.object_type.as_deref(), Some("DatasourceSet"));
                assert_eq!(set.datasource_type.as_deref(), Some(e.datasource_type));
            }

            let filled: Vec<Parameter> = e.inputs.iter().map(|r| r.input.parameter()).collect();
            assert_eq!(filled, e.parameters, "{:?}: inputs and parameters", e.kind);
            for r in e.roles {
                let scope_ok = match r.scope {
                    Scope::Parent => e.set_info == SetInfo::Parent,
                    Scope::SnapshotResourceGroup => e.rule(Input::SnapshotResourceGroup).is_some(),
                    Scope::KeyVault => e.rule(Input::KeyVaultSecret).is_some(),
                    Scope::Datasource | Scope::ResourceGroup => true,
                };
                assert!(scope_ok, "{:?}: role {} on {:?}", e.kind, r.name, r.scope);
            }
        }
    }

    /// The ID shapes match the typed IDs' own shapes, so errors describe them alike.
    #[test]
    fn shapes_match_the_typed_ids() {
        use crate::azure::arm_id::{ManagedDiskId, PostgresDatabaseId, PostgresFlexibleServerId};
        assert_eq!(DatasourceKind::Disk.entry().shape(), ManagedDiskId::shape());
        assert_eq!(
            DatasourceKind::PostgresDatabase.entry().shape(),
            PostgresDatabaseId::shape()
        );
        assert_eq!(
            DatasourceKind::PostgresFlexibleServer.entry().shape(),
            PostgresFlexibleServerId::shape()
        );
    }

    #[test]
    fn roles_in_words() {
        assert_eq!(
            DatasourceKind::Disk.entry().roles_text(),
            "`Disk Backup Reader` on the disk and `Disk Snapshot Contributor` on the snapshot resource group"
        );
        assert_eq!(
            DatasourceKind::PostgresDatabase.entry().roles_text(),
            "`Reader` on the server and `Key Vault Secrets User` on the key vault"
        );
        assert!(
            all_roles_text().contains("PostgreSQL Flexible Server Long Term Retention Backup Role")
        );
        assert_eq!(either(&["a", "b", "c"]), "a, b or c");
    }
}
