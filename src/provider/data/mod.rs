//! The data sources: `azurebackup_instance` (one backup instance, by ID or by the datasource it
//! protects), `azurebackup_instances` (a vault's instances, from the vault's list) and
//! `azurebackup_role_assignments` (the roles protecting a datasource needs, for whom, where).

mod instance;
mod instances;
mod role_assignments;

use std::sync::Arc;

use super::Shared;
use crate::tfplugin::DataSource;

pub use instance::{INSTANCE_TYPE_NAME, InstanceData, schema as instance_schema};
pub use instances::{INSTANCES_TYPE_NAME, InstancesData, schema as instances_schema};
pub use role_assignments::{
    ROLE_ASSIGNMENTS_TYPE_NAME, RoleAssignmentsData, schema as role_assignments_schema,
};

pub fn all(shared: &Arc<Shared>) -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(InstanceData::new(shared.clone())),
        Arc::new(InstancesData::new(shared.clone())),
        Arc::new(RoleAssignmentsData::new(shared.clone())),
    ]
}

/// The error when a data source is read before the provider is configured (Terraform always
/// configures first; this guards against a misbehaving client).
fn not_configured() -> crate::tfplugin::Diagnostics {
    crate::tfplugin::Diagnostic::error(
        "Provider Not Configured",
        "The provider was not configured before the data source was read. Check the provider block for errors reported above.",
    )
    .into()
}
