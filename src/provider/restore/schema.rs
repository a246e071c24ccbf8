//! The `azurebackup_restore` schema, and every attribute name as a constant: the rest of the
//! resource names attributes only through these.

use std::time::Duration;

use crate::azure::catalogue::RestoreTarget;
use crate::tfplugin::{Attribute, Block, NestedBlock, Nesting, Schema, Type};

pub const ID: &str = "id";
pub const BACKUP_INSTANCE_ID: &str = "backup_instance_id";
pub const RECOVERY_POINT_ID: &str = "recovery_point_id";
pub const POINT_IN_TIME: &str = "point_in_time";
pub const DELETE_RESTORED_TARGET: &str = "delete_restored_target";
pub const JOB_ID: &str = "job_id";
pub const JOB_STATUS: &str = "job_status";
pub const START_TIME: &str = "start_time";
pub const END_TIME: &str = "end_time";
pub const RESTORED_RESOURCE_ID: &str = "restored_resource_id";
pub const TIMEOUTS: &str = "timeouts";

/// The target blocks, one per [`RestoreTarget`].
pub const DISK: &str = "disk";
pub const FILES: &str = "files";
pub const CONTAINERS: &str = "containers";
pub const IN_PLACE: &str = "in_place";
pub const DATABASE: &str = "database";
pub const CLUSTER: &str = "cluster";
pub const COSMOS_DB: &str = "cosmos_db";
pub const ELASTIC_SAN: &str = "elastic_san";

/// Attributes of the target blocks.
pub mod t {
    pub const TARGET_RESOURCE_GROUP_ID: &str = "target_resource_group_id";
    pub const TARGET_DISK_NAME: &str = "target_disk_name";
    pub const TARGET_CONTAINER_ID: &str = "target_container_id";
    pub const FILE_PREFIX: &str = "file_prefix";
    pub const TARGET_STORAGE_ACCOUNT_ID: &str = "target_storage_account_id";
    pub const NAMES: &str = "names";
    pub const PREFIX_RANGE: &str = "prefix_range";
    pub const START: &str = "start";
    pub const END: &str = "end";
    pub const TARGET_DATABASE_ID: &str = "target_database_id";
    pub const KEY_VAULT_SECRET_URI: &str = "key_vault_secret_uri";
    pub const TARGET_CLUSTER_ID: &str = "target_cluster_id";
    pub const INCLUDE_CLUSTER_SCOPE_RESOURCES: &str = "include_cluster_scope_resources";
    pub const INCLUDED_NAMESPACES: &str = "included_namespaces";
    pub const EXCLUDED_NAMESPACES: &str = "excluded_namespaces";
    pub const STAGING_RESOURCE_GROUP_ID: &str = "staging_resource_group_id";
    pub const STAGING_STORAGE_ACCOUNT_ID: &str = "staging_storage_account_id";
    pub const TARGET_ACCOUNT_NAME: &str = "target_account_name";
    pub const TARGET_VOLUME_GROUP_ID: &str = "target_volume_group_id";
    pub const VOLUMES: &str = "volumes";
}

/// The attributes of the `timeouts` block.
pub mod timeouts {
    pub const CREATE: &str = "create";
    pub const READ: &str = "read";
    pub const DELETE: &str = "delete";
}

pub const DEFAULT_CREATE: Duration = Duration::from_secs(2 * 3600);
pub const DEFAULT_READ: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_DELETE: Duration = Duration::from_secs(30 * 60);

/// What the restore reports: never set by the user.
pub const COMPUTED_ONLY: &[&str] = &[
    ID,
    JOB_ID,
    JOB_STATUS,
    START_TIME,
    END_TIME,
    RESTORED_RESOURCE_ID,
];
/// Settings of the provider's own behaviour: changing them is an in-place update that calls no
/// Azure API. Everything else forces a new restore.
pub const PROVIDER_SIDE: &[&str] = &[DELETE_RESTORED_TARGET, TIMEOUTS];

/// The block of each restore target.
pub const TARGET_BLOCKS: &[(&str, RestoreTarget)] = &[
    (DISK, RestoreTarget::NewDisk),
    (FILES, RestoreTarget::Files),
    (CONTAINERS, RestoreTarget::Containers),
    (IN_PLACE, RestoreTarget::InPlace),
    (DATABASE, RestoreTarget::NewDatabase),
    (CLUSTER, RestoreTarget::Cluster),
    (COSMOS_DB, RestoreTarget::NewCosmosAccount),
    (ELASTIC_SAN, RestoreTarget::Volumes),
];

pub fn block_of(target: RestoreTarget) -> &'static str {
    TARGET_BLOCKS
        .iter()
        .find(|(_, t)| *t == target)
        .map(|(b, _)| *b)
        .unwrap_or(DISK)
}

fn single(name: &str, description: &str, attributes: Vec<Attribute>) -> NestedBlock {
    single_with(name, description, attributes, Vec::new())
}

