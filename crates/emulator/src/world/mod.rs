//! The emulated tenant: subscriptions, resource groups, vaults, policies, datasources, Key Vault
//! secrets and role grants, loaded from a JSON file (or the built-in default) and checked for
//! consistency, plus the permission rules the validation uses. The built-in world is in
//! [`default`].

mod default;
mod policy;

use serde::{Deserialize, Serialize};

use super::armpath::{is_within, lower, parent_of, resource_group_of, same_id, subscription_of};

pub use super::kinds::types::*;
pub use policy::{BackupRule, CRITERIA, RetentionTag, duration_ms, parse_time_ms};

/// The whole world. Every resource is named by its full ARM ID (casing as written here is the
/// casing the emulator answers with); look-ups are case-insensitive as in ARM.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct World {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// Value the App Service style managed-identity endpoint expects in `X-IDENTITY-HEADER`.
    #[serde(default = "default_identity_header")]
    pub identity_header: String,
    pub subscriptions: Vec<String>,
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroup>,
    #[serde(default)]
    pub vaults: Vec<Vault>,
    #[serde(default)]
    pub policies: Vec<Policy>,
    #[serde(default)]
    pub datasources: Vec<DatasourceResource>,
    #[serde(default)]
    pub key_vaults: Vec<KeyVault>,
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// Look-up index of `datasources`, built on first use. A clone starts without one, so
    /// change datasources on a fresh clone (as the admin API does) or call `reindex`.
    #[serde(skip)]
    index: DatasourceIndex,
}

#[derive(Default)]
struct DatasourceIndex(std::sync::OnceLock<std::collections::HashMap<String, usize>>);

impl Clone for DatasourceIndex {
    fn clone(&self) -> Self {
        DatasourceIndex::default()
    }
}

impl PartialEq for DatasourceIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for DatasourceIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatasourceIndex")
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceGroup {
    pub id: String,
    pub location: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Vault {
    pub id: String,
    pub location: String,
    /// Object ID of the vault's system-assigned identity; grants name it.
    pub principal_id: String,
    /// `properties.securitySettings.softDeleteSettings`; `Off` when left out.
    #[serde(default, skip_serializing_if = "SoftDelete::is_off")]
    pub soft_delete: SoftDelete,
    /// The user-assigned identities attached to the vault (`identityDetails` must name one of
    /// them): an ARM ID, or `{id, principal_id, client_id}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_assigned_identities: Vec<UserAssignedIdentity>,
}

/// A user-assigned identity attached to a vault. Left out, its principal and client IDs are
/// derived from its ARM ID (stable UUIDs), so a world may list bare IDs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(from = "UaiRepr", into = "UaiRepr")]
pub struct UserAssignedIdentity {
    pub id: String,
    pub principal_id: Option<String>,
    pub client_id: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum UaiRepr {
    Id(String),
    Full(UaiFull),
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UaiFull {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    principal_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
}

impl From<UaiRepr> for UserAssignedIdentity {
    fn from(r: UaiRepr) -> Self {
        match r {
            UaiRepr::Id(id) => UserAssignedIdentity::new(id),
            UaiRepr::Full(f) => UserAssignedIdentity {
                id: f.id,
                principal_id: f.principal_id,
                client_id: f.client_id,
            },
        }
    }
}

impl From<UserAssignedIdentity> for UaiRepr {
    fn from(u: UserAssignedIdentity) -> Self {
        match (u.principal_id, u.client_id) {
            (None, None) => UaiRepr::Id(u.id),
            (principal_id, client_id) => UaiRepr::Full(UaiFull {
                id: u.id,
                principal_id,
                client_id,
            }),
        }
    }
}

impl UserAssignedIdentity {
    pub fn new(id: impl Into<String>) -> Self {
        UserAssignedIdentity {
            id: id.into(),
            principal_id: None,
            client_id: None,
        }
    }

    fn derived(&self, what: &str) -> String {
        let seed = format!("{what}:{}", lower(&self.id));
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes()).to_string()
    }

    /// `principalId` as the vault GET shows it.
    pub fn principal(&self) -> String {
        self.principal_id
            .clone()
            .unwrap_or_else(|| self.derived("principal"))
    }

    /// `clientId` as the vault GET shows it.
    pub fn client(&self) -> String {
        self.client_id
            .clone()
            .unwrap_or_else(|| self.derived("client"))
    }
}

/// A vault's soft delete setting, as `softDeleteSettings{state, retentionDurationInDays}`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SoftDelete {
    pub state: SoftDeleteState,
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum SoftDeleteState {
    Off,
    On,
    AlwaysOn,
}

impl Default for SoftDelete {
    fn default() -> Self {
        SoftDelete {
            state: SoftDeleteState::Off,
            retention_days: default_retention_days(),
        }
    }
}

impl SoftDelete {
    pub fn is_off(&self) -> bool {
        self.state == SoftDeleteState::Off
    }
}

fn default_retention_days() -> u32 {
    14
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: String,
    pub datasource_type: String,
    /// Where the policy keeps backups; left out, the kind's usual store (blob: operational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_store: Option<DataStore>,
    /// The backup rule (name, schedule, retention tags); left out, the rule a policy of this
    /// kind usually has (docs/emulator.md lists them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_rule: Option<BackupRule>,
}

/// A backup policy's data store.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum DataStore {
    OperationalStore,
    VaultStore,
}

/// A resource that may be protected (or the parent of one). The kind comes from the ID; the
/// kind-specific facts are left out where they do not apply.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasourceResource {
    pub id: String,
    /// Databases and volume groups may leave it out: they live where their parent lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Storage accounts: the blob containers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<String>,
    /// Storage accounts: hierarchical namespace (Data Lake Storage Gen2) enabled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hierarchical_namespace: bool,
    /// Elastic SAN volume groups: the volumes' names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    /// AKS clusters: object ID of the cluster's system-assigned identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
}

