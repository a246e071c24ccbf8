//! Typed Azure Resource Manager IDs and Key Vault secret URIs: parsing and canonical formatting.
//!
//! Segment names (`resourceGroups`, `providers`, resource provider namespaces, resource types) are
//! matched case-insensitively because ARM itself treats them so and real responses mix casings
//! (`resourcegroups`, `Backupvaults`); values (names) are kept exactly as given. Output always
//! uses the canonical casing, so an ID read back from Azure and one typed by a user compare equal
//! once parsed when only segment-name casing differs.

use std::fmt;
use std::str::FromStr;

use crate::azure::catalogue;

/// Why an ID could not be parsed: names the kind of ID, what was wrong and the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmIdError {
    kind: &'static str,
    expected: String,
    input: String,
    problem: String,
}

impl ArmIdError {
    fn new(kind: &'static str, expected: String, input: &str, problem: String) -> Self {
        // Keep the echo of user input short: IDs are short, anything longer is noise.
        let mut shown: String = input.chars().take(300).collect();
        if shown.len() < input.len() {
            shown.push('…');
        }
        ArmIdError {
            kind,
            expected,
            input: shown,
            problem,
        }
    }

    /// What was wrong, without the expected shape.
    pub fn problem(&self) -> &str {
        &self.problem
    }

    /// The expected shape, e.g. `/subscriptions/{subscriptionId}/...`.
    pub fn expected(&self) -> &str {
        &self.expected
    }
}

impl fmt::Display for ArmIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} {:?}: {}; expected the form {}",
            self.kind, self.input, self.problem, self.expected
        )
    }
}

impl std::error::Error for ArmIdError {}

pub use crate::azure::names::{MAX_NAME_LEN, NameRule};

