//! Applying: create (validate with the role-propagation wait, PUT, wait for protection), update
//! (PUT only when something Azure stores changed) and delete (the operation's end is the proof
//! it is gone: no read-back). Every path that may have left an instance in Azure puts it into
//! state, so nothing is orphaned.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::diags;
use super::lifecycle;
use super::model::{
    Inputs, body_of, ids_equal, known_or_null, merge_planned, mode_of_state, state_of, str_attr,
    timeouts_of,
};
use super::schema as attr;
use crate::azure::arm_id::BackupInstanceId;
use crate::azure::client::{DataProtectionClient, OpOptions};
use crate::azure::error::AzureError;
use crate::azure::wait::Validation;
use crate::provider::Configured;
use crate::provider::errors::azure_error;
use crate::tfplugin::{ApplyResponse, Context, Diagnostics, Value};

/// For the last look after a failure: the user's Ctrl-C has already fired the main token, but we
/// still want to learn whether the instance exists so that it is not orphaned.
fn rescue_op(client: &DataProtectionClient) -> OpOptions {
    client.op_options(Duration::from_secs(20), &CancellationToken::new())
}

fn response(new_state: Value, diagnostics: Diagnostics) -> ApplyResponse {
    ApplyResponse {
        new_state,
        diagnostics,
        ..Default::default()
    }
}

/// What the plan's own validation found (its planned private data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtPlan {
    Validated,
    NotValidated,
    /// The plan warned that the vault's identity lacks permissions.
    PermissionWarned,
}

pub async fn create(
    c: &Configured,
    inputs: &Inputs,
    planned: &Value,
    at_plan: AtPlan,
    ctx: &Context,
) -> ApplyResponse {
    let validated_at_plan = at_plan == AtPlan::Validated;
    let client = &c.client;
    let mut diags = Diagnostics::new();
    let id = inputs.id();
    let id_text = id.to_string();
    let op = client.op_options(inputs.timeouts.create, &ctx.cancel);
    let body = body_of(inputs);
    let put_when_idle =
        || client.when_idle(&id, &op, || client.put_backup_instance(&id, &body, &op));
    tracing::info!(instance = %id, validated_at_plan, "creating backup instance");

    // Validate, unless the plan did; then only what changed since (permissions revoked or never
    // propagated, the datasource taken) sends us back to validating like an unvalidated create.
    let mut put = None;
    let mut adopted = false;
    if validated_at_plan {
        let first = put_when_idle().await;
        if !matches!(&first, Err(e) if e.is_permission() || e.is_already_protected() || e.is_soft_deleted_conflict())
        {
            put = Some(first);
        }
    }
    if put.is_none() {
        let window = c.settings.role_propagation_timeout;
        let started = client.clock().now();
        match client
            .validate_until_permitted(&inputs.vault, &id, &body.properties, window, &op)
            .await
        {
            Ok(Validation::AlreadyOurs) => {
                tracing::info!(instance = %id, "adopting the existing instance with this configuration's name");
                adopted = true;
            }
            Ok(Validation::Passed) => {}
            Err(e) if e.is_soft_deleted_conflict() => {
                return soft_deleted(client, inputs, planned, &op, e).await;
            }
            Err(e) if e.is_permission() => {
                let waited = client.clock().now().saturating_duration_since(started);
                diags.push(diags::permission_after_wait(
                    &e,
                    &id_text,
                    inputs.datasource.kind().entry(),
                    waited,
                    window,
                    at_plan == AtPlan::PermissionWarned,
                ));
                return response(Value::Null, diags);
            }
            Err(e) => {
                let d = azure_error(
                    "Unable to Create Backup Instance",
                    "backup validation",
                    Some(&id_text),
                    &e,
                );
                // The same answers the plan showed as warnings, now errors on their attribute.
                diags.push(if e.is_already_protected() {
                    let mut d = diags::with_path(d, attr::DATASOURCE_ID);
                    let holder = lifecycle::holder(client, inputs, &rescue_op(client)).await;
                    d.detail
                        .push_str(&diags::one_protection_at_a_time(holder.as_ref()));
                    d
                } else if e.is_identity_not_attached() {
                    diags::with_path(d, attr::USER_ASSIGNED_IDENTITY_ID)
                } else if e.is_always_on_required() {
                    diags::with_path(d, attr::VAULT_ID)
                } else {
                    d
                });
                return response(Value::Null, diags);
            }
        }
    }
    let put = match put {
        Some(p) => p,
        None => put_when_idle().await,
    };

    let created = match put {
        Ok(res) => res,
        Err(e) if e.is_soft_deleted_conflict() => {
            return soft_deleted(client, inputs, planned, &op, e).await;
        }
        Err(e) => {
            diags.push(azure_error(
                "Unable to Create Backup Instance",
                "creation of the backup instance",
                Some(&id_text),
                &e,
            ));
            // The PUT may have created the instance before failing (e.g. a timeout while polling):
            // then it must go into state, or it would be orphaned.
            let new_state = match client.get_backup_instance(&id, &rescue_op(client)).await {
                Ok(Some(res)) => state_of(&res, &id, planned),
                _ => Value::Null,
            };
            return response(new_state, diags);
        }
    };
    // An instance that was there before this create (our own crashed create, or a stopped or
    // suspended instance with backups) may be in any state: converge from the one Azure
    // reports, and never let a slow or failed convergence taint it (Terraform would replace a
    // tainted instance, deleting its backups).
    let adopted = adopted
        || mode_of_state(created.properties.current_protection_state.as_deref())
            != attr::mode::PROTECTED;
    let done = if adopted {
        diags::Done::Adopted
    } else {
        diags::Done::Created
    };
    tracing::info!(instance = %id, adopted, state = created.properties.current_protection_state.as_deref().unwrap_or("unknown"), mode = %inputs.protection_mode, "backup instance exists; bringing it to the configured protection mode");
    let settled =
        lifecycle::converge_mode(client, &id, created, &inputs.protection_mode, &op).await;
    match settled {
        Ok(res) => response(state_of(&res, &id, planned), diags),
        Err(e) => converge_failed(client, inputs, planned, &id, e, done, diags).await,
    }
}