impl DatasourceResource {
    pub fn new(id: impl Into<String>, location: Option<&str>) -> Self {
        DatasourceResource {
            id: id.into(),
            location: location.map(str::to_string),
            ..Default::default()
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyVault {
    pub id: String,
    #[serde(default)]
    pub secrets: Vec<String>,
}

/// A role assignment: `principal_id` holds `role` (or the single `action`) at `scope` and below.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    pub principal_id: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

fn default_identity_header() -> String {
    "emulator-identity-header".to_string()
}

/// One permission validation needs: `role` (or `action`) for the vault's identity at `scope`.
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    pub role: &'static str,
    pub action: &'static str,
    pub scope: String,
}

impl World {
    /// Consistency check run on every load or replacement; names the first problem found.
    pub fn check(&self) -> Result<(), String> {
        for (what, v) in [
            ("tenant_id", &self.tenant_id),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
        ] {
            if v.trim().is_empty() {
                return Err(format!("{what} must not be empty"));
            }
        }
        if self.subscriptions.is_empty() {
            return Err("at least one subscription is required".into());
        }
        for rg in &self.resource_groups {
            let sub = subscription_of(&rg.id).ok_or_else(|| {
                format!(
                    "resource group id '{}' is not /subscriptions/{{s}}/resourceGroups/{{name}}",
                    rg.id
                )
            })?;
            if resource_group_of(&rg.id).is_none()
                || lower(&rg.id).trim_end_matches('/').split('/').count() != 5
            {
                return Err(format!(
                    "resource group id '{}' is not /subscriptions/{{s}}/resourceGroups/{{name}}",
                    rg.id
                ));
            }
            if !self.has_subscription(&sub) {
                return Err(format!(
                    "resource group '{}' is in unknown subscription '{sub}'",
                    rg.id
                ));
            }
        }
        let check_rg = |id: &str, what: &str| -> Result<(), String> {
            if self.resource_group(id).is_none() {
                return Err(format!("{what} '{id}' is not in a declared resource group"));
            }
            Ok(())
        };
        for v in &self.vaults {
            check_rg(&v.id, "vault")?;
            if !(14..=180).contains(&v.soft_delete.retention_days) {
                return Err(format!(
                    "vault '{}': soft_delete.retention_days must be 14 to 180",
                    v.id
                ));
            }
            if !lower(&v.id).contains("/providers/microsoft.dataprotection/backupvaults/") {
                return Err(format!(
                    "vault id '{}' is not a Microsoft.DataProtection/backupVaults ID",
                    v.id
                ));
            }
        }
        for p in &self.policies {
            let vault = parent_of(&p.id, 2);
            if !lower(&p.id).contains("/backuppolicies/") || self.vault(&vault).is_none() {
                return Err(format!(
                    "policy '{}' does not belong to a declared vault",
                    p.id
                ));
            }
            if !super::kinds::types::is_known_type(&p.datasource_type) {
                return Err(format!(
                    "policy '{}' has unsupported datasource_type '{}'",
                    p.id, p.datasource_type
                ));
            }
            if let Some(r) = &p.backup_rule {
                r.check(&p.id)?;
            }
        }
        for d in &self.datasources {
            check_rg(&d.id, "datasource")?;
            let kind = Kind::of(&d.id).ok_or_else(|| format!("datasource '{}' is not the ID of a disk, PostgreSQL server/database or flexible server, storage account, AKS cluster, MySQL flexible server, Cosmos DB account, Elastic SAN or Elastic SAN volume group", d.id))?;
            if let Some(parent) = kind.parent(&d.id) {
                if self.datasource(&parent).is_none() {
                    return Err(format!(
                        "'{}' needs its parent '{parent}' declared too",
                        d.id
                    ));
                }
            } else if d.location.as_deref().unwrap_or("").is_empty() {
                return Err(format!("datasource '{}' needs a location", d.id));
            }
            let misplaced = [
                ("containers", !d.containers.is_empty(), Kind::StorageAccount),
                (
                    "hierarchical_namespace",
                    d.hierarchical_namespace,
                    Kind::StorageAccount,
                ),
                ("volumes", !d.volumes.is_empty(), Kind::EsanVolumeGroup),
                ("principal_id", d.principal_id.is_some(), Kind::AksCluster),
            ];
            if let Some((field, _, owner)) = misplaced.iter().find(|(_, set, k)| *set && *k != kind)
            {
                return Err(format!(
                    "datasource '{}': {field} applies only to {} resources",
                    d.id,
                    owner.resource_type()
                ));
            }
        }
        for kv in &self.key_vaults {
            check_rg(&kv.id, "key vault")?;
            if !lower(&kv.id).contains("/providers/microsoft.keyvault/vaults/") {
                return Err(format!(
                    "key vault id '{}' is not a Microsoft.KeyVault/vaults ID",
                    kv.id
                ));
            }
        }
        for g in &self.grants {
            if g.role.is_none() && g.action.is_none() {
                return Err(format!("grant on '{}' needs a role or an action", g.scope));
            }
        }
        Ok(())
    }

    pub fn has_subscription(&self, sub: &str) -> bool {
        self.subscriptions
            .iter()
            .any(|s| s.eq_ignore_ascii_case(sub))
    }

    /// The resource group containing (or being) `id`.
    pub fn resource_group(&self, id: &str) -> Option<&ResourceGroup> {
        let sub = subscription_of(id)?;
        let rg = resource_group_of(id)?;
        self.resource_groups.iter().find(|r| {
            subscription_of(&r.id).is_some_and(|s| s.eq_ignore_ascii_case(&sub))
                && resource_group_of(&r.id).is_some_and(|n| n.eq_ignore_ascii_case(&rg))
        })
    }

    pub fn vault(&self, id: &str) -> Option<&Vault> {
        self.vaults.iter().find(|v| same_id(&v.id, id))
    }

    pub fn policy(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| same_id(&p.id, id))
    }

    pub fn datasource(&self, id: &str) -> Option<&DatasourceResource> {
        // Validation looks datasources up several times per request; with thousands of them a
        // scan under the state lock would cap throughput.
        let index = self.index.0.get_or_init(|| {
            self.datasources
                .iter()
                .enumerate()
                .map(|(i, d)| (lower(&d.id), i))
                .collect()
        });
        index
            .get(&lower(id))
            .and_then(|i| self.datasources.get(*i))
            .filter(|d| same_id(&d.id, id))
    }

    /// Forgets the look-up index after `datasources` changed in place.
    pub fn reindex(&mut self) {
        self.index = DatasourceIndex::default();
    }

    /// Location of a datasource; databases inherit their server's.
    pub fn datasource_location(&self, id: &str) -> Option<String> {
        let d = self.datasource(id)?;
        match &d.location {
            Some(l) if !l.is_empty() => Some(l.clone()),
            _ => Kind::of(id)
                .and_then(|k| k.parent(id))
                .and_then(|p| self.datasource_location(&p)),
        }
    }

    /// The key vault named by a secret URI host (`https://{name}.vault.azure.net/...`).
    pub fn key_vault_by_name(&self, name: &str) -> Option<&KeyVault> {
        self.key_vaults.iter().find(|k| {
            k.id.rsplit('/')
                .next()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
    }

    /// Whether `principal` holds `req` through any grant at the scope or above. Owner and
    /// Contributor cover management-plane roles but not Key Vault data access, as in Azure.
    pub fn satisfies(&self, principal: &str, req: &Requirement) -> bool {
        self.grants.iter().any(|g| {
            if !g.principal_id.eq_ignore_ascii_case(principal) || !is_within(&req.scope, &g.scope) {
                return false;
            }
            let by_role = g.role.as_deref().is_some_and(|r| {
                r.eq_ignore_ascii_case(req.role)
                    || ((r.eq_ignore_ascii_case("Owner") || r.eq_ignore_ascii_case("Contributor"))
                        && req.role != ROLE_KV_SECRETS_USER)
            });
            let by_action = g
                .action
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(req.action));
            by_role || by_action
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_world_is_consistent_and_fully_granted() {
        let w = World::default_world();
        w.check().unwrap();
        let principal = &w.vaults[0].principal_id;
        let disk = &w.datasources[0].id;
        let req = Requirement {
            role: ROLE_DISK_BACKUP_READER,
            action: "x",
            scope: disk.clone(),
        };
        assert!(w.satisfies(principal, &req));
        assert!(!w.satisfies("someone-else", &req));
        assert_eq!(
            w.datasource_location(&format!("{}/databases/appdb", w.datasources[3].id))
                .as_deref(),
            Some("westeurope")
        );
    }

    #[test]
    fn check_rejects_orphans() {
        let mut w = World::default_world();
        w.datasources.push(DatasourceResource { id: "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/nope/providers/Microsoft.Compute/disks/x".into(), location: Some("westeurope".into()), ..Default::default() });
        w.reindex();
        assert!(
            w.check()
                .unwrap_err()
                .contains("not in a declared resource group")
        );
    }

    #[test]
    fn kind_facts_only_where_they_apply_and_children_need_parents() {
        let data = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data";
        let mut w = World::default_world();
        w.datasources.push(DatasourceResource {
            containers: vec!["c".into()],
            ..DatasourceResource::new(
                format!("{data}/providers/Microsoft.Compute/disks/with-containers"),
                Some("westeurope"),
            )
        });
        w.reindex();
        let e = w.check().unwrap_err();
        assert!(
            e.contains("containers applies only to Microsoft.Storage/storageAccounts"),
            "{e}"
        );

        let mut w = World::default_world();
        w.datasources.push(DatasourceResource::new(
            format!("{data}/providers/Microsoft.ElasticSan/elasticSans/nope/volumeGroups/vg"),
            None,
        ));
        w.reindex();
        assert!(w.check().unwrap_err().contains("needs its parent"));

        // A volume group lives where its Elastic SAN lives.
        let w = World::default_world();
        let vg = format!(
            "{data}/providers/Microsoft.ElasticSan/elasticSans/esan-demo/volumeGroups/vg-demo"
        );
        assert_eq!(w.datasource_location(&vg).as_deref(), Some("westeurope"));
    }

    #[test]
    fn user_assigned_identities_read_both_forms_and_write_the_short_one_back() {
        let v: Vec<UserAssignedIdentity> =
            serde_json::from_str(r#"["/x/a", {"id": "/x/b", "client_id": "c"}]"#).unwrap();
        assert_eq!(v[0], UserAssignedIdentity::new("/x/a"));
        assert_eq!(v[1].client(), "c");
        assert_eq!(v[0].principal(), v[0].clone().principal());
        assert_ne!(v[0].principal(), v[0].client());
        let back = serde_json::to_value(&v).unwrap();
        assert_eq!(
            back,
            serde_json::json!(["/x/a", {"id": "/x/b", "client_id": "c"}])
        );
        assert!(
            serde_json::from_str::<Vec<UserAssignedIdentity>>(r#"[{"id": "/x", "typo": 1}]"#)
                .is_err()
        );
    }
}
