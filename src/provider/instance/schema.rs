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
pub const PROTECTION_ERROR_CODE: &str = "protection_error_code";
pub const PROTECTION_ERROR_MESSAGE: &str = "protection_error_message";
pub const TIMEOUTS: &str = "timeouts";
pub const PROTECTION_MODE: &str = "protection_mode";
pub const DESTROY_BEHAVIOR: &str = "destroy_behavior";
pub const RECOVER_SOFT_DELETED: &str = "recover_soft_deleted";
pub const USER_ASSIGNED_IDENTITY_ID: &str = "user_assigned_identity_id";
pub const CONTAINERS: &str = "containers";
pub const VOLUME_NAME: &str = "volume_name";
/// The AKS settings block; its attributes are in [`kubernetes`].
pub const KUBERNETES: &str = "kubernetes";

/// The attributes of the `kubernetes` block (`KubernetesClusterBackupDatasourceParameters`).
pub mod kubernetes {
    pub const INCLUDED_NAMESPACES: &str = "included_namespaces";
    pub const EXCLUDED_NAMESPACES: &str = "excluded_namespaces";
    pub const INCLUDED_RESOURCE_TYPES: &str = "included_resource_types";
    pub const EXCLUDED_RESOURCE_TYPES: &str = "excluded_resource_types";
    pub const LABEL_SELECTORS: &str = "label_selectors";
    pub const INCLUDE_CLUSTER_SCOPE_RESOURCES: &str = "include_cluster_scope_resources";
    pub const SNAPSHOT_VOLUMES: &str = "snapshot_volumes";
    pub const INCLUDED_VOLUME_TYPES: &str = "included_volume_types";
    pub const BACKUP_HOOK_REFERENCES: &str = "backup_hook_references";
    /// The string lists of the block, in schema order.
    pub const LISTS: &[&str] = &[
        INCLUDED_NAMESPACES,
        EXCLUDED_NAMESPACES,
        INCLUDED_RESOURCE_TYPES,
        EXCLUDED_RESOURCE_TYPES,
        LABEL_SELECTORS,
        INCLUDED_VOLUME_TYPES,
    ];
    /// The switches of the block, both `true` unless set (the service's defaults).
    pub const SWITCHES: &[&str] = &[INCLUDE_CLUSTER_SCOPE_RESOURCES, SNAPSHOT_VOLUMES];
    /// `backup_hook_references` entries: `{ name, namespace }`.
    pub const HOOK_NAME: &str = "name";
    pub const HOOK_NAMESPACE: &str = "namespace";
    /// The values `included_volume_types` takes.
    pub const VOLUME_TYPES: &[&str] = &["AzureDisk", "AzureFileShareSMB"];
}

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

pub const PROTECTION_ERROR_CODE_DOC: &str = "The code of the error that keeps the instance from being protected (`protectionErrorDetails`, e.g. `UserErrorMissingRequiredPermissions` after a role was removed), as Azure reports it; null when there is no error. After fixing the cause, run the `azurebackup_sync_instance` action (or wait for the next backup).";
pub const PROTECTION_ERROR_MESSAGE_DOC: &str = "The message of that error, with Azure's recommended action when it gives one; null when there is no error.";

pub const DEFAULT_CREATE: Duration = Duration::from_secs(30 * 60);
pub const DEFAULT_READ: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_UPDATE: Duration = Duration::from_secs(30 * 60);
pub const DEFAULT_DELETE: Duration = Duration::from_secs(30 * 60);

/// Attributes the user may not set: Terraform 1.0 does not reject them, so we must.
pub const COMPUTED_ONLY: &[&str] = &[
    ID,
    PROTECTION_STATE,
    PROTECTION_STATUS,
    PROVISIONING_STATE,
    PROTECTION_ERROR_CODE,
    PROTECTION_ERROR_MESSAGE,
];
/// What Azure reports about the instance's state: unknown whenever Azure is called.
pub const OBSERVED: &[&str] = &[
    PROTECTION_STATE,
    PROTECTION_STATUS,
    PROVISIONING_STATE,
    PROTECTION_ERROR_CODE,
    PROTECTION_ERROR_MESSAGE,
];
/// Changing any of these means a new backup instance.
pub const REPLACE: &[&str] = &[
    VAULT_ID,
    DATASOURCE_ID,
    NAME,
    LOCATION,
    DATASOURCE_TYPE,
    VOLUME_NAME,
];
/// Changing any of these is a PUT on the existing instance.
pub const IN_PLACE: &[&str] = &[
    POLICY_ID,
    SNAPSHOT_RESOURCE_GROUP_ID,
    KEY_VAULT_SECRET_URI,
    FRIENDLY_NAME,
    TAGS,
    USER_ASSIGNED_IDENTITY_ID,
    CONTAINERS,
    KUBERNETES,
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
    DATASOURCE_TYPE,
    CONTAINERS,
    VOLUME_NAME,
    KUBERNETES,
];

