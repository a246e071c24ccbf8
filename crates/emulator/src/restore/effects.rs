//! What a restore does to the world: the target checks (it exists where it must, FailIfExists
//! where the restore creates, the region) and, when the job completes, the change itself — a
//! new disk, database or account in the world, containers or volumes added, dump files written
//! into a container, a point in time or namespaces recorded — kept in the store's restore list.

use serde_json::Value;

use crate::armpath::{last_segment, lower, parent_of};
use crate::errors::failed;
use crate::kinds::Kind;
use crate::state::{AppliedRestore, Instance, Job, RestoreEffect, RestorePlan, State};
use crate::world::DatasourceResource;

fn fail(code: &str, message: String, action: &str) -> Value {
    failed(code, &message, &[action], None)
}

fn not_found(id: &str) -> Value {
    fail(
        "ResourceNotFound",
        format!("The restore target '{id}' was not found."),
        "Check the target's ARM ID; it must exist before the restore.",
    )
}

fn exists(what: &str, id: &str) -> Value {
    fail(
        "UserErrorRestoreTargetAlreadyExists",
        format!("{what} '{id}' already exists and the recovery option is FailIfExists."),
        "Choose a name that does not exist yet, or delete the existing one, then retry.",
    )
}

/// The names already restored into a blob container (dump files).
pub fn restored_files(st: &State, container_id: &str) -> Vec<String> {
    st.restores
        .iter()
        .filter_map(|r| match &r.effect {
            RestoreEffect::Files {
                container_id: c,
                names,
            } if lower(c) == lower(container_id) => Some(names.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The first name of `names` already in `have`.
fn clash<'a>(names: &'a [String], have: &[String]) -> Option<&'a String> {
    names
        .iter()
        .find(|n| have.iter().any(|h| h.eq_ignore_ascii_case(n)))
}

/// Whether another running restore is writing to the same target (two restores to one new
/// disk would both pass FailIfExists otherwise).
pub fn effect_conflict(st: &State, plan: &RestorePlan, except_job: Option<&str>) -> bool {
    st.jobs.values().any(|j| {
        j.status.is_running()
            && Some(j.guid.as_str()) != except_job
            && j.restore.as_ref().is_some_and(|p| {
                lower(&p.destination) == lower(&plan.destination)
                    && matches!(p.effect, RestoreEffect::NewResource { .. })
            })
    })
}

/// The checks of the restore's target against the world now.
pub fn check_target(st: &State, inst: &Instance, plan: &RestorePlan) -> Result<(), Value> {
    let w = &st.world;
    match &plan.effect {
        RestoreEffect::NewResource { id, location } => {
            let rg = super::resource_group_id(id).unwrap_or_default();
            if w.resource_group(&rg).is_none() {
                return Err(fail(
                    "ResourceGroupNotFound",
                    format!("The target resource group '{rg}' could not be found."),
                    "Create the resource group or correct the target ID.",
                ));
            }
            if w.datasource(id).is_some() {
                return Err(exists("The restore target", id));
            }
            match Kind::of(id).and_then(|k| k.parent(id)) {
                Some(parent) => {
                    if w.datasource(&parent).is_none() {
                        return Err(not_found(&parent));
                    }
                }
                None => {
                    let source = w
                        .datasource_location(&inst.data_source_info.resource_id)
                        .unwrap_or_default();
                    if !location.eq_ignore_ascii_case(&source) {
                        return Err(fail(
                            "UserErrorRestoreLocationNotSupported",
                            format!(
                                "The restore location '{location}' is not the region of the backed-up datasource ('{source}'); this restore creates its target in the source's region."
                            ),
                            "Set restoreLocation to the source's region (cross-region restore uses the secondary region's API).",
                        ));
                    }
                }
            }
        }
        RestoreEffect::Containers { account_id, names } => {
            let acct = w
                .datasource(account_id)
                .ok_or_else(|| not_found(account_id))?;
            if let Some(n) = clash(names, &acct.containers) {
                return Err(exists("The container", &format!("{account_id}/{n}")));
            }
        }
        RestoreEffect::Files {
            container_id,
            names,
        } => {
            let account = parent_of(container_id, 4);
            let acct = w.datasource(&account).ok_or_else(|| not_found(&account))?;
            let container = last_segment(container_id);
            if !acct
                .containers
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&container))
            {
                return Err(fail(
                    "UserErrorContainerNotFound",
                    format!("The container '{container}' was not found in '{account}'."),
                    "Create the container before restoring files into it.",
                ));
            }
            if let Some(n) = clash(names, &restored_files(st, container_id)) {
                return Err(exists("The file", &format!("{container_id}/{n}")));
            }
        }
        RestoreEffect::PointInTime { account_id, .. } => {
            w.datasource(account_id)
                .ok_or_else(|| not_found(account_id))?;
        }
        RestoreEffect::Cluster { cluster_id, .. } => {
            w.datasource(cluster_id)
                .ok_or_else(|| not_found(cluster_id))?;
        }
        RestoreEffect::Volumes { group_id, names } => {
            let g = w.datasource(group_id).ok_or_else(|| not_found(group_id))?;
            if let Some(n) = clash(names, &g.volumes) {
                return Err(exists("The volume", &format!("{group_id}/volumes/{n}")));
            }
        }
    }
    Ok(())
}

/// Applies a completed restore job's effect and records it.
pub fn apply(st: &mut State, job: &Job, plan: &RestorePlan, at: u64) {
    match &plan.effect {
        RestoreEffect::NewResource { id, location } => {
            let loc = Kind::of(id)
                .and_then(|k| k.parent(id))
                .is_none()
                .then_some(location.as_str());
            st.world.datasources.push(DatasourceResource::new(id, loc));
            st.world.reindex();
        }
        RestoreEffect::Containers { account_id, names } => {
            if let Some(d) = st
                .world
                .datasources
                .iter_mut()
                .find(|d| crate::armpath::same_id(&d.id, account_id))
            {
                d.containers.extend(names.iter().cloned());
            }
        }
        RestoreEffect::Volumes { group_id, names } => {
            if let Some(d) = st
                .world
                .datasources
                .iter_mut()
                .find(|d| crate::armpath::same_id(&d.id, group_id))
            {
                d.volumes.extend(names.iter().cloned());
            }
        }
        RestoreEffect::Files { .. }
        | RestoreEffect::PointInTime { .. }
        | RestoreEffect::Cluster { .. } => {}
    }
    st.restores.push(AppliedRestore {
        job_id: crate::jobs::arm_id(job),
        instance_id: job.instance_id.clone(),
        time_ms: at,
        recovery_point_id: plan.recovery_point_id.clone(),
        recovery_point_time_ms: plan.recovery_point_time_ms,
        effect: plan.effect.clone(),
    });
    st.bump();
}
