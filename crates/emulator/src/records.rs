//! The records the store keeps: backup instances and their datasources, long-running
//! operations, soft-deleted instances, request-log entries. Plain data; what happens to them is
//! decided in the rooms above the store (operations, protection, lifecycle, jobs).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::armpath::lower;
use super::knobs::ProtectionOutcome;

/// A datasource or datasource set as the service stores and returns it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Datasource {
    #[serde(rename = "resourceID")]
    pub resource_id: String,
    pub resource_uri: String,
    pub datasource_type: String,
    pub resource_name: String,
    pub resource_type: String,
    pub resource_location: String,
    pub object_type: String,
    /// Whether the request carried `resourceLocation` / `datasourceType` (the service answers
    /// some sets without them differently); not part of the resource.
    #[serde(skip)]
    pub sent_location: bool,
    #[serde(skip)]
    pub sent_type: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Instance {
    pub id: String,
    pub name: String,
    pub vault_id: String,
    pub friendly_name: String,
    pub data_source_info: Datasource,
    pub data_source_set_info: Option<Datasource>,
    pub policy_id: String,
    pub policy_parameters: Option<Value>,
    pub auth_credentials: Option<Value>,
    pub identity_details: Option<Value>,
    pub validation_type: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub provisioning_state: String,
    pub protection_state: String,
    pub protection_status: String,
    pub protection_error: Option<Value>,
    pub protection_due_ms: Option<u64>,
    pub protection_outcome: Option<ProtectionOutcome>,
    pub busy_operation: Option<String>,
    /// How far the schedule has run for this instance (set once it is protected).
    #[serde(default)]
    pub scheduled_through_ms: Option<u64>,
    /// When protection was first configured (continuous backups are restorable from then).
    #[serde(default)]
    pub protected_since_ms: Option<u64>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum OpKind {
    Validate,
    Create,
    Update,
    Delete,
    /// `deletedBackupInstances/{name}/undelete`: back to `ProtectionStopped`.
    Undelete,
    /// The protection actions; each ends in the state [`OpKind::target_state`] names.
    StopProtection,
    SuspendBackups,
    ResumeProtection,
    ResumeBackups,
    /// `backupInstances/{name}/backup`: ends once its job exists.
    AdhocBackup,
    /// `backupInstances/{name}/sync`: retries what left the instance in ProtectionError.
    Sync,
    /// `backupInstances/{name}/validateRestore`: checks a restore request, makes no job.
    ValidateRestore,
    /// `backupInstances/{name}/restore`: ends once its restore job exists.
    Restore,
}

impl OpKind {
    pub fn knob_name(self) -> &'static str {
        match self {
            OpKind::Validate => "validate",
            OpKind::Create | OpKind::Update => "put",
            OpKind::Delete => "delete",
            OpKind::Undelete => "undelete",
            OpKind::StopProtection => "stopProtection",
            OpKind::SuspendBackups => "suspendBackups",
            OpKind::ResumeProtection => "resumeProtection",
            OpKind::ResumeBackups => "resumeBackups",
            OpKind::AdhocBackup => "backup",
            OpKind::Sync => "sync",
            OpKind::ValidateRestore => "validateRestore",
            OpKind::Restore => "restore",
        }
    }

    /// The protection state a successful action leaves (both `currentProtectionState` and
    /// `protectionStatus.status`, as the recordings show).
    pub fn target_state(self) -> Option<&'static str> {
        match self {
            OpKind::StopProtection | OpKind::Undelete => Some("ProtectionStopped"),
            OpKind::SuspendBackups => Some("BackupsSuspended"),
            OpKind::ResumeProtection | OpKind::ResumeBackups => Some("ProtectionConfigured"),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum OpStatus {
    Inprogress,
    Succeeded,
    Failed,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    pub kind: OpKind,
    pub api_version: String,
    pub subscription: String,
    pub location: String,
    pub vault_id: String,
    /// Lower-cased instance ID the operation is about (create/update/delete).
    pub instance_key: Option<String>,
    /// The candidate instance a validation or PUT checks when it completes.
    pub candidate: Option<Instance>,
    /// An updated instance as it was before, restored if the update fails.
    pub previous: Option<Instance>,
    pub start_ms: u64,
    /// `None`: never finishes.
    pub due_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub status: OpStatus,
    /// The `error` object of a failed status, and the HTTP status its result URL answers with.
    pub error: Option<Value>,
    pub error_http: u16,
    pub forced_failure: bool,
    /// An adhoc backup: the rule and tag it runs with, then the job it made (as the
    /// operation names it: ARM ID or GUID, per the `job_id_form` knob).
    #[serde(default)]
    pub backup_options: Option<(String, String)>,
    #[serde(default)]
    pub job_id: Option<String>,
    /// A restore or its validation: what it will do once checked.
    #[serde(default)]
    pub restore: Option<RestorePlan>,
}

/// One entry of `GET /admin/requests`.
#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    pub time_ms: u64,
    pub method: String,
    pub path: String,
    pub api_version: Option<String>,
    pub operation: String,
    pub status: u16,
    pub ms: f64,
    pub request_id: String,
    pub correlation_id: String,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Counter {
    pub count: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub total_ms: f64,
}

/// What the fault RNG decided for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    Throttle,
    ServerError(u16),
    Drop,
}

/// A soft-deleted backup instance (`{vault}/deletedBackupInstances/{name}`) and its times.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Deleted {
    pub instance: Instance,
    pub deletion_ms: u64,
    pub purge_ms: u64,
}