/// One element of an ID template: a fixed segment name or a captured value and its rule.
#[derive(Clone, Copy)]
enum Seg {
    Lit(&'static str),
    Val(&'static str, NameRule),
}

use Seg::{Lit, Val};

const SUB: [Seg; 2] = [Lit("subscriptions"), Val("subscriptionId", NameRule::Guid)];
const RG: [Seg; 4] = [
    Lit("subscriptions"),
    Val("subscriptionId", NameRule::Guid),
    Lit("resourceGroups"),
    Val("resourceGroupName", NameRule::ResourceGroup),
];

fn shape(template: &[Seg]) -> String {
    let mut s = String::new();
    for seg in template {
        s.push('/');
        match seg {
            Lit(l) => s.push_str(l),
            Val(v, _) => {
                s.push('{');
                s.push_str(v);
                s.push('}');
            }
        }
    }
    s
}

/// Matches `input` against `template`, returning the captured values in order.
fn parse_template(
    kind: &'static str,
    template: &[Seg],
    input: &str,
) -> Result<Vec<String>, ArmIdError> {
    let err = |problem: String| ArmIdError::new(kind, shape(template), input, problem);
    if input.is_empty() {
        return Err(err("the ID is empty".into()));
    }
    let Some(rest) = input.strip_prefix('/') else {
        return Err(err("an ID must start with \"/\"".into()));
    };
    // One trailing slash is common when IDs are pasted from the portal; tolerate exactly one.
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.len() != template.len() {
        return Err(err(format!(
            "it has {} path segments but {} were expected",
            parts.len(),
            template.len()
        )));
    }
    let mut values = Vec::new();
    for (i, (part, seg)) in parts.iter().zip(template).enumerate() {
        match seg {
            Lit(lit) => {
                if !part.eq_ignore_ascii_case(lit) {
                    return Err(err(format!(
                        "segment {} is {:?} where {:?} was expected",
                        i + 1,
                        part,
                        lit
                    )));
                }
            }
            Val(name, rule) => {
                rule.check(name, part).map_err(err)?;
                values.push((*part).to_string());
            }
        }
    }
    Ok(values)
}

fn write_template(f: &mut fmt::Formatter<'_>, template: &[Seg], values: &[&str]) -> fmt::Result {
    let mut vals = values.iter();
    for seg in template {
        match seg {
            Lit(l) => write!(f, "/{l}")?,
            Val(..) => write!(f, "/{}", vals.next().copied().unwrap_or_default())?,
        }
    }
    Ok(())
}

/// Declares a typed ID whose fields are exactly the template's captured values, in order.
macro_rules! flat_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal, [$($seg:expr),* $(,)?], { $($field:ident),+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name { $(pub $field: String),+ }

        impl $name {
            const TEMPLATE: &'static [Seg] = &[$($seg),*];
            /// The expected shape of this kind of ID, for error messages and documentation.
            pub fn shape() -> String { shape(Self::TEMPLATE) }
        }

        impl FromStr for $name {
            type Err = ArmIdError;
            fn from_str(s: &str) -> Result<Self, ArmIdError> {
                let v = parse_template($kind, Self::TEMPLATE, s)?;
                let mut it = v.into_iter();
                Ok($name { $($field: it.next().unwrap_or_default()),+ })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_template(f, Self::TEMPLATE, &[$(self.$field.as_str()),+])
            }
        }
    };
}

flat_id!(
    /// `/subscriptions/{subscriptionId}`
    SubscriptionId, "subscription ID", [SUB[0], SUB[1]], { subscription }
);
flat_id!(
    /// `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}`
    ResourceGroupId, "resource group ID", [RG[0], RG[1], RG[2], RG[3]], { subscription, resource_group }
);
flat_id!(
    /// A Data Protection backup vault.
    BackupVaultId, "backup vault ID",
    [RG[0], RG[1], RG[2], RG[3], Lit("providers"), Lit("Microsoft.DataProtection"), Lit("backupVaults"), Val("vaultName", NameRule::BackupVault)],
    { subscription, resource_group, name }
);
flat_id!(
    /// A managed disk.
    ManagedDiskId, "managed disk ID",
    [RG[0], RG[1], RG[2], RG[3], Lit("providers"), Lit("Microsoft.Compute"), Lit("disks"), Val("diskName", NameRule::Name)],
    { subscription, resource_group, name }
);
flat_id!(
    /// A PostgreSQL single server.
    PostgresServerId, "PostgreSQL server ID",
    [RG[0], RG[1], RG[2], RG[3], Lit("providers"), Lit("Microsoft.DBforPostgreSQL"), Lit("servers"), Val("serverName", NameRule::Name)],
    { subscription, resource_group, name }
);
flat_id!(
    /// A PostgreSQL flexible server.
    PostgresFlexibleServerId, "PostgreSQL flexible server ID",
    [RG[0], RG[1], RG[2], RG[3], Lit("providers"), Lit("Microsoft.DBforPostgreSQL"), Lit("flexibleServers"), Val("serverName", NameRule::Name)],
    { subscription, resource_group, name }
);

flat_id!(
    /// A storage account (blob or Data Lake Storage).
    StorageAccountId, "storage account ID",
    [RG[0], RG[1], RG[2], RG[3], Lit("providers"), Lit("Microsoft.Storage"), Lit("storageAccounts"), Val("accountName", NameRule::Name)],
    { subscription, resource_group, name }
);
flat_id!(
    /// An AKS cluster.
    ManagedClusterId, "AKS cluster ID",
    [RG[0], RG[1], RG[2], RG[3], Lit("providers"), Lit("Microsoft.ContainerService"), Lit("managedClusters"), Val("clusterName", NameRule::Name)],
    { subscription, resource_group, name }
);
flat_id!(
    /// A MySQL flexible server.
    MysqlFlexibleServerId, "MySQL flexible server ID",
    [RG[0], RG[1], RG[2], RG[3], Lit("providers"), Lit("Microsoft.DBforMySQL"), Lit("flexibleServers"), Val("serverName", NameRule::Name)],
    { subscription, resource_group, name }
);
flat_id!(
    /// A Cosmos DB account.
    CosmosDbAccountId, "Cosmos DB account ID",
    [RG[0], RG[1], RG[2], RG[3], Lit("providers"), Lit("Microsoft.DocumentDB"), Lit("databaseAccounts"), Val("accountName", NameRule::Name)],
    { subscription, resource_group, name }
);
flat_id!(
    /// An Elastic SAN.
    ElasticSanId, "Elastic SAN ID",
    [RG[0], RG[1], RG[2], RG[3], Lit("providers"), Lit("Microsoft.ElasticSan"), Lit("elasticSans"), Val("elasticSanName", NameRule::Name)],
    { subscription, resource_group, name }
);

/// Declares an ID nested one level under a vault or server: `{parent}/{segment}/{name}`.
macro_rules! child_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $parent_ty:ident, $parent:ident, $seg:literal, $valname:literal, $rule:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name { pub $parent: $parent_ty, pub name: String }

