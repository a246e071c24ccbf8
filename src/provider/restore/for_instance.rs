//! The restore request for an instance: its kind (from what the service reports about its
//! datasource) decides which target it takes, its region where new resources go, its
//! user-assigned identity which identity restores; the Azure half's builders do the rest.

use super::request::{Inputs, Source, Target};
use super::schema as attr;
use crate::azure::arm_id::StorageAccountId;
use crate::azure::catalogue::{DatasourceKind, RestoreTarget};
use crate::azure::models::BackupInstanceResource;
use crate::azure::restore::{self as build, ContainerRestore, InputError, RestoreRequest};
use crate::tfplugin::AttributePath;

use super::request::path_of;

/// The kind of the instance, from what the service reports about its datasource.
pub fn kind_of(res: &BackupInstanceResource) -> Option<DatasourceKind> {
    let ds = &res.properties.data_source_info;
    crate::azure::catalogue::resolve_kind(&ds.resource_id, ds.datasource_type.as_deref())
        .ok()
        .flatten()
}

/// Whether the instance is a vaulted blob backup: its blob parameters name containers
/// (an operational backup has none).
fn is_vaulted_blob(res: &BackupInstanceResource) -> bool {
    res.properties
        .datasource_parameters(crate::azure::catalogue::BLOB_PARAMETERS)
        .is_some_and(|p| p.containers_list.is_some())
}

/// The request for `inputs` against the instance the service reported, or the error and the
/// attribute it is about.
pub fn build(
    inputs: &Inputs,
    res: &BackupInstanceResource,
    blob_suffix: &str,
) -> Result<RestoreRequest, (AttributePath, String, String)> {
    let kind = kind_of(res).ok_or_else(|| {
        (
            AttributePath::root(attr::BACKUP_INSTANCE_ID),
            "Unknown Datasource Kind".to_string(),
            format!(
                "The backup instance protects {:?} (datasource type {:?}), a kind this provider does not restore.",
                res.properties.data_source_info.resource_id,
                res.properties.data_source_info.datasource_type.as_deref().unwrap_or("unknown")
            ),
        )
    })?;
    let entry = kind.entry();
    let target = inputs.target.kind();
    if !entry.restores.contains(&target) {
        let blocks: Vec<String> = entry
            .restores
            .iter()
            .map(|r| format!("`{}`", attr::block_of(*r)))
            .collect();
        return Err((
            AttributePath::root(attr::block_of(target)),
            "Restore Target of the Wrong Kind".into(),
            format!(
                "The backup instance protects {} ({}); a `{}` restore is not one of them. Use {}.",
                entry.plural,
                res.properties.data_source_info.resource_id,
                attr::block_of(target),
                crate::azure::catalogue::either(
                    &blocks.iter().map(String::as_str).collect::<Vec<_>>()
                )
            ),
        ));
    }
    if kind == DatasourceKind::Blob && target == RestoreTarget::Containers && !is_vaulted_blob(res)
    {
        return Err((
            AttributePath::root(attr::CONTAINERS),
            "Restore Target of the Wrong Kind".into(),
            "The instance has operational (point-in-time) blob backup, which keeps no recovery points of containers: restore it `in_place` to a `point_in_time`.".into(),
        ));
    }
    let region = res
        .properties
        .data_source_info
        .resource_location
        .clone()
        .unwrap_or_default();
    let rp = match &inputs.source {
        Source::Point(p) => p.as_str(),
        Source::Time(_) => "",
    };
    let built = match (&inputs.target, &inputs.source) {
        (Target::Disk(d), _) => build::disk(rp, d, &region),
        (Target::Files { container, prefix }, _) => {
            build::as_files(rp, container, prefix, blob_suffix, &region)
        }
        (Target::Containers { account, names }, _) => {
            let names: Vec<ContainerRestore> = names
                .iter()
                .map(|n| ContainerRestore {
                    name: n.clone(),
                    rename_to: None,
                })
                .collect();
            build::containers(
                rp,
                kind == DatasourceKind::DataLake,
                account,
                &names,
                &region,
            )
        }
        (Target::InPlace(ranges), Source::Time(at)) => {
            let account: StorageAccountId = res
                .properties
                .data_source_info
                .resource_id
                .parse()
                .map_err(|e| {
                    (
                        AttributePath::root(attr::BACKUP_INSTANCE_ID),
                        "Unexpected Datasource".to_string(),
                        format!("The instance's datasource is not a storage account ID: {e}"),
                    )
                })?;
            build::blob_point_in_time(&account, *at, ranges, &region)
        }
        (Target::InPlace(_), Source::Point(_)) => unreachable_source(),
        (Target::Database { database, secret }, _) => {
            build::postgres_database(rp, database, secret, &region)
        }
        (Target::Cluster { cluster, what }, _) => build::kubernetes(rp, cluster, what, &region),
        (Target::CosmosDb(a), _) => build::cosmos_db(rp, a, &region),
        (Target::ElasticSan { group, volumes }, _) => {
            let v: Vec<ContainerRestore> = volumes
                .iter()
                .map(|n| ContainerRestore {
                    name: n.clone(),
                    rename_to: None,
                })
                .collect();
            build::elastic_san(rp, group, &v, &region)
        }
    };
    let mut req = built.map_err(|e| {
        (
            path_of(target, e.field),
            "Invalid Restore Input".to_string(),
            e.message,
        )
    })?;
    req = req.with_source(res.properties.data_source_info.resource_id.clone());
    if let Some(uai) = res
        .properties
        .identity_details
        .as_ref()
        .filter(|i| i.use_system_assigned_identity == Some(false))
        .and_then(|i| i.user_assigned_identity_arm_url.clone())
    {
        req = req.with_user_identity(uai);
    }
    Ok(req)
}

/// [`check`] refuses a recovery point with `in_place`; this arm cannot be reached from it.
fn unreachable_source() -> Result<RestoreRequest, InputError> {
    Err(InputError {
        field: attr::POINT_IN_TIME,
        message: "an in-place restore needs `point_in_time`".into(),
    })
}
