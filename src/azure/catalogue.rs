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
    /// Azure Blobs in a storage account (operational, or vaulted with `containers`).
    Blob,
    /// Azure Data Lake Storage: the same storage account ID, chosen by its datasource type.
    DataLake,
    /// An AKS cluster.
    Kubernetes,
    MysqlFlexibleServer,
    CosmosDb,
    /// An Elastic SAN volume group (one volume of it is protected).
    ElasticSan,
}

/// How `dataSourceSetInfo` is derived from the datasource ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetInfo {
    /// Not sent.
    None,
    /// The datasource itself.
    Itself,
    /// The resource one level up (a database's server, a volume group's Elastic SAN).
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
    /// One object of `policyParameters.backupDatasourceParametersList`, by its `objectType`.
    DatasourceParameters(&'static str),
}

/// `objectType` of the vaulted-blob parameters (`containersList`).
pub const BLOB_PARAMETERS: &str = "BlobBackupDatasourceParameters";
/// `objectType` of the Data Lake parameters (`containersList`).
pub const ADLS_PARAMETERS: &str = "AdlsBlobBackupDatasourceParameters";
/// `objectType` of the AKS parameters (namespaces, resource types, hooks...).
pub const KUBERNETES_PARAMETERS: &str = "KubernetesClusterBackupDatasourceParameters";
/// `objectType` of the generic parameters (`resourceSelectors`: the Elastic SAN volume).
pub const GENERIC_PARAMETERS: &str = "GenericBackupDatasourceParameters";

/// A user input that only some kinds take. The provider maps each to an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The resource group for operational-tier snapshots.
    SnapshotResourceGroup,
    /// The Key Vault secret holding the connection string.
    KeyVaultSecret,
    /// The blob containers to back up (vaulted blob, Data Lake).
    Containers,
    /// What of an AKS cluster to back up.
    Kubernetes,
    /// The Elastic SAN volume to protect, by name.
    VolumeName,
}

impl Input {
    pub const ALL: &[Input] = &[
        Input::SnapshotResourceGroup,
        Input::KeyVaultSecret,
        Input::Containers,
        Input::Kubernetes,
        Input::VolumeName,
    ];
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
    /// The parameter this input fills.
    pub fills: Parameter,
    /// The API versions that take this input (within the kind's own).
    pub api_versions: ApiVersions,
}

const fn required(input: Input, fills: Parameter) -> InputRule {
    InputRule {
        input,
        need: Need::Required,
        fills,
        api_versions: ApiVersions::Since("2021-01-01"),
    }
}

const fn optional(input: Input, fills: Parameter) -> InputRule {
    InputRule {
        input,
        need: Need::Optional,
        fills,
        api_versions: ApiVersions::Since("2021-01-01"),
    }
}

impl InputRule {
    const fn since(mut self, versions: ApiVersions) -> InputRule {
        self.api_versions = versions;
        self
    }
}

/// Which API versions (`YYYY-MM-DD`, compared by date; a `-preview` suffix is ignored) know a
/// kind or an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersions {
    /// This version and every later one.
    Since(&'static str),
    /// Every version later than this one.
    After(&'static str),
    /// Exactly these versions (a kind that later versions dropped or earlier ones lack, e.g.
    /// Elastic SAN: in 2026-06-01 but not in 2026-03-01).
    Only(&'static [&'static str]),
}

impl ApiVersions {
    pub fn contains(&self, api_version: &str) -> bool {
        let date = api_version.get(..10).unwrap_or(api_version);
        match self {
            ApiVersions::Since(first) => date >= *first,
            ApiVersions::After(last) => date > *last,
            ApiVersions::Only(list) => list.contains(&date),
        }
    }

    /// In words, for messages and docs: "2025-07-01 or newer", "2026-06-01 only".
    pub fn text(&self) -> String {
        match self {
            ApiVersions::Since(first) => format!("{first} or newer"),
            ApiVersions::After(last) => format!("newer than {last}"),
            ApiVersions::Only(list) => format!("{} only", either(list)),
        }
    }
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
    /// Roles the vault's identity (or the cluster's) needs for backup.
    pub roles: &'static [Role],
    /// The API versions that know this kind.
    pub api_versions: ApiVersions,
    pub inputs: &'static [InputRule],
    /// Whether this kind is only chosen by an explicit `datasource_type` (its ID shape is
    /// another kind's too: a storage account is blob unless Data Lake is asked for).
    pub by_type_only: bool,
    /// What a restore of this kind can write to (`azure-recovery.md`), first the usual one.
    pub restores: &'static [RestoreTarget],
}

/// Where a restore of a kind can go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreTarget {
    /// A new managed disk in the source's region.
    NewDisk,
    /// The protected account itself, to a point in time (operational blob).
    InPlace,
    /// Containers of a vault-tier backup into an existing storage account.
    Containers,
    /// Backup files (database dumps) into an existing blob container.
    Files,
    /// A new database on an existing server (PostgreSQL single server).
    NewDatabase,
    /// Namespaces into an existing AKS cluster.
    Cluster,
    /// A new Cosmos DB account.
    NewCosmosAccount,
    /// Volumes into an existing Elastic SAN volume group.
    Volumes,
}