        impl $name {
            fn template() -> Vec<Seg> {
                let mut t = $parent_ty::TEMPLATE.to_vec();
                t.push(Lit($seg));
                t.push(Val($valname, $rule));
                t
            }
            /// The expected shape of this kind of ID.
            pub fn shape() -> String { shape(&Self::template()) }
        }

        impl FromStr for $name {
            type Err = ArmIdError;
            fn from_str(s: &str) -> Result<Self, ArmIdError> {
                let v = parse_template($kind, &Self::template(), s)?;
                let mut it = v.into_iter();
                let subscription = it.next().unwrap_or_default();
                let resource_group = it.next().unwrap_or_default();
                let parent_name = it.next().unwrap_or_default();
                let name = it.next().unwrap_or_default();
                Ok($name {
                    $parent: $parent_ty { subscription, resource_group, name: parent_name },
                    name,
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}/{}/{}", self.$parent, $seg, self.name)
            }
        }
    };
}

child_id!(
    /// A backup policy inside a vault.
    BackupPolicyId, "backup policy ID", BackupVaultId, vault, "backupPolicies", "policyName", NameRule::AsciiName
);
child_id!(
    /// A backup instance inside a vault.
    BackupInstanceId, "backup instance ID", BackupVaultId, vault, "backupInstances", "backupInstanceName", NameRule::AsciiName
);
child_id!(
    /// A volume group of an Elastic SAN.
    ElasticSanVolumeGroupId, "Elastic SAN volume group ID", ElasticSanId, elastic_san, "volumeGroups", "volumeGroupName", NameRule::Name
);
child_id!(
    /// A database on a PostgreSQL single server.
    PostgresDatabaseId, "PostgreSQL database ID", PostgresServerId, server, "databases", "databaseName", NameRule::Name
);

impl BackupVaultId {
    /// The backup instance `name` in this vault.
    pub fn instance(&self, name: impl Into<String>) -> BackupInstanceId {
        BackupInstanceId {
            vault: self.clone(),
            name: name.into(),
        }
    }

    /// The vault's resource group.
    pub fn resource_group_id(&self) -> ResourceGroupId {
        ResourceGroupId {
            subscription: self.subscription.clone(),
            resource_group: self.resource_group.clone(),
        }
    }
}

pub use crate::azure::catalogue::DatasourceKind;

/// A data source to protect, identified by its ARM ID (and, for a storage account, by the
/// datasource type chosen: blob or Data Lake).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DatasourceId {
    Disk(ManagedDiskId),
    PostgresDatabase(PostgresDatabaseId),
    PostgresFlexibleServer(PostgresFlexibleServerId),
    Blob(StorageAccountId),
    DataLake(StorageAccountId),
    Kubernetes(ManagedClusterId),
    MysqlFlexibleServer(MysqlFlexibleServerId),
    CosmosDb(CosmosDbAccountId),
    ElasticSan(ElasticSanVolumeGroupId),
}

/// Applies `$f` to the typed ID inside any [`DatasourceId`] variant.
macro_rules! each_id {
    ($ds:expr, $d:ident => $f:expr) => {
        match $ds {
            DatasourceId::Disk($d) => $f,
            DatasourceId::PostgresDatabase($d) => $f,
            DatasourceId::PostgresFlexibleServer($d) => $f,
            DatasourceId::Blob($d) => $f,
            DatasourceId::DataLake($d) => $f,
            DatasourceId::Kubernetes($d) => $f,
            DatasourceId::MysqlFlexibleServer($d) => $f,
            DatasourceId::CosmosDb($d) => $f,
            DatasourceId::ElasticSan($d) => $f,
        }
    };
}