/// The create's instance exists but did not reach the configured mode: it goes into state as
/// last read. A new instance fails the create (Terraform taints it); an adopted or recovered
/// one is a warning with the planned values kept (so Terraform stores it untainted), and the
/// next refresh shows its real mode, which the next apply continues from.
async fn converge_failed(
    client: &DataProtectionClient,
    inputs: &Inputs,
    planned: &Value,
    id: &BackupInstanceId,
    e: crate::azure::wait::ProtectionWaitError,
    done: diags::Done,
    mut diags: Diagnostics,
) -> ApplyResponse {
    let (res, err) = diags::split(e);
    let res = match res {
        Some(r) => Some(r),
        None => client
            .get_backup_instance(id, &rescue_op(client))
            .await
            .ok()
            .flatten(),
    };
    let d = diags::wait_error(
        err,
        res.as_ref(),
        id,
        done,
        &inputs.protection_mode,
        inputs.timeouts.create,
    );
    let keep = d.severity == crate::tfplugin::Severity::Warning;
    diags.push(d);
    let new_state = match res {
        Some(r) if keep => merge_planned(state_of(&r, id, planned), planned),
        Some(r) => state_of(&r, id, planned),
        None => known_or_null(planned),
    };
    response(new_state, diags)
}

/// Whether a value Azure stores differs, ignoring the spelling (case) of any string: a change of
/// casing alone is not worth a PUT.
fn azure_changed(prior: &Value, planned: &Value) -> bool {
    attr::IN_PLACE
        .iter()
        .any(|a| match (prior.get(a).as_str(), planned.get(a).as_str()) {
            (Some(o), Some(n)) => !ids_equal(o, n),
            _ => prior.get(a) != planned.get(a),
        })
}

pub async fn update(
    c: &Configured,
    inputs: &Inputs,
    prior: &Value,
    planned: &Value,
    ctx: &Context,
) -> ApplyResponse {
    let client = &c.client;
    let mut diags = Diagnostics::new();
    let id = inputs.id();
    let id_text = id.to_string();
    let op = client.op_options(inputs.timeouts.update, &ctx.cancel);
    let mode_changed = prior.get(attr::PROTECTION_MODE).as_str() != Some(&inputs.protection_mode);
    if !azure_changed(prior, planned) && !mode_changed {
        // Only spelling changed (ID casing, timeouts): nothing to send to Azure.
        return match client.get_backup_instance(&id, &op).await {
            Ok(Some(res)) => response(merge_planned(state_of(&res, &id, planned), planned), diags),
            Ok(None) => {
                diags.error("Backup Instance Not Found", format!("The backup instance {id} no longer exists. Run `terraform apply` again to re-create it."));
                response(Value::Null, diags)
            }
            Err(e) => {
                diags.push(azure_error(
                    "Unable to Update Backup Instance",
                    "reading of the backup instance",
                    Some(&id_text),
                    &e,
                ));
                response(prior.clone(), diags)
            }
        };
    }
    tracing::info!(instance = %id, "updating backup instance");
    let body = body_of(inputs);
    // A policy change is a PUT in any mode (the emulator keeps a stopped or suspended instance
    // so; what Azure does is not documented); the mode is changed after it.
    let put = if azure_changed(prior, planned) {
        client
            .when_idle(&id, &op, || client.put_backup_instance(&id, &body, &op))
            .await
    } else {
        match client.get_backup_instance(&id, &op).await {
            Ok(Some(r)) => Ok(r),
            Ok(None) => Err(AzureError::new(
                crate::azure::error::ErrorKind::Service,
                "getBackupInstance",
                format!("the backup instance {id} no longer exists"),
            )),
            Err(e) => Err(e),
        }
    };
    let updated = match put {
        Ok(res) => res,
        Err(e) => {
            diags.push(azure_error(
                "Unable to Update Backup Instance",
                "update of the backup instance",
                Some(&id_text),
                &e,
            ));
            let new_state = match client.get_backup_instance(&id, &rescue_op(client)).await {
                Ok(Some(res)) => state_of(&res, &id, prior),
                Ok(None) => Value::Null,
                Err(_) => prior.clone(),
            };
            return response(new_state, diags);
        }
    };
    match lifecycle::converge_mode(client, &id, updated, &inputs.protection_mode, &op).await {
        Ok(res) => response(state_of(&res, &id, planned), diags),
        Err(e) => {
            let (res, err) = diags::split(e);
            let timeout = inputs.timeouts.update;
            diags.push(diags::wait_error(
                err,
                res.as_ref(),
                &id,
                diags::Done::Updated,
                &inputs.protection_mode,
                timeout,
            ));
            let new_state = res
                .map(|r| state_of(&r, &id, planned))
                .unwrap_or_else(|| prior.clone());
            response(new_state, diags)
        }
    }
}