impl RestoreTarget {
    /// Whether the restore makes a resource of its own (which a user may want deleted after a
    /// drill), rather than writing into or over something that exists.
    pub fn creates_own_resource(self) -> bool {
        matches!(
            self,
            RestoreTarget::NewDisk | RestoreTarget::NewDatabase | RestoreTarget::NewCosmosAccount
        )
    }
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
const fn cluster_role(name: &'static str, scope: Scope) -> Role {
    Role {
        name,
        scope,
        principal: Principal::Cluster,
    }
}

const ALL_VERSIONS: ApiVersions = ApiVersions::Since("2021-01-01");
/// The first version with Data Lake and AKS among this provider's known versions.
const FROM_2025_07_01: ApiVersions = ApiVersions::Since("2025-07-01");
/// What 2021-01-01 lacks (datasource credentials, datasource parameters) is in every later
/// version this provider knows; the exact version that added it is not pinned down here.
const AFTER_2021: ApiVersions = ApiVersions::After("2021-01-01");
const SNAPSHOT_RG: InputRule = required(Input::SnapshotResourceGroup, Parameter::OperationalStore);

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
        api_versions: ALL_VERSIONS,
        inputs: &[SNAPSHOT_RG],
        by_type_only: false,
        restores: &[RestoreTarget::NewDisk],
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
        api_versions: ALL_VERSIONS,
        inputs: &[
            optional(Input::KeyVaultSecret, Parameter::SecretStoreCredentials).since(AFTER_2021),
        ],
        by_type_only: false,
        restores: &[RestoreTarget::NewDatabase, RestoreTarget::Files],
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
        api_versions: ALL_VERSIONS,
        inputs: &[],
        by_type_only: false,
        restores: &[RestoreTarget::Files],
    },
    Entry {
        kind: DatasourceKind::Blob,
        datasource_type: "Microsoft.Storage/storageAccounts/blobServices",
        namespace: "Microsoft.Storage",
        type_path: &[("storageAccounts", "accountName")],
        noun: "storage account",
        plural: "storage accounts (blobs)",
        set_info: SetInfo::Itself,
        parameters: &[Parameter::DatasourceParameters(BLOB_PARAMETERS)],
        roles: &[role(
            "Storage Account Backup Contributor",
            Scope::Datasource,
        )],
        api_versions: ALL_VERSIONS,
        // Without containers: operational backup; with them: vaulted backup of those containers.
        inputs: &[optional(
            Input::Containers,
            Parameter::DatasourceParameters(BLOB_PARAMETERS),
        )
        .since(AFTER_2021)],
        by_type_only: false,
        restores: &[RestoreTarget::InPlace, RestoreTarget::Containers],
    },
    Entry {
        kind: DatasourceKind::DataLake,
        datasource_type: "Microsoft.Storage/storageAccounts/adlsBlobServices",
        namespace: "Microsoft.Storage",
        type_path: &[("storageAccounts", "accountName")],
        noun: "storage account (Data Lake)",
        plural: "Data Lake Storage accounts",
        set_info: SetInfo::Itself,
        parameters: &[Parameter::DatasourceParameters(ADLS_PARAMETERS)],
        roles: &[role(
            "Storage Account Backup Contributor",
            Scope::Datasource,
        )],
        api_versions: FROM_2025_07_01,
        inputs: &[required(
            Input::Containers,
            Parameter::DatasourceParameters(ADLS_PARAMETERS),
        )],
        by_type_only: true,
        restores: &[RestoreTarget::Containers],
    },
    Entry {
        kind: DatasourceKind::Kubernetes,
        datasource_type: "Microsoft.ContainerService/managedClusters",
        namespace: "Microsoft.ContainerService",
        type_path: &[("managedClusters", "clusterName")],
        noun: "AKS cluster",
        plural: "AKS clusters",
        set_info: SetInfo::Itself,
        parameters: &[
            Parameter::DatasourceParameters(KUBERNETES_PARAMETERS),
            Parameter::OperationalStore,
        ],
        roles: &[
            role("Reader", Scope::Datasource),
            role("Reader", Scope::SnapshotResourceGroup),
            cluster_role("Contributor", Scope::SnapshotResourceGroup),
        ],
        api_versions: FROM_2025_07_01,
        // The block is optional: without it the whole cluster is backed up with the defaults.
        inputs: &[
            optional(
                Input::Kubernetes,
                Parameter::DatasourceParameters(KUBERNETES_PARAMETERS),
            ),
            SNAPSHOT_RG,
        ],
        by_type_only: false,
        restores: &[RestoreTarget::Cluster],
    },
    Entry {
        kind: DatasourceKind::MysqlFlexibleServer,
        datasource_type: "Microsoft.DBforMySQL/flexibleServers",
        namespace: "Microsoft.DBforMySQL",
        type_path: &[("flexibleServers", "serverName")],
        noun: "MySQL flexible server",
        plural: "MySQL flexible servers",
        set_info: SetInfo::None,
        parameters: &[],
        roles: &[
            role("Reader", Scope::ResourceGroup),
            role("MySQL Backup And Export Operator", Scope::Datasource),
        ],
        api_versions: ALL_VERSIONS,
        inputs: &[],
        by_type_only: false,
        restores: &[RestoreTarget::Files],
    },
    Entry {
        kind: DatasourceKind::CosmosDb,
        datasource_type: "Microsoft.DocumentDB/databaseAccounts",
        namespace: "Microsoft.DocumentDB",
        type_path: &[("databaseAccounts", "accountName")],
        noun: "Cosmos DB account",
        plural: "Cosmos DB accounts",
        set_info: SetInfo::None,
        parameters: &[],
        roles: &[
            role("Reader", Scope::ResourceGroup),
            role("Cosmos DB Operator", Scope::Datasource),
        ],
        api_versions: ALL_VERSIONS,
        inputs: &[],
        by_type_only: false,
        restores: &[RestoreTarget::NewCosmosAccount],
    },
    Entry {
        kind: DatasourceKind::ElasticSan,
        datasource_type: "Microsoft.ElasticSan/elasticSans/volumeGroups",
        namespace: "Microsoft.ElasticSan",
        type_path: &[
            ("elasticSans", "elasticSanName"),
            ("volumeGroups", "volumeGroupName"),
        ],
        noun: "Elastic SAN volume group",
        plural: "Elastic SAN volume groups",
        set_info: SetInfo::Parent,
        parameters: &[
            Parameter::DatasourceParameters(GENERIC_PARAMETERS),
            Parameter::OperationalStore,
        ],
        roles: &[
            role("Elastic SAN Snapshot Exporter", Scope::Datasource),
            role("Disk Snapshot Contributor", Scope::SnapshotResourceGroup),
        ],
        // In 2024-02-01-preview and 2026-06-01, not in 2026-03-01 (azure-lifecycle notes §5);
        // of the versions this provider knows, only 2026-06-01.
        api_versions: ApiVersions::Only(&["2026-06-01"]),
        inputs: &[
            required(
                Input::VolumeName,
                Parameter::DatasourceParameters(GENERIC_PARAMETERS),
            ),
            SNAPSHOT_RG,
        ],
        by_type_only: false,
        restores: &[RestoreTarget::Volumes],
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
        self.api_versions.contains(api_version)
    }

    pub fn rule(&self, input: Input) -> Option<InputRule> {
        self.inputs.iter().copied().find(|r| r.input == input)
    }

    /// What the datasource is called in a role's scope: "disk", "server", "volume group".
    fn name_of(&self, level: usize) -> String {
        let (_, placeholder) = self.type_path[level];
        let mut words = String::new();
        for c in placeholder.trim_end_matches("Name").chars() {
            if c.is_ascii_uppercase() {
                words.push(' ');
            }
            words.push(c.to_ascii_lowercase());
        }
        match words.as_str() {
            "elastic san" => "Elastic SAN".into(),
            _ => words,
        }
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

/// The entry whose ID shape `id` has, if any (for a storage account, blob: Data Lake is only
/// chosen by its datasource type, see [`resolve_kind`]).
pub fn entry_for_id(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| !e.by_type_only && e.claims(id))
}

