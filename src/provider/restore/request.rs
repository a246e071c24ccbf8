//! From the configuration to a restore request: typed inputs read from Terraform values (every
//! problem an error on its attribute) and the checks that need only the configuration.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::schema::{self as attr, t};
use crate::azure::arm_id::{
    BackupInstanceId, CosmosDbAccountId, ElasticSanVolumeGroupId, KeyVaultSecretUri,
    ManagedClusterId, ManagedDiskId, PostgresDatabaseId, ResourceGroupId, StorageAccountId,
};
use crate::azure::catalogue::RestoreTarget;
use crate::azure::restore::{
    self as build, BlobContainerId, ClusterRestore, InputError, PrefixRange,
};
use crate::tfplugin::{AttributePath, Diagnostics, Value};

/// What the restore reads from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Point(String),
    Time(OffsetDateTime),
}

/// Where it writes to: one per target block.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Disk(ManagedDiskId),
    Files {
        container: BlobContainerId,
        prefix: String,
    },
    Containers {
        account: StorageAccountId,
        names: Vec<String>,
    },
    InPlace(Vec<PrefixRange>),
    Database {
        database: PostgresDatabaseId,
        secret: KeyVaultSecretUri,
    },
    Cluster {
        cluster: ManagedClusterId,
        what: ClusterRestore,
    },
    CosmosDb(CosmosDbAccountId),
    ElasticSan {
        group: ElasticSanVolumeGroupId,
        volumes: Vec<String>,
    },
}

impl Target {
    pub fn kind(&self) -> RestoreTarget {
        match self {
            Target::Disk(_) => RestoreTarget::NewDisk,
            Target::Files { .. } => RestoreTarget::Files,
            Target::Containers { .. } => RestoreTarget::Containers,
            Target::InPlace(_) => RestoreTarget::InPlace,
            Target::Database { .. } => RestoreTarget::NewDatabase,
            Target::Cluster { .. } => RestoreTarget::Cluster,
            Target::CosmosDb(_) => RestoreTarget::NewCosmosAccount,
            Target::ElasticSan { .. } => RestoreTarget::Volumes,
        }
    }

