//! `GET` and `DELETE` of a managed disk (`Microsoft.Compute/disks`): the world's disks, among
//! them the ones restores created, so that clients can see what a restore made and delete it.
//! Any api-version is accepted, as the shape used is stable; a delete completes at once (the
//! Compute API may answer 200 as well as 202).

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::shapes::{empty, json_resp};
use super::{api_version_of, method_not_allowed};
use crate::armpath::same_id;
use crate::errors::ApiError;
use crate::kinds::{DISK_TYPE, Kind};
use crate::state::State as EmuState;

pub(super) fn handle(
    st: &mut EmuState,
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
    let rg_id = format!("/subscriptions/{sub}/resourceGroups/{rg}");
    if st.world.resource_group(&rg_id).is_none() {
        return Err(ApiError::arm(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        ));
    }
    // A restore job that has ended has made its disk by now.
    let now = st.now();
    crate::jobs::settle(st, now);
    let id = format!("{rg_id}/providers/Microsoft.Compute/disks/{name}");
    let disk = st
        .world
        .datasource(&id)
        .filter(|d| Kind::of(&d.id) == Some(Kind::Disk))
        .cloned();
    match (*method == Method::GET, *method == Method::DELETE, disk) {
        (true, _, Some(d)) => {
            let restored = st.restores.iter().any(|r| match &r.effect {
                crate::state::RestoreEffect::NewResource { id, .. } => same_id(id, &d.id),
                _ => false,
            });
            Ok(json_resp(
                StatusCode::OK,
                json!({
                    "id": d.id,
                    "name": crate::armpath::last_segment(&d.id),
                    "type": DISK_TYPE,
                    "location": d.location,
                    "properties": {
                        "provisioningState": "Succeeded",
                        "diskState": "Unattached",
                        "creationData": {"createOption": if restored { "Restore" } else { "Empty" }},
                    },
                }),
            ))
        }
        (true, _, None) => Err(ApiError::arm(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{DISK_TYPE}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )),
        (_, true, Some(d)) => {
            st.world.datasources.retain(|x| !same_id(&x.id, &d.id));
            st.world.reindex();
            st.bump();
            Ok(empty(StatusCode::OK))
        }
        (_, true, None) => Ok(empty(StatusCode::NO_CONTENT)),
        _ => Err(method_not_allowed(method)),
    }
}