fn single_with(
    name: &str,
    description: &str,
    attributes: Vec<Attribute>,
    blocks: Vec<NestedBlock>,
) -> NestedBlock {
    NestedBlock {
        type_name: name.into(),
        nesting: Nesting::Single,
        block: Block {
            description: format!("{description} Changing it starts a new restore."),
            attributes,
            blocks,
            deprecated: false,
        },
        min_items: 0,
        max_items: 0,
    }
}

fn req(name: &str, doc: &str) -> Attribute {
    Attribute::required(name, Type::String).description(doc)
}

fn strings() -> Type {
    Type::List(Box::new(Type::String))
}

fn target_blocks() -> Vec<NestedBlock> {
    vec![
        single(DISK, "Managed disks: restore to a **new** disk in the source disk's region (Azure refuses a name that exists).", vec![
            req(t::TARGET_RESOURCE_GROUP_ID, "The ARM ID of the resource group the new disk goes into. The vault's identity needs `Disk Restore Operator` on it."),
            req(t::TARGET_DISK_NAME, "The name of the new disk (1-80 letters, digits, `_`, `-`, `.`)."),
        ]),
        single(FILES, "PostgreSQL and MySQL flexible servers (and PostgreSQL single-server databases): restore the backup as files (database dumps) into an existing blob container. The vault's identity needs `Storage Blob Data Contributor` on the container (or its account).", vec![
            req(t::TARGET_CONTAINER_ID, "The ARM ID of the blob container (`{storage account ID}/blobServices/default/containers/{name}`)."),
            req(t::FILE_PREFIX, "The prefix of the files' names (1-200 characters, no `/ \\ ? #`); a file of that name that exists fails the restore."),
        ]),
        single(CONTAINERS, "Vaulted blob and Data Lake Storage backups: restore containers into an existing storage account (the same or another). The vault's identity needs `Storage Account Backup Contributor` on it.", vec![
            req(t::TARGET_STORAGE_ACCOUNT_ID, "The ARM ID of the storage account to restore into (for Data Lake Storage, one with a hierarchical namespace)."),
            Attribute::required(t::NAMES, strings()).description("The containers of the backup to restore (each must not exist in the target account)."),
        ]),
        single_with(IN_PLACE, "Operational blob backups: restore the protected storage account **in place** to `point_in_time` — the whole account, or only the blobs in `prefix_range` blocks.", vec![], vec![NestedBlock {
            type_name: t::PREFIX_RANGE.into(),
            nesting: Nesting::List,
            block: Block {
                description: "A range of blob names (`container/prefix`) to restore; up to 10.".into(),
                attributes: vec![
                    req(t::START, "The first name of the range, e.g. `logs/2026`."),
                    req(t::END, "The last name of the range, e.g. `logs/2026-12`."),
                ],
                ..Default::default()
            },
            min_items: 0,
            max_items: 10,
        }]),
        single(DATABASE, "PostgreSQL single-server databases: restore to a **new** database on an existing server, which the service reaches with the connection string in a Key Vault secret.", vec![
            req(t::TARGET_DATABASE_ID, "The ARM ID of the new database (`.../servers/{server}/databases/{name}`)."),
            req(t::KEY_VAULT_SECRET_URI, "The URI of the Key Vault secret holding the target server's connection string (`https://{vault}.vault.azure.net/secrets/{name}`)."),
        ]),
        single(CLUSTER, "AKS clusters: restore namespaces into an existing cluster (the source or another).", vec![
            req(t::TARGET_CLUSTER_ID, "The ARM ID of the AKS cluster to restore into."),
            Attribute::optional(t::INCLUDE_CLUSTER_SCOPE_RESOURCES, Type::Bool).description("Whether cluster-scoped resources are restored. Defaults to `true`."),
            Attribute::optional(t::INCLUDED_NAMESPACES, strings()).description("Namespaces to restore; all when unset."),
            Attribute::optional(t::EXCLUDED_NAMESPACES, strings()).description("Namespaces to leave out."),
            Attribute::optional(t::STAGING_RESOURCE_GROUP_ID, Type::String).description("For a vault-tier recovery point: the resource group where the service stages the restore. Set it together with `staging_storage_account_id`."),
            Attribute::optional(t::STAGING_STORAGE_ACCOUNT_ID, Type::String).description("For a vault-tier recovery point: the storage account where the service stages the restore."),
        ]),
        single(COSMOS_DB, "Cosmos DB accounts: restore to a **new** account in the source's region.", vec![
            req(t::TARGET_RESOURCE_GROUP_ID, "The ARM ID of the resource group of the new account."),
            req(t::TARGET_ACCOUNT_NAME, "The name of the new Cosmos DB account."),
        ]),
        single(ELASTIC_SAN, "Elastic SAN volume groups: restore volumes into an existing volume group.", vec![
            req(t::TARGET_VOLUME_GROUP_ID, "The ARM ID of the volume group to restore into."),
            Attribute::required(t::VOLUMES, strings()).description("The volumes of the backup to restore (each must not exist in the group)."),
        ]),
    ]
}