/// The attribute that carries a kind-specific catalogue input.
pub fn attribute_of(input: Input) -> &'static str {
    match input {
        Input::SnapshotResourceGroup => SNAPSHOT_RESOURCE_GROUP_ID,
        Input::KeyVaultSecret => KEY_VAULT_SECRET_URI,
        Input::Containers => CONTAINERS,
        Input::Kubernetes => KUBERNETES,
        Input::VolumeName => VOLUME_NAME,
    }
}

pub fn schema() -> Schema {
    let s = Type::String;
    let attributes = vec![
        Attribute::computed(ID, s.clone()).description("The ARM ID of the backup instance (`.../backupVaults/{vault}/backupInstances/{name}`)."),
        Attribute::required(VAULT_ID, s.clone()).requires_replace().description("The ARM ID of the Backup vault that holds the instance. Changing it creates a new instance."),
        Attribute::required(DATASOURCE_ID, s.clone()).requires_replace().description("The ARM ID of what to protect; the datasource kind is derived from it (see the table of kinds above). A storage account is protected as blobs unless `datasource_type` is `\"Microsoft.Storage/storageAccounts/adlsBlobServices\"` (Data Lake Storage). Changing it creates a new instance."),
        Attribute::required(LOCATION, s.clone()).requires_replace().description("The Azure region of the datasource, e.g. `westeurope`. Changing it creates a new instance."),
        Attribute::required(POLICY_ID, s.clone()).description("The ARM ID of the backup policy; it must belong to `vault_id` and be made for the datasource's kind. Can be changed in place."),
        Attribute::optional(SNAPSHOT_RESOURCE_GROUP_ID, s.clone()).description("Managed disks, AKS clusters and Elastic SAN volume groups only, and required for them: the ARM ID of the resource group where operational-tier snapshots are kept. See the table of kinds for the roles needed on it. Can be changed in place."),
        Attribute::optional(KEY_VAULT_SECRET_URI, s.clone()).description("PostgreSQL single-server databases only: the URI of the Key Vault secret holding the connection string (`https://{vault}.vault.azure.net/secrets/{name}`). Not available with `api_version = \"2021-01-01\"`."),
        Attribute::optional_computed(NAME, s.clone()).requires_replace().description("The name of the backup instance. Defaults to `{datasource name}-{UUIDv5 of the vault and datasource IDs}`, so a create retried after a crash finds the same instance instead of making a second one. Changing it creates a new instance."),
        Attribute::optional_computed(FRIENDLY_NAME, s.clone()).description("A display name for the instance. Defaults to what the service chooses."),
        Attribute::optional(TAGS, Type::Map(Box::new(Type::String))).description("Tags on the backup instance. Not available with `api_version = \"2021-01-01\"`."),
        Attribute::optional_computed(PROTECTION_MODE, s.clone()).description("What the instance does: `Protected` (default; backups run by the policy), `BackupsSuspended` (no new backups; recovery points expire by the policy, except the latest, which is kept) or `ProtectionStopped` (no new backups; every recovery point is kept for ever). Changed in place with Azure's suspendBackups / stopProtection / resumeBackups / resumeProtection; apply waits until `protection_state` agrees. A policy change is accepted in any mode."),
        Attribute::optional_computed(DESTROY_BEHAVIOR, s.clone()).description("What `terraform destroy` (or removing the resource) does: `Delete` (default) deletes the instance; in a vault with soft delete on, Azure keeps it soft-deleted for the vault's retention days, and a later create of the same instance recovers it (see `recover_soft_deleted`). `StopProtectionRetainData` does **not** delete anything: it stops protection, keeps every recovery point, and only removes the instance from Terraform state; it stays in Azure in `ProtectionStopped` (and keeps costing storage) until you delete it there. **A destroy uses the value in state, not in the configuration** (Terraform gives a destroy no configuration): after changing it, run `terraform apply` before `terraform destroy`, or the old value decides — a plan that changes it towards `StopProtectionRetainData` warns so, and a destroy plan that will delete says so (with the vault's soft-delete retention). A replacement (e.g. of `name` or `vault_id`) with `StopProtectionRetainData` in state is refused at plan: the kept old instance would still hold the datasource. An import of a stopped or suspended instance sets `StopProtectionRetainData`."),
        Attribute::optional_computed(RECOVER_SOFT_DELETED, Type::Bool).description("When a create meets a soft-deleted instance in the same vault (same name, or the same datasource), undelete it, resume protection, bring it to this configuration's policy and `protection_mode`, and adopt it. Defaults to `true`. With `false` the create fails, naming the soft-deleted instance and its scheduled purge time."),
        Attribute::optional(USER_ASSIGNED_IDENTITY_ID, s.clone()).description("The ARM ID of a user-assigned managed identity attached to the vault, used instead of the vault's system-assigned identity (sent as `identityDetails`). The identity needs the roles the datasource kind requires. Not available with `api_version = \"2021-01-01\"`. Can be changed in place."),
        Attribute::optional_computed(DATASOURCE_TYPE, s.clone()).requires_replace().description("The datasource type, e.g. `Microsoft.Compute/disks`. Derived from `datasource_id` unless set; set it only to protect a storage account as Data Lake Storage (`\"Microsoft.Storage/storageAccounts/adlsBlobServices\"`). A type that does not fit `datasource_id` is a plan error. Changing it creates a new instance."),
        Attribute::optional(CONTAINERS, Type::List(Box::new(Type::String))).description("Storage accounts only: the blob containers to back up to the vault. Blob: optional; without it the account gets operational (point-in-time) backup, with it vaulted backup of these containers (the policy must have a vault store). Data Lake Storage: required. Not available with `api_version = \"2021-01-01\"`. Can be changed in place."),
        Attribute::optional(VOLUME_NAME, s.clone()).requires_replace().description("Elastic SAN volume groups only, and required for them: the name of the volume of the group to protect (sent as the single `resourceSelectors` entry). Changing it creates a new instance."),
        Attribute::computed(PROTECTION_STATE, s.clone()).description("The instance's current protection state as Azure reports it (`currentProtectionState`), e.g. `ProtectionConfigured`."),
        Attribute::computed(PROTECTION_STATUS, s.clone()).description("The instance's protection status (`protectionStatus.status`), e.g. `ProtectionConfigured`."),
        Attribute::computed(PROVISIONING_STATE, s.clone()).description("The ARM provisioning state, e.g. `Succeeded`."),
        Attribute::computed(PROTECTION_ERROR_CODE, s.clone()).description(PROTECTION_ERROR_CODE_DOC),
        Attribute::computed(PROTECTION_ERROR_MESSAGE, s).description(PROTECTION_ERROR_MESSAGE_DOC),
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
            description: format!(
                "Protects an Azure resource with Azure Backup: a backup instance in a Backup vault (Data Protection API). One resource for every kind a Backup vault protects; the kind is derived from `datasource_id` (and `datasource_type` for Data Lake Storage).\n\n{}\n\nAn argument a kind does not take, a missing required one, or an `api_version` that does not know the kind or the argument is a plan error on that argument. The `azurebackup_role_assignments` data source lists the role assignments a datasource needs.\n\nAt `plan`, new instances are checked with the service's `validateForBackup`; `apply` creates the instance, waits for the asynchronous operation and then for protection to be configured.",
                kinds_table()
            ),
            attributes,
            blocks: vec![kubernetes_block(), timeouts],
            deprecated: false,
        },
    }
}