impl DatasourceId {
    /// E.g. `Microsoft.Compute/disks`.
    pub fn datasource_type(&self) -> &'static str {
        self.kind().datasource_type()
    }

    /// The resource's own name (the database name for a PostgreSQL database, the volume
    /// group's for an Elastic SAN).
    pub fn name(&self) -> &str {
        each_id!(self, d => &d.name)
    }

    pub fn kind(&self) -> DatasourceKind {
        match self {
            DatasourceId::Disk(_) => DatasourceKind::Disk,
            DatasourceId::PostgresDatabase(_) => DatasourceKind::PostgresDatabase,
            DatasourceId::PostgresFlexibleServer(_) => DatasourceKind::PostgresFlexibleServer,
            DatasourceId::Blob(_) => DatasourceKind::Blob,
            DatasourceId::DataLake(_) => DatasourceKind::DataLake,
            DatasourceId::Kubernetes(_) => DatasourceKind::Kubernetes,
            DatasourceId::MysqlFlexibleServer(_) => DatasourceKind::MysqlFlexibleServer,
            DatasourceId::CosmosDb(_) => DatasourceKind::CosmosDb,
            DatasourceId::ElasticSan(_) => DatasourceKind::ElasticSan,
        }
    }

    pub fn subscription(&self) -> &str {
        scope_of(self).0
    }

    pub fn resource_group(&self) -> &str {
        scope_of(self).1
    }

    /// The datasource `id` with an explicit datasource type: `None` takes the ID's default
    /// kind (a storage account is blob); a type that does not fit the ID is an error naming
    /// the types that do.
    pub fn with_type(id: &str, datasource_type: Option<&str>) -> Result<DatasourceId, ArmIdError> {
        let parsed: DatasourceId = id.parse()?;
        let kind = catalogue::resolve_kind(id, datasource_type).map_err(|problem| {
            ArmIdError::new(
                "datasource type",
                parsed.kind().entry().shape(),
                datasource_type.unwrap_or_default(),
                problem,
            )
        })?;
        Ok(match (parsed, kind) {
            (DatasourceId::Blob(a), Some(DatasourceKind::DataLake)) => DatasourceId::DataLake(a),
            (other, _) => other,
        })
    }
}

/// (subscription, resource group) of any datasource.
fn scope_of(ds: &DatasourceId) -> (&str, &str) {
    match ds {
        DatasourceId::Disk(d) => (&d.subscription, &d.resource_group),
        DatasourceId::PostgresFlexibleServer(d) => (&d.subscription, &d.resource_group),
        DatasourceId::Blob(d) | DatasourceId::DataLake(d) => (&d.subscription, &d.resource_group),
        DatasourceId::Kubernetes(d) => (&d.subscription, &d.resource_group),
        DatasourceId::MysqlFlexibleServer(d) => (&d.subscription, &d.resource_group),
        DatasourceId::CosmosDb(d) => (&d.subscription, &d.resource_group),
        DatasourceId::PostgresDatabase(d) => (&d.server.subscription, &d.server.resource_group),
        DatasourceId::ElasticSan(d) => (&d.elastic_san.subscription, &d.elastic_san.resource_group),
    }
}

