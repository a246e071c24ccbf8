//! The `azurebackup_instance` schema, and every attribute name as a constant: the rest of the
//! resource names attributes only through these.

use std::time::Duration;

use crate::azure::catalogue::Input;
use crate::tfplugin::{Attribute, Block, NestedBlock, Nesting, Schema, Type};

pub const ID: &str = "id";
pub const VAULT_ID: &str = "vault_id";
pub const DATASOURCE_ID: &str = "datasource_id";
pub const LOCATION: &str = "location";
pub const POLICY_ID: &str = "policy_id";
pub const SNAPSHOT_RESOURCE_GROUP_ID: &str = "snapshot_resource_group_id";
pub const KEY_VAULT_SECRET_URI: &str = "key_vault_secret_uri";
pub const NAME: &str = "name";
pub const FRIENDLY_NAME: &str = "friendly_name";
pub const TAGS: &str = "tags";
pub const DATASOURCE_TYPE: &str = "datasource_type";
pub const PROTECTION_STATE: &str = "protection_state";
pub const PROTECTION_STATUS: &str = "protection_status";
pub const PROVISIONING_STATE: &str = "provisioning_state";
pub const TIMEOUTS: &str = "timeouts";
pub const PROTECTION_MODE: &str = "protection_mode";
pub const DESTROY_BEHAVIOR: &str = "destroy_behavior";
pub const RECOVER_SOFT_DELETED: &str = "recover_soft_deleted";
pub const USER_ASSIGNED_IDENTITY_ID: &str = "user_assigned_identity_id";

/// The values of `protection_mode`, each named after the protection state it leads to (except
/// `Protected`, which is `ProtectionConfigured`).
pub mod mode {
    pub const PROTECTED: &str = "Protected";
    pub const BACKUPS_SUSPENDED: &str = "BackupsSuspended";
    pub const PROTECTION_STOPPED: &str = "ProtectionStopped";
    pub const ALL: &[&str] = &[PROTECTED, BACKUPS_SUSPENDED, PROTECTION_STOPPED];
}

/// The values of `destroy_behavior`.
pub mod destroy {
    pub const DELETE: &str = "Delete";
    pub const STOP_PROTECTION_RETAIN_DATA: &str = "StopProtectionRetainData";
    pub const ALL: &[&str] = &[DELETE, STOP_PROTECTION_RETAIN_DATA];
}

/// The attributes of the `timeouts` block.
pub mod timeouts {
    pub const CREATE: &str = "create";
    pub const READ: &str = "read";
    pub const UPDATE: &str = "update";
    pub const DELETE: &str = "delete";
}

pub const DEFAULT_CREATE: Duration = Duration::from_secs(30 * 60);
pub const DEFAULT_READ: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_UPDATE: Duration = Duration::from_secs(30 * 60);
pub const DEFAULT_DELETE: Duration = Duration::from_secs(30 * 60);

/// Attributes the user may not set: Terraform 1.0 does not reject them, so we must.
pub const COMPUTED_ONLY: &[&str] = &[
    ID,
    DATASOURCE_TYPE,
    PROTECTION_STATE,
    PROTECTION_STATUS,
    PROVISIONING_STATE,
];
/// What Azure reports about the instance's state: unknown whenever Azure is called.
pub const OBSERVED: &[&str] = &[PROTECTION_STATE, PROTECTION_STATUS, PROVISIONING_STATE];
/// Changing any of these means a new backup instance.
pub const REPLACE: &[&str] = &[VAULT_ID, DATASOURCE_ID, NAME, LOCATION];
/// Changing any of these is a PUT on the existing instance.
pub const IN_PLACE: &[&str] = &[
    POLICY_ID,
    SNAPSHOT_RESOURCE_GROUP_ID,
    KEY_VAULT_SECRET_URI,
    FRIENDLY_NAME,
    TAGS,
    USER_ASSIGNED_IDENTITY_ID,
];
/// Settings kept in state only (how the provider behaves); changing them calls no Azure API.
pub const PROVIDER_SIDE: &[&str] = &[DESTROY_BEHAVIOR, RECOVER_SOFT_DELETED];
/// The user's inputs: only when all are known can the request body be built.
pub const INPUTS: &[&str] = &[
    VAULT_ID,
    DATASOURCE_ID,
    LOCATION,
    POLICY_ID,
    SNAPSHOT_RESOURCE_GROUP_ID,
    KEY_VAULT_SECRET_URI,
    NAME,
    TAGS,
    TIMEOUTS,
    PROTECTION_MODE,
    DESTROY_BEHAVIOR,
    RECOVER_SOFT_DELETED,
    USER_ASSIGNED_IDENTITY_ID,
];