pub fn schema() -> Schema {
    let s = Type::String;
    let attributes = vec![
        Attribute::computed(ID, s.clone()).description("The ARM ID of the restore job (`{vault}/backupJobs/{guid}`)."),
        Attribute::required(BACKUP_INSTANCE_ID, s.clone()).description("The ARM ID of the backup instance to restore from, e.g. `azurebackup_instance.disk.id`. Changing it starts a new restore."),
        Attribute::optional_computed(RECOVERY_POINT_ID, s.clone()).description("The recovery point to restore (its name, e.g. `data.azurebackup_recovery_points.disk.latest.id`). Exactly one of `recovery_point_id` and `point_in_time`. With `point_in_time`, the point the service reports having used, if any. Changing it starts a new restore."),
        Attribute::optional(POINT_IN_TIME, s.clone()).description("Operational blob backups only: the time to restore to (RFC 3339, e.g. `2026-12-01T08:00:00Z`), within the instance's restorable time ranges (`azurebackup_restorable_time_ranges`). Exactly one of `recovery_point_id` and `point_in_time`. Changing it starts a new restore."),
        Attribute::optional(DELETE_RESTORED_TARGET, Type::Bool).description("What a destroy does. `false` (default): the restore is only removed from Terraform state; what it restored stays. `true`: the destroy also deletes the new disk the restore made (a drill that cleans up after itself); only for `disk` restores, and only once the job completed — it never deletes a disk the restore did not create. Like every destroy setting, the value in state decides: apply a change before destroying. Changing it changes nothing in Azure."),
        Attribute::computed(JOB_ID, s.clone()).description("The GUID of the restore job (Backup center, `az dataprotection job show`)."),
        Attribute::computed(JOB_STATUS, s.clone()).description("The job's status as Azure reports it: `Completed` (or `CompletedWithWarnings`) after a successful apply; a refresh follows the job."),
        Attribute::computed(START_TIME, s.clone()).description("When the job started (RFC 3339)."),
        Attribute::computed(END_TIME, s.clone()).description("When the job ended (RFC 3339); null while it runs."),
        Attribute::computed(RESTORED_RESOURCE_ID, s).description("The ARM ID of the resource the restore made (the new disk, database or Cosmos DB account); null for restores into something that exists (files, containers, in place, a cluster, volumes)."),
    ];
    let timeout = |name: &str, what: &str, default: &str| {
        Attribute::optional(name, Type::String).description(format!(
            "How long {what}, as a duration like `30m` or `2h`. Defaults to `{default}`."
        ))
    };
    let timeouts = NestedBlock {
        type_name: TIMEOUTS.into(),
        nesting: Nesting::Single,
        block: Block {
            description: "How long each operation may take. Changing it changes nothing in Azure."
                .into(),
            attributes: vec![
                timeout(
                    timeouts::CREATE,
                    "the restore (its trigger and its job) may take",
                    "2h",
                ),
                timeout(timeouts::READ, "a refresh may take", "5m"),
                timeout(
                    timeouts::DELETE,
                    "a destroy may take (deleting the restored disk)",
                    "30m",
                ),
            ],
            ..Default::default()
        },
        min_items: 0,
        max_items: 0,
    };
    let mut blocks = target_blocks();
    blocks.push(timeouts);
    Schema {
        version: 0,
        block: Block {
            description: format!(
                "Restores a backup instance from Azure Backup: one restore job, from a recovery point (or a point in time), to the target that one block names. At `plan` the service's `validateRestore` checks the restore (a finding that may change before apply — a role not yet granted, a target about to be deleted — is a warning; one that cannot — a recovery point of another instance, a target of the wrong kind — is an error); `apply` starts the restore and waits for its job. The resource then records the restore: a destroy forgets it (`delete_restored_target` also deletes a restored disk), and every argument forces a new restore. Use it in a restore drill (`examples/modules/restore-drill`), run by `terraform test`.\n\n{}",
                targets_table()
            ),
            attributes,
            blocks,
            deprecated: false,
        },
    }
}

/// Which block each kind takes, from the catalogue.
pub fn targets_table() -> String {
    use crate::azure::catalogue::CATALOGUE;
    let mut t = String::from("| Kind | Target blocks | From |\n|---|---|---|\n");
    for e in CATALOGUE {
        let blocks: Vec<String> = e
            .restores
            .iter()
            .map(|r| format!("`{}`", block_of(*r)))
            .collect();
        let from = if e.restores.contains(&RestoreTarget::InPlace) {
            "`point_in_time` (in place), `recovery_point_id` (containers)"
        } else {
            "`recovery_point_id`"
        };
        t.push_str(&format!(
            "| {} | {} | {from} |\n",
            e.plural,
            blocks.join(", ")
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_has_one_block_and_every_block_is_in_the_schema() {
        let s = schema();
        for (name, target) in TARGET_BLOCKS {
            assert!(s.block.find_block(name).is_some(), "{name}");
            assert_eq!(block_of(*target), *name);
        }
        for a in COMPUTED_ONLY
            .iter()
            .chain([RECOVERY_POINT_ID, POINT_IN_TIME].iter())
        {
            assert!(s.block.find_attribute(a).is_some(), "{a}");
        }
        for e in crate::azure::catalogue::CATALOGUE {
            assert!(!e.restores.is_empty(), "{} has no restore target", e.noun);
        }
    }
}
