//! The data sources: `azurebackup_instance` (one backup instance, by ID or by the datasource it
//! protects), `azurebackup_instances` (a vault's instances, from the vault's list),
//! `azurebackup_role_assignments` (the roles protecting a datasource needs, for whom, where),
//! `azurebackup_recovery_points` (an instance's recovery points, the newest and its age),
//! `azurebackup_backup_jobs` (a vault's jobs, newest first, filtered) and
//! `azurebackup_restorable_time_ranges` (an operational-blob instance's point-in-time windows).

mod backup_jobs;
mod instance;
mod instances;
mod recovery_points;
mod restorable_time_ranges;
mod role_assignments;

use std::sync::Arc;

use super::Shared;
use crate::azure::arm_id::{BackupInstanceId, BackupVaultId};
use crate::azure::models::BackupInstanceResource;
use crate::tfplugin::{AttributePath, DataSource, Diagnostic};

pub use backup_jobs::{BACKUP_JOBS_TYPE_NAME, BackupJobsData, schema as backup_jobs_schema};
pub use instance::{INSTANCE_TYPE_NAME, InstanceData, schema as instance_schema};
pub use instances::{INSTANCES_TYPE_NAME, InstancesData, schema as instances_schema};
pub use recovery_points::{
    RECOVERY_POINTS_TYPE_NAME, RecoveryPointsData, schema as recovery_points_schema,
};
pub use restorable_time_ranges::{
    RESTORABLE_TIME_RANGES_TYPE_NAME, RestorableTimeRangesData,
    schema as restorable_time_ranges_schema,
};
pub use role_assignments::{
    ROLE_ASSIGNMENTS_TYPE_NAME, RoleAssignmentsData, schema as role_assignments_schema,
};

pub fn all(shared: &Arc<Shared>) -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(InstanceData::new(shared.clone())),
        Arc::new(InstancesData::new(shared.clone())),
        Arc::new(RoleAssignmentsData::new(shared.clone())),
        Arc::new(RecoveryPointsData::new(shared.clone())),
        Arc::new(BackupJobsData::new(shared.clone())),
        Arc::new(RestorableTimeRangesData::new(shared.clone())),
    ]
}

/// The error when a data source is read before the provider is configured (Terraform always
/// configures first; this guards against a misbehaving client).
/// The backup instance ID in attribute `name` of `config`, parsed; a malformed one is an error on
/// that attribute (null and unknown give `None` and no error).
pub(crate) fn instance_id_arg(
    config: &crate::tfplugin::Value,
    name: &str,
    d: &mut crate::tfplugin::Diagnostics,
) -> Option<crate::azure::arm_id::BackupInstanceId> {
    let text = config.get(name).as_str()?;
    text.parse::<crate::azure::arm_id::BackupInstanceId>()
        .map_err(|e| {
            d.error_at(
                crate::tfplugin::AttributePath::root(name),
                "Invalid Backup Instance ID",
                format!("`{name}` is not a valid Backup Instance ID: {e}"),
            )
        })
        .ok()
}

pub(crate) fn not_configured() -> crate::tfplugin::Diagnostics {
    crate::tfplugin::Diagnostic::error(
        "Provider Not Configured",
        "The provider was not configured before the data source was read. Check the provider block for errors reported above.",
    )
    .into()
}

/// A list entry's own ID, checked: it must carry an `id` that is a backup instance of `vault`
/// and a `name` that is that ID's last segment. The ID is never built from the configured vault
/// and the entry's name, which would report another vault's entries (or `..`) as this one's.
fn entry_id(
    res: &BackupInstanceResource,
    vault: &BackupVaultId,
) -> Result<BackupInstanceId, String> {
    let shown = |s: &str| s.chars().take(300).collect::<String>();
    let Some(text) = res.id.as_deref() else {
        return Err("an entry without `id`".to_owned());
    };
    let id: BackupInstanceId = text
        .parse()
        .map_err(|_| format!("{:?}, which is not a backup instance ID", shown(text)))?;
    if !id
        .vault
        .to_string()
        .eq_ignore_ascii_case(&vault.to_string())
    {
        return Err(format!("{id}, an instance of another vault"));
    }
    match res.name.as_deref() {
        Some(n) if n.eq_ignore_ascii_case(&id.name) => Ok(vault.instance(id.name)),
        Some(n) => Err(format!("{id} under the name {:?}", shown(n))),
        None => Err(format!("{id} without a `name`")),
    }
}

/// The error for a list that holds an entry [`entry_id`] refuses: nothing from it is used.
fn bad_entry(vault: &BackupVaultId, problem: &str) -> Diagnostic {
    Diagnostic::error(
        "Unexpected Backup Instance List Entry",
        format!(
            "The list of {vault} holds {problem}. Nothing from this list was used. Check that `vault_id` names the vault you mean, and that no proxy stands between Terraform and Azure Resource Manager; if it does and the problem persists, report it to Azure support."
        ),
    )
    .at(AttributePath::root(crate::provider::instance::schema::VAULT_ID))
}