/// The type of the `kubernetes` block's value (an object), for data sources that report it.
pub fn kubernetes_type() -> Type {
    kubernetes_block().block.value_type()
}

/// The `kubernetes` block: what of an AKS cluster is backed up.
fn kubernetes_block() -> NestedBlock {
    use kubernetes as k;
    let list = |name: &str, what: &str| {
        Attribute::optional(name, Type::List(Box::new(Type::String)))
            .description(format!("{what} Can be changed in place."))
    };
    let switch = |name: &str, what: &str| {
        Attribute::optional_computed(name, Type::Bool).description(format!(
            "{what} Defaults to `true`. Can be changed in place."
        ))
    };
    let hook = Type::Object(
        [
            (k::HOOK_NAME.to_string(), Type::String),
            (k::HOOK_NAMESPACE.to_string(), Type::String),
        ]
        .into(),
    );
    NestedBlock {
        type_name: KUBERNETES.into(),
        nesting: Nesting::Single,
        block: Block {
            description: "AKS clusters only: what of the cluster to back up (`KubernetesClusterBackupDatasourceParameters`). Without the block the whole cluster is backed up with the service's defaults.".into(),
            attributes: vec![
                list(k::INCLUDED_NAMESPACES, "Namespaces to back up; all when unset."),
                list(k::EXCLUDED_NAMESPACES, "Namespaces to leave out."),
                list(k::INCLUDED_RESOURCE_TYPES, "Kubernetes resource types to back up, e.g. `Deployment`; all when unset."),
                list(k::EXCLUDED_RESOURCE_TYPES, "Kubernetes resource types to leave out."),
                list(k::LABEL_SELECTORS, "Only resources with these labels (`key=value`, or `key!=value` / `key in (a,b)` selectors)."),
                list(k::INCLUDED_VOLUME_TYPES, "Volume types whose persistent volumes are backed up: `AzureDisk`, `AzureFileShareSMB`."),
                switch(k::INCLUDE_CLUSTER_SCOPE_RESOURCES, "Whether cluster-scoped resources (cluster roles, storage classes...) are backed up."),
                switch(k::SNAPSHOT_VOLUMES, "Whether persistent volumes are snapshotted."),
                Attribute::optional(k::BACKUP_HOOK_REFERENCES, Type::List(Box::new(hook))).description("Backup hooks (custom resources of kind `BackupHook` in the cluster) to run, as `{ name, namespace }` objects. Can be changed in place."),
            ],
            ..Default::default()
        },
        // NestingSingle: at most one block by construction (Terraform wants 0 and 0 here).
        min_items: 0,
        max_items: 0,
    }
}

