//! Reading `policyInfo.policyParameters` the way every kind needs it: the datasource parameters
//! (`backupDatasourceParametersList`), the data store parameters and the snapshot resource group,
//! and the small shape checks of their fields.

use serde_json::Value;

use crate::errors::ApiError;
use crate::state::Instance;

fn list<'a>(inst: &'a Instance, name: &str) -> &'a [Value] {
    inst.policy_parameters
        .as_ref()
        .and_then(|p| p.get(name))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `policyParameters.backupDatasourceParametersList` (empty when absent).
pub fn datasource_parameters(inst: &Instance) -> &[Value] {
    list(inst, "backupDatasourceParametersList")
}

/// `policyParameters.dataStoreParametersList` (empty when absent).
pub fn store_parameters(inst: &Instance) -> &[Value] {
    list(inst, "dataStoreParametersList")
}

/// The snapshot resource group (`dataStoreParametersList[].resourceGroupId`).
pub fn snapshot_resource_group(inst: &Instance) -> Option<String> {
    store_parameters(inst).iter().find_map(|p| {
        p.get("resourceGroupId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    })
}

pub fn invalid(message: String) -> ApiError {
    ApiError::bad_request("UserErrorInvalidRequestParameter", message)
}

/// Exactly one entry of `backupDatasourceParametersList`, of `object_type`.
pub fn single<'a>(inst: &'a Instance, object_type: &str) -> Result<&'a Value, ApiError> {
    let all = datasource_parameters(inst);
    let dtype = &inst.data_source_info.datasource_type;
    match all {
        [one] => {
            let ot = one.get("objectType").and_then(Value::as_str).unwrap_or("");
            if ot == object_type {
                Ok(one)
            } else {
                Err(invalid(format!(
                    "policyInfo.policyParameters.backupDatasourceParametersList[0].objectType '{ot}' is not valid for {dtype}; expected '{object_type}'."
                )))
            }
        }
        [] => Err(invalid(format!(
            "policyInfo.policyParameters.backupDatasourceParametersList with one '{object_type}' is required for {dtype}."
        ))),
        _ => Err(invalid(format!(
            "policyInfo.policyParameters.backupDatasourceParametersList must hold exactly one '{object_type}' for {dtype}; {} were given.",
            all.len()
        ))),
    }
}

/// An optional field that must be an array of strings.
pub fn strings(obj: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| invalid(format!("{field} must be a list of strings; got {i}.")))
            })
            .collect(),
        Some(other) => Err(invalid(format!(
            "{field} must be a list of strings; got {other}."
        ))),
    }
}

/// A required boolean field.
pub fn required_bool(obj: &Value, field: &str, object_type: &str) -> Result<bool, ApiError> {
    obj.get(field).and_then(Value::as_bool).ok_or_else(|| {
        invalid(format!(
            "{object_type}.{field} is required and must be true or false."
        ))
    })
}

/// Nothing in either parameter list (kinds that take no parameters).
pub fn none(inst: &Instance) -> Result<(), ApiError> {
    let dtype = &inst.data_source_info.datasource_type;
    if !datasource_parameters(inst).is_empty() || !store_parameters(inst).is_empty() {
        return Err(invalid(format!(
            "{dtype} takes no policy parameters: leave policyInfo.policyParameters out (or its lists empty)."
        )));
    }
    Ok(())
}
