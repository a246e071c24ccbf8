//! Elastic SAN volume groups (api-version 2026-06-01 only): the set is the parent Elastic SAN,
//! one volume of the group is selected, snapshots go to the operational store's resource group.

use axum::http::StatusCode;

use super::params::{single, strings};
use super::types::*;
use super::{
    Check, Kind, Model, Need, check_set, check_snapshot_rg, need, snapshot_resource_group,
};
use crate::armpath::{last_segment, lower, parent_of};
use crate::errors::ApiError;

const GENERIC_PARAMETERS: &str = "GenericBackupDatasourceParameters";
/// Emulator-chosen code for a selector naming no volume of the group.
pub const VOLUME_NOT_FOUND: &str = "UserErrorElasticSanVolumeNotFound";

pub struct ElasticSanVolumeGroup;

impl Model for ElasticSanVolumeGroup {
    fn datasource_type(&self) -> &'static str {
        ESAN_VOLUME_GROUP_TYPE
    }
    fn resource(&self) -> Kind {
        Kind::EsanVolumeGroup
    }
    fn api_versions(&self) -> Option<&'static [&'static str]> {
        Some(&["2026-06-01"])
    }
    fn check(&self, c: &Check) -> Result<(), ApiError> {
        check_set(c, &parent_of(c.ds_id(), 2), true, "the parent Elastic SAN")?;
        let p = single(c.inst, GENERIC_PARAMETERS)?;
        let selectors = strings(p, "resourceSelectors")?;
        let [selector] = selectors.as_slice() else {
            return Err(super::params::invalid(format!(
                "resourceSelectors must name exactly one volume of the volume group; {} given.",
                selectors.len()
            )));
        };
        // A bare volume name, or the volume's full ID under this group.
        let name = if selector.contains('/') {
            let parent = parent_of(selector, 2);
            if lower(&parent) != lower(c.ds_id()) || !lower(selector).contains("/volumes/") {
                String::new()
            } else {
                last_segment(selector)
            }
        } else {
            selector.clone()
        };
        let volumes = c
            .world
            .datasource(c.ds_id())
            .map(|d| d.volumes.clone())
            .unwrap_or_default();
        if name.is_empty() || !volumes.iter().any(|v| v.eq_ignore_ascii_case(&name)) {
            return Err(ApiError::service(
                StatusCode::BAD_REQUEST,
                VOLUME_NOT_FOUND,
                format!(
                    "The volume '{selector}' was not found in the volume group '{}'.",
                    c.ds_id()
                ),
                &["Name an existing volume of the volume group in resourceSelectors, then retry."],
                None,
            ));
        }
        check_snapshot_rg(c).map(|_| ())
    }
    fn needs(&self, c: &Check) -> Vec<Need> {
        vec![
            need(
                ROLE_ESAN_SNAPSHOT_EXPORTER,
                "Microsoft.ElasticSan/elasticSans/volumeGroups/snapshots/beginGetAccess/action",
                c.ds_id().to_string(),
            ),
            need(
                ROLE_DISK_SNAPSHOT_CONTRIBUTOR,
                "Microsoft.Compute/snapshots/write",
                snapshot_resource_group(c.inst).unwrap_or_default(),
            ),
        ]
    }
}
