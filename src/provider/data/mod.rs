//! The data sources: `azurebackup_instance` (one backup instance, by ID or by the datasource it
//! protects), `azurebackup_instances` (a vault's instances, from the vault's list),
//! `azurebackup_role_assignments` (the roles protecting a datasource needs, for whom, where),
//! `azurebackup_recovery_points` (an instance's recovery points, the newest and its age) and
//! `azurebackup_backup_jobs` (a vault's jobs, newest first, filtered).

mod backup_jobs;
mod instance;
mod instances;
mod recovery_points;
mod role_assignments;

use std::sync::Arc;

use super::Shared;
use crate::tfplugin::DataSource;

pub use backup_jobs::{BACKUP_JOBS_TYPE_NAME, BackupJobsData, schema as backup_jobs_schema};
pub use instance::{INSTANCE_TYPE_NAME, InstanceData, schema as instance_schema};
pub use instances::{INSTANCES_TYPE_NAME, InstancesData, schema as instances_schema};
pub use recovery_points::{
    RECOVERY_POINTS_TYPE_NAME, RecoveryPointsData, schema as recovery_points_schema,
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
    ]
}

/// The error when a data source is read before the provider is configured (Terraform always
/// configures first; this guards against a misbehaving client).
pub(crate) fn not_configured() -> crate::tfplugin::Diagnostics {
    crate::tfplugin::Diagnostic::error(
        "Provider Not Configured",
        "The provider was not configured before the data source was read. Check the provider block for errors reported above.",
    )
    .into()
}