/// The attribute that carries a kind-specific catalogue input.
pub fn attribute_of(input: Input) -> &'static str {
    match input {
        Input::SnapshotResourceGroup => SNAPSHOT_RESOURCE_GROUP_ID,
        Input::KeyVaultSecret => KEY_VAULT_SECRET_URI,
    }
}

pub fn schema() -> Schema {
    let s = Type::String;
    let attributes = vec![
        Attribute::computed(ID, s.clone()).description("The ARM ID of the backup instance (`.../backupVaults/{vault}/backupInstances/{name}`)."),
        Attribute::required(VAULT_ID, s.clone()).requires_replace().description("The ARM ID of the Backup vault that holds the instance. Changing it creates a new instance."),
        Attribute::required(DATASOURCE_ID, s.clone()).requires_replace().description("The ARM ID of what to protect: a managed disk (`Microsoft.Compute/disks`), a PostgreSQL single-server database (`Microsoft.DBforPostgreSQL/servers/{server}/databases/{db}`) or a PostgreSQL flexible server (`Microsoft.DBforPostgreSQL/flexibleServers`). The datasource kind is derived from it. Changing it creates a new instance."),
        Attribute::required(LOCATION, s.clone()).requires_replace().description("The Azure region of the datasource, e.g. `westeurope`. Changing it creates a new instance."),
        Attribute::required(POLICY_ID, s.clone()).description("The ARM ID of the backup policy; it must belong to `vault_id` and be made for the datasource's kind. Can be changed in place."),
        Attribute::optional(SNAPSHOT_RESOURCE_GROUP_ID, s.clone()).description("Managed disks only, and required for them: the ARM ID of the resource group where operational-tier snapshots are kept. The vault's identity needs `Disk Snapshot Contributor` on it."),
        Attribute::optional(KEY_VAULT_SECRET_URI, s.clone()).description("PostgreSQL single-server databases only: the URI of the Key Vault secret holding the connection string (`https://{vault}.vault.azure.net/secrets/{name}`). Not available with `api_version = \"2021-01-01\"`."),
        Attribute::optional_computed(NAME, s.clone()).requires_replace().description("The name of the backup instance. Defaults to `{datasource name}-{UUIDv5 of the vault and datasource IDs}`, so a create retried after a crash finds the same instance instead of making a second one. Changing it creates a new instance."),
        Attribute::optional_computed(FRIENDLY_NAME, s.clone()).description("A display name for the instance. Defaults to what the service chooses."),
        Attribute::optional(TAGS, Type::Map(Box::new(Type::String))).description("Tags on the backup instance. Not available with `api_version = \"2021-01-01\"`."),
        Attribute::optional_computed(PROTECTION_MODE, s.clone()).description("What the instance does: `Protected` (default; backups run by the policy), `BackupsSuspended` (no new backups; recovery points expire by the policy, except the latest, which is kept) or `ProtectionStopped` (no new backups; every recovery point is kept for ever). Changed in place with Azure's suspendBackups / stopProtection / resumeBackups / resumeProtection; apply waits until `protection_state` agrees. A policy change is accepted in any mode."),
        Attribute::optional_computed(DESTROY_BEHAVIOR, s.clone()).description("What `terraform destroy` (or removing the resource) does: `Delete` (default) deletes the instance; in a vault with soft delete on, Azure keeps it soft-deleted for the vault's retention days, and a later create of the same instance recovers it (see `recover_soft_deleted`). `StopProtectionRetainData` does **not** delete anything: it stops protection, keeps every recovery point, and only removes the instance from Terraform state; it stays in Azure in `ProtectionStopped` (and keeps costing storage) until you delete it there."),
        Attribute::optional_computed(RECOVER_SOFT_DELETED, Type::Bool).description("When a create meets a soft-deleted instance in the same vault (same name, or the same datasource), undelete it, resume protection, bring it to this configuration's policy and `protection_mode`, and adopt it. Defaults to `true`. With `false` the create fails, naming the soft-deleted instance and its scheduled purge time."),
        Attribute::optional(USER_ASSIGNED_IDENTITY_ID, s.clone()).description("The ARM ID of a user-assigned managed identity attached to the vault, used instead of the vault's system-assigned identity (sent as `identityDetails`). The identity needs the roles the datasource kind requires. Not available with `api_version = \"2021-01-01\"`. Can be changed in place."),
        Attribute::computed(DATASOURCE_TYPE, s.clone()).description("The datasource type derived from `datasource_id`, e.g. `Microsoft.Compute/disks`."),
        Attribute::computed(PROTECTION_STATE, s.clone()).description("The instance's current protection state as Azure reports it (`currentProtectionState`), e.g. `ProtectionConfigured`."),
        Attribute::computed(PROTECTION_STATUS, s.clone()).description("The instance's protection status (`protectionStatus.status`), e.g. `ProtectionConfigured`."),
        Attribute::computed(PROVISIONING_STATE, s).description("The ARM provisioning state, e.g. `Succeeded`."),
    ];
    let timeout = |name: &str, default: &str| {
        Attribute::optional(name, Type::String).description(format!("How long to wait for the {name} to finish, as a duration like `30m` or `1h`. Defaults to `{default}`."))
    };
    let timeouts = NestedBlock {
        type_name: TIMEOUTS.into(),
        nesting: Nesting::Single,
        block: Block {
            description: "How long each operation may take.".into(),
            attributes: vec![
                timeout(timeouts::CREATE, "30m"),
                timeout(timeouts::READ, "5m"),
                timeout(timeouts::UPDATE, "30m"),
                timeout(timeouts::DELETE, "30m"),
            ],
            ..Default::default()
        },
        min_items: 0,
        max_items: 0,
    };
    Schema {
        version: 0,
        block: Block {
            description: "Protects an Azure resource with Azure Backup: a backup instance in a Backup vault (Data Protection API). Supports managed disks, PostgreSQL single-server databases and PostgreSQL flexible servers.\n\nAt `plan`, new instances are checked with the service's `validateForBackup`; `apply` creates the instance, waits for the asynchronous operation and then for protection to be configured.".into(),
            attributes,
            blocks: vec![timeouts],
            deprecated: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constants name exactly the schema's attributes, and every catalogue input has one.
    #[test]
    fn constants_match_the_schema() {
        let s = schema();
        let names: Vec<&str> = s.block.attributes.iter().map(|a| a.name.as_str()).collect();
        for group in [
            COMPUTED_ONLY,
            REPLACE,
            IN_PLACE,
            INPUTS,
            OBSERVED,
            PROVIDER_SIDE,
        ] {
            for a in group {
                assert!(names.contains(a) || *a == TIMEOUTS, "{a} not in schema");
            }
        }
        for input in Input::ALL {
            assert!(names.contains(&attribute_of(*input)));
        }
        assert_eq!(s.block.blocks[0].type_name, TIMEOUTS);
    }
}