impl FromStr for DatasourceId {
    type Err = ArmIdError;
    /// A storage account parses as blob; [`DatasourceId::with_type`] chooses Data Lake.
    fn from_str(s: &str) -> Result<Self, ArmIdError> {
        // Pick the candidate by the provider/type segments (the catalogue's ID shapes) so the
        // error talks about the kind the user most likely meant.
        match catalogue::entry_for_id(s).map(|e| e.kind) {
            Some(DatasourceKind::Disk) => s.parse().map(DatasourceId::Disk),
            Some(DatasourceKind::PostgresDatabase) => s.parse().map(DatasourceId::PostgresDatabase),
            Some(DatasourceKind::PostgresFlexibleServer) => {
                s.parse().map(DatasourceId::PostgresFlexibleServer)
            }
            Some(DatasourceKind::Blob | DatasourceKind::DataLake) => {
                s.parse().map(DatasourceId::Blob)
            }
            Some(DatasourceKind::Kubernetes) => s.parse().map(DatasourceId::Kubernetes),
            Some(DatasourceKind::MysqlFlexibleServer) => {
                s.parse().map(DatasourceId::MysqlFlexibleServer)
            }
            Some(DatasourceKind::CosmosDb) => s.parse().map(DatasourceId::CosmosDb),
            Some(DatasourceKind::ElasticSan) => s.parse().map(DatasourceId::ElasticSan),
            None => {
                let shown: Vec<&catalogue::Entry> = catalogue::CATALOGUE
                    .iter()
                    .filter(|e| !e.by_type_only)
                    .collect();
                let shapes: Vec<String> = shown.iter().map(|e| e.shape()).collect();
                let nouns: Vec<&str> = shown.iter().map(|e| e.noun).collect();
                Err(ArmIdError::new(
                    "data source ID",
                    shapes.join(" or "),
                    s,
                    format!("it is not a {}", catalogue::either(&nouns)),
                ))
            }
        }
    }
}

impl fmt::Display for DatasourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each_id!(self, d => d.fmt(f))
    }
}

/// A Key Vault secret URI: `https://{vault}.vault.azure.net/secrets/{name}[/{version}]` (other
/// clouds use other DNS suffixes, which are kept in `host`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyVaultSecretUri {
    pub vault_name: String,
    /// The full host name, e.g. `kv-demo.vault.azure.net`.
    pub host: String,
    pub secret: String,
    pub version: Option<String>,
}

const KV_SHAPE: &str = "https://{vaultName}.vault.azure.net/secrets/{secretName}[/{version}]";

fn kv_name_ok(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl FromStr for KeyVaultSecretUri {
    type Err = ArmIdError;
    fn from_str(s: &str) -> Result<Self, ArmIdError> {
        let err = |p: &str| ArmIdError::new("Key Vault secret URI", KV_SHAPE.into(), s, p.into());
        let rest = match s.get(..8) {
            Some(scheme) if scheme.eq_ignore_ascii_case("https://") => &s[8..],
            _ => return Err(err("it must start with https://")),
        };
        let (host, path) = rest
            .split_once('/')
            .ok_or_else(|| err("the /secrets/{name} path is missing"))?;
        let (vault_name, suffix) = host
            .split_once('.')
            .ok_or_else(|| err("the host must be {vaultName}.vault.<cloud suffix>"))?;
        if !kv_name_ok(vault_name)
            || !suffix.to_ascii_lowercase().starts_with("vault.")
            || suffix.len() <= 6
        {
            return Err(err("the host must be {vaultName}.vault.<cloud suffix>"));
        }
        if !suffix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return Err(err(
                "the host contains characters not allowed in a DNS name",
            ));
        }
        let path = path.strip_suffix('/').unwrap_or(path);
        let parts: Vec<&str> = path.split('/').collect();
        if !parts[0].eq_ignore_ascii_case("secrets") {
            return Err(err("the path must start with /secrets/"));
        }
        let (secret, version) = match parts.as_slice() {
            [_, name] => (*name, None),
            [_, name, version] => (*name, Some(*version)),
            _ => {
                return Err(err(
                    "the path must be /secrets/{name} or /secrets/{name}/{version}",
                ));
            }
        };
        if !kv_name_ok(secret) {
            return Err(err("the secret name must be letters, digits and dashes"));
        }
        if let Some(v) = version
            && (v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(err("the secret version must be letters and digits"));
        }
        Ok(KeyVaultSecretUri {
            vault_name: vault_name.to_string(),
            host: host.to_string(),
            secret: secret.to_string(),
            version: version.map(str::to_string),
        })
    }
}

impl fmt::Display for KeyVaultSecretUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "https://{}/secrets/{}", self.host, self.secret)?;
        if let Some(v) = &self.version {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