/// Every kind in one Markdown table, from the catalogue: the docs cannot drift from it.
pub fn kinds_table() -> String {
    use crate::azure::catalogue::{CATALOGUE, Need, Parameter, SetInfo};
    use crate::azure::config::API_2021_01_01;
    let mut t = String::from(
        "| Kind | `datasource_id` | `datasource_type` | `dataSourceSetInfo` | Arguments | Parameters sent | Roles | API versions |\n|---|---|---|---|---|---|---|---|\n",
    );
    for e in CATALOGUE {
        let set = match e.set_info {
            SetInfo::None => "none".to_string(),
            SetInfo::Itself => "the datasource".to_string(),
            SetInfo::Parent => format!(
                "its parent (`{}`)",
                e.parent_resource_type().unwrap_or_default()
            ),
        };
        let args: Vec<String> = e
            .inputs
            .iter()
            .map(|r| {
                let need = match r.need {
                    Need::Required => "required",
                    Need::Optional => "optional",
                };
                let mut text = format!("`{}` ({need}", attribute_of(r.input));
                // The only per-argument limit among the known versions.
                if !r.api_versions.contains(API_2021_01_01)
                    && e.api_versions.contains(API_2021_01_01)
                {
                    text.push_str(&format!(", not with `api_version = \"{API_2021_01_01}\"`"));
                }
                text.push(')');
                text
            })
            .collect();
        let args = if e.by_type_only {
            let mut a = vec![format!(
                "`{DATASOURCE_TYPE} = \"{}\"` (required)",
                e.datasource_type
            )];
            a.extend(args);
            a
        } else {
            args
        };
        let args = if args.is_empty() {
            "none".to_string()
        } else {
            args.join(", ")
        };
        let sent: Vec<String> = e
            .parameters
            .iter()
            .map(|p| match p {
                Parameter::OperationalStore => "`AzureOperationalStoreParameters`".to_string(),
                Parameter::SecretStoreCredentials => {
                    "`SecretStoreBasedAuthCredentials`".to_string()
                }
                // Sent only when its optional argument is set (AKS sends its own always).
                Parameter::DatasourceParameters(t) => match e.inputs.iter().find(|r| r.fills == *p)
                {
                    Some(r) if r.need == Need::Optional && r.input != Input::Kubernetes => {
                        format!("`{t}` (with `{}`)", attribute_of(r.input))
                    }
                    _ => format!("`{t}`"),
                },
            })
            .collect();
        let sent = if sent.is_empty() {
            "none".to_string()
        } else {
            sent.join(", ")
        };
        t.push_str(&format!(
            "| {} | `.../providers/{}` | `{}` | {set} | {args} | {sent} | {} | {} |\n",
            e.plural,
            e.shape().split("/providers/").nth(1).unwrap_or_default(),
            e.datasource_type,
            e.roles_text(),
            e.api_versions.text()
        ));
    }
    t.push_str("\nRoles are for the vault's managed identity (its system-assigned one, or `user_assigned_identity_id`) unless the cluster's own identity is named.");
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constants name exactly the schema's attributes, and every catalogue input has one.
    #[test]
    fn constants_match_the_schema() {
        let s = schema();
        let names: Vec<&str> = s
            .block
            .attributes
            .iter()
            .map(|a| a.name.as_str())
            .chain(s.block.blocks.iter().map(|b| b.type_name.as_str()))
            .collect();
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
        assert_eq!(s.block.blocks[1].type_name, TIMEOUTS);
    }
}