/// The kind of datasource `id` with an optional explicit `datasource_type` (the user's
/// `datasource_type`, or what the service reports). One ARM ID can mean two kinds: a storage
/// account is blob unless `Microsoft.Storage/storageAccounts/adlsBlobServices` is asked for.
/// `Err` is a type that does not fit the ID, naming the types that do.
pub fn resolve_kind(
    id: &str,
    datasource_type: Option<&str>,
) -> Result<Option<DatasourceKind>, String> {
    let Some(default) = entry_for_id(id) else {
        return Ok(None);
    };
    let Some(wanted) = datasource_type else {
        return Ok(Some(default.kind));
    };
    let fitting: Vec<&'static Entry> = CATALOGUE.iter().filter(|e| e.claims(id)).collect();
    if let Some(e) = fitting
        .iter()
        .find(|e| e.datasource_type.eq_ignore_ascii_case(wanted))
    {
        return Ok(Some(e.kind));
    }
    let types: Vec<String> = fitting
        .iter()
        .map(|e| format!("\"{}\"", e.datasource_type))
        .collect();
    let types: Vec<&str> = types.iter().map(String::as_str).collect();
    Err(format!(
        "{wanted:?} is not a datasource type of a {}; it takes {}",
        default.noun,
        either(&types)
    ))
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
mod tests;
