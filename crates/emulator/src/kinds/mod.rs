//! The emulator's own model of every datasource kind a Backup vault protects: which ARM IDs are
//! which kind, the datasource types each may be protected as, and per kind (one impl each) the
//! set info, parameters, api-versions and roles the service checks.

mod classic;
mod databases;
mod esan;
mod kubernetes;
mod params;
mod storage;
pub mod types;

use axum::http::StatusCode;
use serde_json::Value;

use super::armpath::lower;
use super::errors::ApiError;
use super::state::Instance;
use super::world::{Policy, Requirement, Vault, World};
pub use params::{datasource_parameters, snapshot_resource_group, store_parameters};
pub use types::*;

/// Everything a per-kind check may look at.
pub struct Check<'a> {
    pub world: &'a World,
    pub vault: &'a Vault,
    pub inst: &'a Instance,
    pub api: &'a str,
    pub policy: Option<&'a Policy>,
}

impl Check<'_> {
    pub fn ds_id(&self) -> &str {
        &self.inst.data_source_info.resource_id
    }
}

/// Whose identity needs a role: the vault's, or another principal (an AKS cluster's own).
#[derive(Clone, Debug, PartialEq)]
pub enum Who {
    Vault,
    Principal(String),
}

/// One permission protection needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Need {
    pub who: Who,
    pub req: Requirement,
}

pub fn need(role: &'static str, action: &'static str, scope: String) -> Need {
    Need {
        who: Who::Vault,
        req: Requirement {
            role,
            action,
            scope,
        },
    }
}

/// The error a kind answers when roles are missing.
pub struct Denial {
    pub code: &'static str,
    pub message: &'static str,
    pub action: &'static str,
}

pub const MISSING_REQUIRED: Denial = Denial {
    code: "UserErrorMissingRequiredPermissions",
    message: "Appropriate permissions to perform the operation is missing.",
    action: "Grant appropriate permissions to perform this operation as mentioned at https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation.",
};

/// One datasource type's model.
pub trait Model: Sync {
    /// The `datasourceType` this model protects.
    fn datasource_type(&self) -> &'static str;
    /// The resource kind whose IDs it protects.
    fn resource(&self) -> Kind;
    /// The api-versions that know this datasource type; `None` means all the emulator serves.
    fn api_versions(&self) -> Option<&'static [&'static str]> {
        None
    }
    /// The synchronous checks of set info and parameters (4xx answers).
    fn check(&self, c: &Check) -> Result<(), ApiError>;
    /// The roles protection needs (checked inside the operation).
    fn needs(&self, c: &Check) -> Vec<Need>;
    fn denial(&self) -> &'static Denial {
        &MISSING_REQUIRED
    }
    /// Checks after the roles (PostgreSQL's Key Vault secret); the error is an operation error.
    fn after_roles(&self, _c: &Check, _principal: &str) -> Result<(), Value> {
        Ok(())
    }
}

static MODELS: [&dyn Model; 9] = [
    &classic::Disk,
    &classic::PgDatabase,
    &classic::PgFlex,
    &storage::Blob,
    &storage::DataLake,
    &kubernetes::Kubernetes,
    &databases::MysqlFlex,
    &databases::CosmosDb,
    &esan::ElasticSanVolumeGroup,
];

/// The datasource types a resource kind can be protected as (empty: not protectable).
pub fn types_of(kind: Kind) -> Vec<&'static str> {
    MODELS
        .iter()
        .filter(|m| m.resource() == kind)
        .map(|m| m.datasource_type())
        .collect()
}

/// The model for a resource kind protected as `datasource_type`.
pub fn model(kind: Kind, datasource_type: &str) -> Option<&'static dyn Model> {
    MODELS
        .iter()
        .copied()
        .find(|m| m.resource() == kind && m.datasource_type().eq_ignore_ascii_case(datasource_type))
}

/// The api-version check of a model: a 400 naming the type and the version.
pub fn check_api_version(m: &dyn Model, api: &str) -> Result<(), ApiError> {
    match m.api_versions() {
        Some(list) if !list.contains(&api) => Err(ApiError::service(
            StatusCode::BAD_REQUEST,
            UNSUPPORTED_IN_VERSION,
            format!(
                "The datasource type '{}' is not supported in api-version '{api}'. It is available in api-version {}.",
                m.datasource_type(),
                list.join(", ")
            ),
            &["Use an api-version that supports this datasource type."],
            None,
        )),
        _ => Ok(()),
    }
}

/// Emulator-chosen code for a datasource type the api-version does not know.
pub const UNSUPPORTED_IN_VERSION: &str = "UserErrorDatasourceTypeNotSupportedInApiVersion";

/// `dataSourceSetInfo` must name `expected` (and, when sent, carry the instance's datasource
/// type); `required` says whether it may be left out.
pub fn check_set(c: &Check, expected: &str, required: bool, what: &str) -> Result<(), ApiError> {
    let dtype = &c.inst.data_source_info.datasource_type;
    match &c.inst.data_source_set_info {
        None if required => Err(ApiError::bad_request(
            "UserErrorInvalidRequestParameter",
            format!("dataSourceSetInfo is required for {dtype}: give {what} '{expected}'."),
        )),
        None => Ok(()),
        Some(set) if lower(&set.resource_id) != lower(expected) => Err(ApiError::bad_request(
            "UserErrorInvalidRequestParameter",
            format!(
                "dataSourceSetInfo.resourceID '{}' must be {what} '{expected}' for {dtype}.",
                set.resource_id
            ),
        )),
        Some(set) if !set.datasource_type.eq_ignore_ascii_case(dtype) => {
            Err(ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                format!(
                    "dataSourceSetInfo.datasourceType '{}' must be the datasource's type '{dtype}'.",
                    set.datasource_type
                ),
            ))
        }
        Some(_) => Ok(()),
    }
}

/// The snapshot resource group of the operational-store parameters: required, and it must exist.
pub fn check_snapshot_rg(c: &Check) -> Result<String, ApiError> {
    let rg = snapshot_resource_group(c.inst).ok_or_else(|| {
        ApiError::bad_request(
            "UserErrorInvalidRequestParameter",
            format!(
                "A snapshot resource group is required for {}: set policyInfo.policyParameters.dataStoreParametersList[0].resourceGroupId (OperationalStore).",
                c.inst.data_source_info.datasource_type
            ),
        )
    })?;
    if c.world.resource_group(&rg).is_none()
        || lower(&rg).split('/').filter(|s| !s.is_empty()).count() != 4
    {
        return Err(ApiError::service(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Snapshot resource group '{rg}' could not be found."),
            &["Create the resource group or correct the snapshot resource group ID."],
            None,
        ));
    }
    Ok(rg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The world file's list of known types is the models' list (the world cannot see MODELS).
    #[test]
    fn datasource_types_are_the_models_types() {
        let mut models: Vec<&str> = MODELS.iter().map(|m| m.datasource_type()).collect();
        let mut listed = DATASOURCE_TYPES.to_vec();
        models.sort_unstable();
        listed.sort_unstable();
        assert_eq!(models, listed);
    }
}