pub async fn delete(client: &DataProtectionClient, prior: &Value, ctx: &Context) -> ApplyResponse {
    let Some(id) = str_attr(prior, attr::ID).and_then(|s| s.parse::<BackupInstanceId>().ok())
    else {
        // Nothing we can address: the object never existed in Azure.
        return ApplyResponse::default();
    };
    let timeouts = timeouts_of(prior, &mut Diagnostics::new());
    let op = client.op_options(timeouts.delete, &ctx.cancel);
    if prior.get(attr::DESTROY_BEHAVIOR).as_str()
        == Some(attr::destroy::STOP_PROTECTION_RETAIN_DATA)
    {
        tracing::info!(instance = %id, "stopping protection and keeping the data instead of deleting");
        return match lifecycle::stop_and_retain(client, &id, &op).await {
            Ok(_) => ApplyResponse::default(),
            Err(e) => {
                let mut diags = Diagnostics::new();
                let (res, err) = diags::split(e);
                diags.push(diags::wait_error(
                    err,
                    res.as_ref(),
                    &id,
                    diags::Done::Stopping,
                    attr::mode::PROTECTION_STOPPED,
                    timeouts.delete,
                ));
                response(prior.clone(), diags)
            }
        };
    }
    tracing::info!(instance = %id, "deleting backup instance");
    let deleted = client
        .when_idle(&id, &op, || client.delete_backup_instance(&id, &op))
        .await;
    if let Err(e) = deleted {
        let mut diags = Diagnostics::new();
        diags.push(azure_error(
            "Unable to Delete Backup Instance",
            "deletion of the backup instance",
            Some(&id.to_string()),
            &e,
        ));
        return response(prior.clone(), diags);
    }
    // No read-back: the operation's `Succeeded` (or the 204/404 of a DELETE) already says the
    // instance is gone, and a GET would only cost a request per instance.
    ApplyResponse::default()
}

/// A soft-deleted instance blocks the create: recover and adopt it, or say why not.
async fn soft_deleted(
    client: &DataProtectionClient,
    inputs: &Inputs,
    planned: &Value,
    op: &OpOptions,
    e: AzureError,
) -> ApplyResponse {
    let mut diags = Diagnostics::new();
    let id = inputs.id();
    let found = lifecycle::find_blocking(client, inputs, op)
        .await
        .ok()
        .flatten();
    let Some(d) = found else {
        let err = azure_error(
            "Unable to Create Backup Instance",
            "creation of the backup instance",
            Some(&id.to_string()),
            &e,
        );
        diags.push(diags::with_path(err, attr::DATASOURCE_ID));
        return response(Value::Null, diags);
    };
    if !inputs.recover_soft_deleted {
        diags.push(lifecycle::blocked(
            &d,
            inputs,
            &format!(
                " `{}` is false, so the provider left it alone.",
                attr::RECOVER_SOFT_DELETED
            ),
        ));
        return response(Value::Null, diags);
    }
    match lifecycle::recover(client, inputs, &d, op).await {
        Ok(res) => response(state_of(&res, &id, planned), diags),
        Err(f) => {
            // A warning: the recovered instance goes into state untainted, with the planned
            // values (the next refresh shows what Azure reports).
            let keep = f.diag.severity == crate::tfplugin::Severity::Warning;
            diags.push(f.diag);
            let state = match f.existing {
                Some(r) if keep => merge_planned(state_of(&r, &id, planned), planned),
                Some(r) => state_of(&r, &id, planned),
                None => Value::Null,
            };
            response(state, diags)
        }
    }
}
