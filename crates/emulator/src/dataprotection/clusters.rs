//! `GET` of an AKS cluster (`Microsoft.ContainerService/managedClusters`), the one resource
//! outside Data Protection that clients read: its system-assigned identity is a principal that
//! protection needs roles for. Any api-version is accepted, as the shape used is stable.

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::shapes::json_resp;
use super::{api_version_of, method_not_allowed};
use crate::errors::ApiError;
use crate::kinds::{AKS_TYPE, Kind};
use crate::state::State as EmuState;

pub(super) fn get(
    st: &EmuState,
    method: &Method,
    sub: &str,
    rg: &str,
    name: &str,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    if api_version_of(query).is_none_or(|v| v.is_empty()) {
        return Err(ApiError::arm(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    }
    if *method != Method::GET {
        return Err(method_not_allowed(method));
    }
    let rg_id = format!("/subscriptions/{sub}/resourceGroups/{rg}");
    if st.world.resource_group(&rg_id).is_none() {
        return Err(ApiError::arm(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    let id = format!("{rg_id}/providers/Microsoft.ContainerService/managedClusters/{name}");
    let cluster = st
        .world
        .datasource(&id)
        .filter(|d| Kind::of(&d.id) == Some(Kind::AksCluster))
        .ok_or_else(|| {
            ApiError::arm(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!(
                    "The Resource '{AKS_TYPE}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
                ),
            )
        })?;
    let mut body = json!({
        "id": cluster.id,
        "name": crate::armpath::last_segment(&cluster.id),
        "type": AKS_TYPE,
        "location": cluster.location,
    });
    if let Some(p) = &cluster.principal_id {
        body["identity"] =
            json!({"type": "SystemAssigned", "principalId": p, "tenantId": st.world.tenant_id});
    }
    Ok(json_resp(StatusCode::OK, body))
}