/// Lower-cased key of the soft-deleted instance named `name` in `vault_id`.
pub fn deleted_key(vault_id: &str, name: &str) -> String {
    lower(&format!("{vault_id}/deletedBackupInstances/{name}"))
}

/// States in which an instance holds its data without regular backups.
pub fn is_held(state: &str) -> bool {
    matches!(state, "ProtectionStopped" | "BackupsSuspended")
}

/// What a job is doing; `Backup` and `Restore` are the service's `operation` values.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum JobOperation {
    Backup,
    Restore,
}

impl JobOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            JobOperation::Backup => "Backup",
            JobOperation::Restore => "Restore",
        }
    }
}

/// A job's `status`, spelled as the service spells it.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum JobStatus {
    Started,
    InProgress,
    Completed,
    CompletedWithWarnings,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn is_running(self) -> bool {
        matches!(self, JobStatus::Started | JobStatus::InProgress)
    }
}

/// How a job is set to end when it is started (from the job knobs).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JobEnd {
    pub status: JobStatus,
    /// The UserFacingError of a failed job (or the warning of one completed with warnings).
    pub error: Option<Value>,
}

/// A backup or restore job (`{vault}/backupJobs/{guid}`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Job {
    pub guid: String,
    pub vault_id: String,
    /// Lower-cased key of the instance it belongs to, and its ARM ID and friendly name.
    pub instance_key: String,
    pub instance_id: String,
    pub instance_friendly_name: String,
    pub datasource: Datasource,
    /// The datasource set's name (a PostgreSQL server, a storage account), else the datasource's.
    #[serde(default)]
    pub datasource_set_name: String,
    pub policy_id: String,
    pub operation: JobOperation,
    pub is_user_triggered: bool,
    /// For a backup: the rule and tag it ran with.
    pub rule_name: Option<String>,
    pub retention_tag: Option<String>,
    pub start_ms: u64,
    /// `None`: never ends.
    pub due_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub status: JobStatus,
    /// Where a backup's recovery point lands, and its type.
    pub data_store: String,
    pub backup_type: String,
    /// Decided at the start, applied when the job is due.
    pub planned: JobEnd,
    /// The errors of a terminal job (`errorDetails`).
    pub errors: Vec<Value>,
    /// The recovery point a completed backup made (or a restore started from).
    pub recovery_point_id: Option<String>,
    /// The api-version of the request that started it (the kinds' checks depend on it).
    pub api_version: String,
    /// Operation-specific `extendedInfo` fields (a restore's `recoveryDestination`, ...).
    #[serde(default)]
    pub extra_info: Option<Value>,
    /// A restore job: what it changes in the world when it completes.
    #[serde(default)]
    pub restore: Option<RestorePlan>,
}

/// A discrete recovery point of an instance.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RecoveryPoint {
    /// 32 lower-case hex digits, as recorded.
    pub id: String,
    pub time_ms: u64,
    /// `Full` or `Incremental`.
    pub rp_type: String,
    /// `OperationalStore` or `VaultStore`.
    pub data_store: String,
    pub retention_tag: String,
    pub expiry_ms: u64,
    pub policy_name: String,
    /// `Completed` (or `Partial`).
    pub state: String,
    /// The job that made it.
    pub job_guid: String,
}

/// What a completed restore changes in the world.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type")]
pub enum RestoreEffect {
    /// A new resource (a disk, a database, a Cosmos DB account) in `location`.
    NewResource { id: String, location: String },
    /// New blob containers in a storage account.
    Containers {
        account_id: String,
        names: Vec<String>,
    },
    /// Files written into a blob container (`{account}/blobServices/default/containers/{c}`).
    Files {
        container_id: String,
        names: Vec<String>,
    },
    /// An in-place point-in-time restore of a storage account (prefix ranges; empty: all).
    PointInTime {
        account_id: String,
        time_ms: u64,
        ranges: Vec<(String, String)>,
    },
    /// Namespaces restored into a cluster (empty: all).
    Cluster {
        cluster_id: String,
        namespaces: Vec<String>,
    },
    /// New volumes in an Elastic SAN volume group.
    Volumes {
        group_id: String,
        names: Vec<String>,
    },
}

/// A checked restore request: where it restores from and to, who needs which roles, and its
/// effect.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RestorePlan {
    /// The restore model that planned it (a kind; blob is two: operational and vaulted).
    pub model: String,
    pub source_data_store: String,
    pub recovery_point_id: Option<String>,
    pub recovery_point_time_ms: Option<u64>,
    /// The job's `recoveryDestination`.
    pub destination: String,
    pub restore_location: String,
    /// Whose roles are checked: the vault's system identity or the user-assigned one named.
    pub principal: String,
    /// The `datasourceAuthCredentials` of a new database (its Key Vault secret).
    #[serde(default)]
    pub credentials: Option<Value>,
    pub effect: RestoreEffect,
}

/// A restore that completed, as `GET /admin/restores` lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AppliedRestore {
    pub job_id: String,
    pub instance_id: String,
    pub time_ms: u64,
    pub recovery_point_id: Option<String>,
    pub recovery_point_time_ms: Option<u64>,
    pub effect: RestoreEffect,
}