    /// The resource the restore makes, when it makes one of its own.
    pub fn restored_resource_id(&self) -> Option<String> {
        match self {
            Target::Disk(d) => Some(d.to_string()),
            Target::Database { database, .. } => Some(database.to_string()),
            Target::CosmosDb(a) => Some(a.to_string()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    pub instance: BackupInstanceId,
    pub source: Source,
    pub target: Target,
}

/// Where an input error of the builders points.
pub fn path_of(target: RestoreTarget, field: &str) -> AttributePath {
    let block = attr::block_of(target);
    match field {
        attr::RECOVERY_POINT_ID | attr::POINT_IN_TIME => AttributePath::root(field),
        "prefix_ranges" => AttributePath::root(block).attr(t::PREFIX_RANGE),
        "location" | "blob_suffix" | "rehydration_retention_days" => {
            AttributePath::root(attr::BACKUP_INSTANCE_ID)
        }
        f => AttributePath::root(block).attr(f),
    }
}

fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2026-12-01T08:00:00Z: {e}"))
}

/// A recovery point by name, or by ARM ID (`{instance}/recoveryPoints/{name}`, what the
/// `azurebackup_recovery_points` data source calls `id`), which must be of this instance.
fn point_name(
    text: &str,
    instance: Option<&BackupInstanceId>,
    diags: &mut Diagnostics,
) -> Option<String> {
    let path = || AttributePath::root(attr::RECOVERY_POINT_ID);
    let Some((parent, name)) = text.trim().rsplit_once('/') else {
        return Some(text.trim().to_string());
    };
    let Some((owner, segment)) = parent.rsplit_once('/') else {
        diags.error_at(path(), "Invalid Recovery Point ID", format!("{text:?} is neither a recovery point name nor its ARM ID ({{backup instance ID}}/recoveryPoints/{{name}})."));
        return None;
    };
    let owner_id = owner.parse::<BackupInstanceId>();
    if !segment.eq_ignore_ascii_case("recoveryPoints") || owner_id.is_err() || name.is_empty() {
        diags.error_at(path(), "Invalid Recovery Point ID", format!("{text:?} is neither a recovery point name nor its ARM ID ({{backup instance ID}}/recoveryPoints/{{name}})."));
        return None;
    }
    if let Some(i) = instance
        && !crate::azure::wait::same_arm_id(owner, &i.to_string())
    {
        diags.error_at(path(), "Recovery Point of Another Instance", format!("The recovery point {text} belongs to the backup instance {owner}, not to {i}, the `{}`. A restore reads a point of its own instance: use `data.azurebackup_recovery_points` of {i}.", attr::BACKUP_INSTANCE_ID));
        return None;
    }
    Some(name.to_string())
}

/// The target blocks present in the configuration (`None` when one is unknown).
fn present_blocks(config: &Value) -> Option<Vec<(&'static str, RestoreTarget)>> {
    let mut out = Vec::new();
    for (name, target) in attr::TARGET_BLOCKS {
        let v = config.get(name);
        if v.is_unknown() {
            return None;
        }
        if !v.is_null() {
            out.push((*name, *target));
        }
    }
    Some(out)
}

/// The checks that need the configuration alone; `Some` when every input is known and valid.
pub fn check(config: &Value, diags: &mut Diagnostics) -> Option<Inputs> {
    let before = diags.len();
    for a in attr::COMPUTED_ONLY {
        if !config.get(a).is_null() && !config.get(a).is_unknown() {
            diags.error_at(
                AttributePath::root(*a),
                "Computed Attribute Set",
                format!("`{a}` is set by the provider from the restore job; remove it from the configuration."),
            );
        }
    }
    let instance = crate::provider::data::instance_id_arg(config, attr::BACKUP_INSTANCE_ID, diags);
    let rp = config.get(attr::RECOVERY_POINT_ID);
    let pit = config.get(attr::POINT_IN_TIME);
    let mut known =
        !rp.is_unknown() && !pit.is_unknown() && !config.get(attr::BACKUP_INSTANCE_ID).is_unknown();
    let source = match (rp.as_str(), pit.as_str()) {
        (Some(_), Some(_)) => {
            diags.error_at(
                AttributePath::root(attr::POINT_IN_TIME),
                "Conflicting Restore Sources",
                "Set exactly one of `recovery_point_id` and `point_in_time`, not both.",
            );
            None
        }
        (Some(p), None) if !pit.is_unknown() => {
            point_name(p, instance.as_ref(), diags).map(Source::Point)
        }
        (None, Some(p)) if !rp.is_unknown() => match parse_time(p) {
            Ok(t) => Some(Source::Time(t)),
            Err(e) => {
                diags.error_at(
                    AttributePath::root(attr::POINT_IN_TIME),
                    "Invalid Point in Time",
                    e,
                );
                None
            }
        },
        (None, None) if known => {
            diags.error_at(
                AttributePath::root(attr::RECOVERY_POINT_ID),
                "Missing Restore Source",
                "Set exactly one of `recovery_point_id` (a recovery point of the instance, e.g. `data.azurebackup_recovery_points.x.latest.id`) and `point_in_time` (operational blob backups).",
            );
            None
        }
        _ => None,
    };
    let blocks = present_blocks(config);
    let target = match blocks.as_deref() {
        None => {
            known = false;
            None
        }
        Some([]) => {
            diags.error(
                "Missing Restore Target",
                format!(
                    "Add one target block: {}.",
                    attr::TARGET_BLOCKS
                        .iter()
                        .map(|(b, _)| format!("`{b}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            None
        }
        Some([(name, kind)]) => target_of(config.get(name), *kind, &mut known, diags),
        // A `dynamic` block whose `for_each` is not known yet reaches validate as a block of
        // unknown attributes: it may turn out absent, so two targets are only a conflict once
        // every one of them is known.
        Some(many) if many.iter().any(|(b, _)| !config.get(b).is_wholly_known()) => {
            known = false;
            None
        }
        Some(many) => {
            diags.error_at(
                AttributePath::root(many[1].0),
                "Conflicting Restore Targets",
                format!(
                    "A restore has one target; {} are set. Keep one (a second restore is a second resource).",
                    many.iter().map(|(b, _)| format!("`{b}`")).collect::<Vec<_>>().join(" and ")
                ),
            );
            None
        }
    };
    if let (Some(s), Some(tg)) = (&source, &target) {
        match (s, tg.kind()) {
            (Source::Time(_), k) if k != RestoreTarget::InPlace => diags.error_at(
                AttributePath::root(attr::POINT_IN_TIME),
                "Point in Time Needs an In-Place Restore",
                format!("`point_in_time` restores an operational blob backup in place (the `in_place` block); a `{}` restore is of a recovery point: set `recovery_point_id` instead.", attr::block_of(k)),
            ),
            (Source::Point(_), RestoreTarget::InPlace) => diags.error_at(
                AttributePath::root(attr::IN_PLACE),
                "In-Place Restore Needs a Point in Time",
                "An `in_place` restore (operational blob backups) restores to `point_in_time`; a recovery point of a vaulted blob backup is restored with a `containers` block.",
            ),
            _ => {}
        }
    }
    check_delete_flag(config, target.as_ref().map(Target::kind), diags);
    if diags.len() > before && diags.has_errors() || !known {
        return None;
    }
    Some(Inputs {
        instance: instance?,
        source: source?,
        target: target?,
    })
}

/// `delete_restored_target = true` only where a destroy can delete something the restore made.
fn check_delete_flag(config: &Value, target: Option<RestoreTarget>, diags: &mut Diagnostics) {
    if config.get(attr::DELETE_RESTORED_TARGET).as_bool() != Some(true) {
        return;
    }
    let Some(k) = target else { return };
    let why = match k {
        RestoreTarget::NewDisk => return,
        RestoreTarget::NewDatabase | RestoreTarget::NewCosmosAccount => {
            "this provider deletes restored disks only: delete the restored database or account yourself when you are done with it"
        }
        _ => {
            "this restore writes into a resource that existed before it (in place, into a container, account, cluster or volume group), so there is nothing of its own to delete; a destroy only forgets the restore"
        }
    };
    diags.error_at(
        AttributePath::root(attr::DELETE_RESTORED_TARGET),
        "Nothing to Delete on Destroy",
        format!("`delete_restored_target = true` is not available for a `{}` restore: {why}. Remove the argument (or set it to false).", attr::block_of(k)),
    );
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_list().map(|l| {
        l.iter()
            .filter_map(|e| e.as_str().map(str::to_string))
            .collect()
    })
}

fn parse_at<T: std::str::FromStr>(
    block: &Value,
    name: &'static str,
    at: &str,
    known: &mut bool,
    diags: &mut Diagnostics,
) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    let v = block.get(name);
    if v.is_unknown() {
        *known = false;
        return None;
    }
    let s = v.as_str()?;
    s.parse::<T>()
        .map_err(|e| {
            diags.error_at(
                AttributePath::root(at).attr(name),
                "Invalid Restore Target",
                format!("`{at}.{name}`: {e}"),
            )
        })
        .ok()
}

fn target_of(
    b: &Value,
    kind: RestoreTarget,
    known: &mut bool,
    diags: &mut Diagnostics,
) -> Option<Target> {
    if !b.is_wholly_known() {
        *known = false;
        return None;
    }
    let at = attr::block_of(kind);
    let bad = |diags: &mut Diagnostics, e: InputError| {
        diags.error_at(path_of(kind, e.field), "Invalid Restore Target", e.message);
    };
    match kind {
        RestoreTarget::NewDisk => {
            let rg: ResourceGroupId = parse_at(b, t::TARGET_RESOURCE_GROUP_ID, at, known, diags)?;
            let name = b.get(t::TARGET_DISK_NAME).as_str()?;
            build::new_disk_id(&rg, name)
                .map(Target::Disk)
                .map_err(|e| bad(diags, e))
                .ok()
        }
        RestoreTarget::Files => {
            let container: BlobContainerId = parse_at(b, t::TARGET_CONTAINER_ID, at, known, diags)?;
            Some(Target::Files {
                container,
                prefix: b.get(t::FILE_PREFIX).as_str()?.to_string(),
            })
        }
        RestoreTarget::Containers => {
            let account: StorageAccountId =
                parse_at(b, t::TARGET_STORAGE_ACCOUNT_ID, at, known, diags)?;
            Some(Target::Containers {
                account,
                names: string_list(b.get(t::NAMES))?,
            })
        }
        RestoreTarget::InPlace => {
            let ranges = b
                .get(t::PREFIX_RANGE)
                .as_list()
                .unwrap_or_default()
                .iter()
                .filter_map(|r| {
                    Some(PrefixRange {
                        min: r.get(t::START).as_str()?.to_string(),
                        max: r.get(t::END).as_str()?.to_string(),
                    })
                })
                .collect();
            Some(Target::InPlace(ranges))
        }
        RestoreTarget::NewDatabase => {
            let database = parse_at(b, t::TARGET_DATABASE_ID, at, known, diags);
            let secret = parse_at(b, t::KEY_VAULT_SECRET_URI, at, known, diags);
            Some(Target::Database {
                database: database?,
                secret: secret?,
            })
        }
        RestoreTarget::Cluster => {
            let cluster = parse_at(b, t::TARGET_CLUSTER_ID, at, known, diags);
            let rg: Option<ResourceGroupId> =
                parse_at(b, t::STAGING_RESOURCE_GROUP_ID, at, known, diags);
            let sa: Option<StorageAccountId> =
                parse_at(b, t::STAGING_STORAGE_ACCOUNT_ID, at, known, diags);
            let staging = match (rg, sa) {
                (Some(rg), Some(sa)) => Some((rg, sa)),
                (None, None) => None,
                _ => {
                    let missing = if b.get(t::STAGING_RESOURCE_GROUP_ID).is_null() {
                        t::STAGING_RESOURCE_GROUP_ID
                    } else {
                        t::STAGING_STORAGE_ACCOUNT_ID
                    };
                    diags.error_at(
                        AttributePath::root(at).attr(missing),
                        "Incomplete Staging Location",
                        "A vault-tier AKS restore needs both `staging_resource_group_id` and `staging_storage_account_id`; an operational-tier restore neither.",
                    );
                    return None;
                }
            };
            Some(Target::Cluster {
                cluster: cluster?,
                what: ClusterRestore {
                    include_cluster_scope_resources: b
                        .get(t::INCLUDE_CLUSTER_SCOPE_RESOURCES)
                        .as_bool()
                        .unwrap_or(true),
                    included_namespaces: string_list(b.get(t::INCLUDED_NAMESPACES))
                        .unwrap_or_default(),
                    excluded_namespaces: string_list(b.get(t::EXCLUDED_NAMESPACES))
                        .unwrap_or_default(),
                    staging,
                },
            })
        }
        RestoreTarget::NewCosmosAccount => {
            let rg: ResourceGroupId = parse_at(b, t::TARGET_RESOURCE_GROUP_ID, at, known, diags)?;
            let name = b.get(t::TARGET_ACCOUNT_NAME).as_str()?;
            format!("{rg}/providers/Microsoft.DocumentDB/databaseAccounts/{name}")
                .parse::<CosmosDbAccountId>()
                .map(Target::CosmosDb)
                .map_err(|e| {
                    diags.error_at(
                        AttributePath::root(at).attr(t::TARGET_ACCOUNT_NAME),
                        "Invalid Restore Target",
                        format!("`{at}.{}`: {e}", t::TARGET_ACCOUNT_NAME),
                    )
                })
                .ok()
        }
        RestoreTarget::Volumes => {
            let group = parse_at(b, t::TARGET_VOLUME_GROUP_ID, at, known, diags)?;
            Some(Target::ElasticSan {
                group,
                volumes: string_list(b.get(t::VOLUMES))?,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANCE: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/disk-1";
    const OTHER: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/other";
    const RG: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data";

    fn disk_block() -> Value {
        Value::object([
            (t::TARGET_RESOURCE_GROUP_ID, Value::string(RG)),
            (t::TARGET_DISK_NAME, Value::string("disk-1-restored")),
        ])
    }

    fn config(extra: Vec<(&str, Value)>) -> Value {
        let mut v = Value::object([(attr::BACKUP_INSTANCE_ID, Value::string(INSTANCE))]);
        for (k, x) in extra {
            v.set(k, x);
        }
        v
    }

    fn errors_at(v: &Value) -> Vec<(String, String)> {
        let mut d = Diagnostics::new();
        let r = check(v, &mut d);
        assert!(r.is_none() || !d.has_errors());
        d.iter()
            .map(|x| (x.summary.clone(), format!("{:?}", x.attribute)))
            .collect()
    }

    #[test]
    fn a_disk_restore_by_name_or_arm_id_is_one_input() {
        for rp in ["abc123", &format!("{INSTANCE}/recoveryPoints/abc123")] {
            let v = config(vec![
                (attr::RECOVERY_POINT_ID, Value::string(rp)),
                (attr::DISK, disk_block()),
            ]);
            let mut d = Diagnostics::new();
            let i = check(&v, &mut d).expect("valid");
            assert!(d.is_empty());
            assert_eq!(i.source, Source::Point("abc123".into()));
            assert_eq!(
                i.target.restored_resource_id().unwrap(),
                format!("{RG}/providers/Microsoft.Compute/disks/disk-1-restored")
            );
        }
    }

    #[test]
    fn each_bad_input_is_an_error_on_its_attribute() {
        let cases: Vec<(Value, &str, &str)> = vec![
            (
                config(vec![
                    (attr::RECOVERY_POINT_ID, Value::string("a")),
                    (attr::POINT_IN_TIME, Value::string("2026-01-01T00:00:00Z")),
                    (attr::DISK, disk_block()),
                ]),
                "Conflicting Restore Sources",
                attr::POINT_IN_TIME,
            ),
            (
                config(vec![
                    (
                        attr::RECOVERY_POINT_ID,
                        Value::string(format!("{OTHER}/recoveryPoints/a")),
                    ),
                    (attr::DISK, disk_block()),
                ]),
                "Recovery Point of Another Instance",
                attr::RECOVERY_POINT_ID,
            ),
            (
                config(vec![(attr::DISK, disk_block())]),
                "Missing Restore Source",
                attr::RECOVERY_POINT_ID,
            ),
            (
                config(vec![
                    (attr::POINT_IN_TIME, Value::string("yesterday")),
                    (
                        attr::IN_PLACE,
                        Value::object([(t::PREFIX_RANGE, Value::List(vec![]))]),
                    ),
                ]),
                "Invalid Point in Time",
                attr::POINT_IN_TIME,
            ),
            (
                config(vec![
                    (attr::POINT_IN_TIME, Value::string("2026-01-01T00:00:00Z")),
                    (attr::DISK, disk_block()),
                ]),
                "Point in Time Needs an In-Place Restore",
                attr::POINT_IN_TIME,
            ),
            (
                config(vec![
                    (attr::RECOVERY_POINT_ID, Value::string("a")),
                    (attr::DELETE_RESTORED_TARGET, Value::bool(true)),
                    (
                        attr::CONTAINERS,
                        Value::object([
                            (
                                t::TARGET_STORAGE_ACCOUNT_ID,
                                Value::string(format!(
                                    "{RG}/providers/Microsoft.Storage/storageAccounts/st"
                                )),
                            ),
                            (t::NAMES, Value::List(vec![Value::string("data")])),
                        ]),
                    ),
                ]),
                "Nothing to Delete on Destroy",
                attr::DELETE_RESTORED_TARGET,
            ),
            (
                config(vec![
                    (attr::RECOVERY_POINT_ID, Value::string("a")),
                    (attr::DISK, disk_block()),
                    (
                        attr::COSMOS_DB,
                        Value::object([
                            (t::TARGET_RESOURCE_GROUP_ID, Value::string(RG)),
                            (t::TARGET_ACCOUNT_NAME, Value::string("c")),
                        ]),
                    ),
                ]),
                "Conflicting Restore Targets",
                attr::COSMOS_DB,
            ),
            (
                config(vec![
                    (attr::RECOVERY_POINT_ID, Value::string("a")),
                    (attr::JOB_ID, Value::string("x")),
                    (attr::DISK, disk_block()),
                ]),
                "Computed Attribute Set",
                attr::JOB_ID,
            ),
        ];
        for (v, summary, at) in cases {
            let got = errors_at(&v);
            assert!(
                got.iter().any(|(s, a)| s == summary && a.contains(at)),
                "{summary} on {at}: {got:?}"
            );
        }
    }

    /// Two `dynamic` target blocks whose `for_each` is unknown at validate: no conflict yet.
    #[test]
    fn dynamic_blocks_not_yet_known_are_no_conflict() {
        let unknown_block = Value::object([
            (t::TARGET_RESOURCE_GROUP_ID, Value::Unknown),
            (t::TARGET_DISK_NAME, Value::Unknown),
        ]);
        let files = Value::object([
            (t::TARGET_CONTAINER_ID, Value::Unknown),
            (t::FILE_PREFIX, Value::Unknown),
        ]);
        let v = config(vec![
            (attr::RECOVERY_POINT_ID, Value::string("a")),
            (attr::DISK, unknown_block),
            (attr::FILES, files),
        ]);
        let mut d = Diagnostics::new();
        assert!(check(&v, &mut d).is_none());
        assert!(
            d.is_empty(),
            "{:?}",
            d.iter().map(|x| &x.summary).collect::<Vec<_>>()
        );
    }

    #[test]
    fn unknown_inputs_are_not_errors_and_skip_the_request() {
        let v = config(vec![
            (attr::RECOVERY_POINT_ID, Value::Unknown),
            (attr::DISK, disk_block()),
        ]);
        let mut d = Diagnostics::new();
        assert!(check(&v, &mut d).is_none());
        assert!(d.is_empty(), "{:?}", d.iter().collect::<Vec<_>>());
        let v = config(vec![
            (attr::RECOVERY_POINT_ID, Value::string("a")),
            (attr::DISK, Value::Unknown),
        ]);
        let mut d = Diagnostics::new();
        assert!(check(&v, &mut d).is_none());
        assert!(d.is_empty());
    }
}
