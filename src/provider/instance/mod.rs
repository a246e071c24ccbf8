//! The `azurebackup_instance` resource: a backup instance in an Azure Backup vault.
//!
//! - [`schema`]: the schema and every attribute name as a constant.
//! - [`model`]: typed inputs from Terraform values, the request body, state from Azure's answer.
//! - [`plan`]: planned values and the plan-time validation.
//! - [`apply`]: create, update and delete.
//! - [`diags`]: the resource's diagnostic texts.
//! - [`identity`]: its resource identity (Terraform 1.12+); [`list`]: its list resource for
//!   `terraform query` (Terraform 1.14+).
//!
//! The [`Resource`] implementation below follows HashiCorp's order: schema, validate, plan,
//! create/update/delete (one `apply` call in the protocol), read, import.

mod apply;
mod diags;
mod generate;
pub mod identity;
mod lifecycle;
pub mod list;
mod model;
mod params;
mod plan;
pub(crate) mod plan_marks;
mod plan_warnings;
pub mod schema;

use std::sync::Arc;

use super::errors::azure_error;
use super::{Configured, Shared};
use crate::azure::arm_id::BackupInstanceId;
use crate::tfplugin::{
    ApplyRequest, ApplyResponse, Context, Diagnostics, IdentitySchema, ImportResponse, MoveRequest,
    PlanRequest, PlanResponse, ReadRequest, ReadResponse, Resource, Schema, Value,
};
use model::{check_inputs, is_soft_deleted, str_attr, timeouts_of};
use schema as attr;

pub use model::{default_name, ids_equal, mode_of_state, parse_inputs, state_of};
pub use schema::schema;

pub const TYPE_NAME: &str = "azurebackup_instance";

pub struct InstanceResource {
    shared: Arc<Shared>,
    /// Instances this provider process has planned to replace, with their datasources. Terraform
    /// plans the create half of a replacement with no prior state; this is how that plan knows
    /// the datasource is protected by the very instance being replaced.
    replacing: std::sync::Mutex<Vec<(BackupInstanceId, String)>>,
    /// Vault and policy answers the plan warnings read once per command.
    plan_reads: plan_warnings::PlanReads,
}

impl InstanceResource {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            replacing: std::sync::Mutex::new(Vec::new()),
            plan_reads: plan_warnings::PlanReads::default(),
        }
    }

    fn note_replacing(&self, prior: &Value) {
        let id = str_attr(prior, attr::ID).and_then(|s| s.parse::<BackupInstanceId>().ok());
        let ds = str_attr(prior, attr::DATASOURCE_ID).map(str::to_owned);
        if let (Some(id), Some(ds), Ok(mut list)) = (id, ds, self.replacing.lock())
            && !list.iter().any(|(i, _)| *i == id)
        {
            // Bounded: one entry per resource instance in a plan.
            if list.len() >= 10_000 {
                list.remove(0);
            }
            list.push((id, ds));
        }
    }

    /// The instances being replaced that protected `datasource`.
    fn replaced_for(&self, datasource: &str) -> Vec<BackupInstanceId> {
        self.replacing
            .lock()
            .map(|l| {
                l.iter()
                    .filter(|(_, ds)| crate::azure::wait::same_arm_id(ds, datasource))
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn configured(&self, diags: &mut Diagnostics) -> Option<Arc<Configured>> {
        let c = self.shared.get();
        if c.is_none() {
            diags.error("Provider Not Configured", "The azurebackup provider was not configured before this operation. This is a bug in the provider or Terraform; please report it.");
        }
        c
    }
}

#[async_trait::async_trait]
impl Resource for InstanceResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    // -- schema --------------------------------------------------------------------------------
    fn schema(&self) -> Schema {
        schema()
    }

    // -- validate: the configuration alone, every problem at once --------------------------------
    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let _ = check_inputs(config, &mut diags);
        diags
    }

    // -- plan: the same checks, API-version rules, planned values, plan-time validation ----------
    async fn plan(&self, req: PlanRequest, ctx: &Context) -> PlanResponse {
        let mut diags = Diagnostics::new();

        let inputs = check_inputs(&req.config, &mut diags);
        let configured = self.shared.get();
        if let Some(c) = &configured {
            plan::check_against_client(&c.client, &req.config, &mut diags);
        }
        if diags.has_errors() {
            return PlanResponse {
                planned_state: req.proposed_new_state,
                diagnostics: diags,
                ..Default::default()
            };
        }
        let mut planned = req.proposed_new_state;
        if !req.prior_state.is_null() {
            let prior = &req.prior_state;
            let requires_replace = plan::plan_update(&req.config, prior, &mut planned);
            if !requires_replace.is_empty() {
                self.note_replacing(prior);
            }
            plan_warnings::destroy_behavior_pending(prior, &planned, &mut diags);
            plan_warnings::refuse_retaining_replacement(prior, &requires_replace, &mut diags);
            if let Some(c) = &configured {
                plan_warnings::protection_error(c, prior, ctx, &mut diags).await;
                let policy_changed = match (str_attr(prior, attr::POLICY_ID), &inputs) {
                    (Some(old), Some(i)) => !ids_equal(old, &i.policy.to_string()),
                    _ => false,
                };
                if let (true, Some(i)) = (policy_changed || !requires_replace.is_empty(), &inputs) {
                    plan_warnings::check_policy_kind_once(&self.plan_reads, c, i, ctx, &mut diags)
                        .await;
                }
            }
            return PlanResponse {
                planned_state: planned,
                requires_replace,
                diagnostics: diags,
                ..Default::default()
            };
        }
        plan::plan_create(&req.config, &mut planned);
        let mut planned_private = Vec::new();
        if let (Some(inputs), Some(c)) = (&inputs, &configured) {
            if c.settings.validate_on_plan {
                // The policy's kind is checked with the validation, once per command: apply's
                // re-plan takes the plan's word for both.
                let replaced = self.replaced_for(&inputs.datasource.to_string());
                let reads = &self.plan_reads;
                planned_private =
                    match plan::validate_once(c, reads, inputs, &replaced, ctx, &mut diags).await {
                        plan::PlanValidation::Passed => plan::VALIDATED_AT_PLAN.to_vec(),
                        plan::PlanValidation::PermissionWarned => {
                            plan::PERMISSION_WARNED_AT_PLAN.to_vec()
                        }
                        plan::PlanValidation::NotPassed => Vec::new(),
                    };
            } else {
                plan_warnings::check_policy_kind(&self.plan_reads, c, inputs, ctx, &mut diags)
                    .await;
            }
        }
        PlanResponse {
            planned_state: planned,
            planned_private,
            diagnostics: diags,
            ..Default::default()
        }
    }

    // -- destroy plan: say plainly whether destroy deletes or keeps the instance ----------------
    async fn plan_destroy(&self, prior: &Value, ctx: &Context) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let c = self.shared.get();
        plan_warnings::plan_destroy(&self.plan_reads, c.as_deref(), prior, ctx, &mut diags).await;
        diags
    }

    // -- create, update, delete: one `apply` call, told apart by prior and planned state --------
    async fn apply(&self, req: ApplyRequest, ctx: &Context) -> ApplyResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.configured(&mut diags) else {
            return ApplyResponse {
                new_state: req.prior_state,
                diagnostics: diags,
                ..Default::default()
            };
        };
        // Lists taken before (or while) this changes an instance no longer tell the truth.
        c.reads.wrote();
        let resp = apply_configured(&c, req, diags, ctx).await;
        c.reads.wrote();
        resp
    }

    // -- read: refresh from Azure; a vanished instance leaves state ------------------------------
    async fn read(&self, req: ReadRequest, ctx: &Context) -> ReadResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.configured(&mut diags) else {
            return ReadResponse {
                new_state: req.current_state,
                diagnostics: diags,
                ..Default::default()
            };
        };
        let state = req.current_state;
        let Some(id) = str_attr(&state, attr::ID).and_then(|s| s.parse::<BackupInstanceId>().ok())
        else {
            diags.error("Invalid State", format!("The stored `{}` is not a backup instance ID; remove the resource from state (`terraform state rm`) and import it again.", attr::ID));
            return ReadResponse {
                new_state: state,
                diagnostics: diags,
                ..Default::default()
            };
        };
        let timeouts = timeouts_of(&state, &mut Diagnostics::new());
        let op = c.client.op_options(timeouts.read, &ctx.cancel);
        // Refresh of many instances: served from the vault's list when that is cheaper.
        match c.reads.read(&id, &op).await {
            // Soft-deleted (or being soft-deleted) is gone for Terraform: a create recovers it.
            Ok(Some(res)) if is_soft_deleted(&res) => {
                tracing::warn!(instance = %id, "backup instance is soft-deleted; removing it from state");
                ReadResponse::default()
            }
            Ok(Some(res)) => {
                params::report_unrecognised(&res.properties, &id, &mut diags);
                ReadResponse {
                    new_state: state_of(&res, &id, &state),
                    diagnostics: diags,
                    ..Default::default()
                }
            }
            Ok(None) => {
                tracing::warn!(instance = %id, "backup instance is gone; removing it from state");
                ReadResponse::default()
            }
            Err(e) => {
                diags.push(azure_error(
                    "Unable to Read Backup Instance",
                    "reading of the backup instance",
                    Some(&id.to_string()),
                    &e,
                ));
                ReadResponse {
                    new_state: state,
                    diagnostics: diags,
                    ..Default::default()
                }
            }
        }
    }

    // -- identity (Terraform 1.12+): from the ARM ID in state, see identity.rs ------------------
    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::schema())
    }

    fn identity(&self, state: &Value) -> Value {
        identity::of_state(state)
    }

    fn import_id(&self, identity: &Value) -> Result<String, Diagnostics> {
        identity::import_id(identity)
    }

    fn generate_config(&self, state: &Value, generic: Value) -> Result<Value, Diagnostics> {
        Ok(generate::config(state, generic))
    }

    // -- move: from azurerm's backup instance resources (see provider::migrate) ---------------------
    async fn move_from(&self, req: &MoveRequest) -> Result<Value, Diagnostics> {
        super::migrate::from_azurerm(req)
    }

    // -- import: by ARM ID, then read --------------------------------------------------------------
    async fn import(&self, id: &str, ctx: &Context) -> ImportResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.configured(&mut diags) else {
            return ImportResponse {
                diagnostics: diags,
                ..Default::default()
            };
        };
        let failed = |diags| ImportResponse {
            diagnostics: diags,
            ..Default::default()
        };
        let parsed = match id.parse::<BackupInstanceId>() {
            Ok(p) => p,
            Err(e) => {
                diags.error(
                    "Invalid Import ID",
                    format!("The import ID must be a backup instance's ARM ID: {e}"),
                );
                return failed(diags);
            }
        };
        let op = c.client.op_options(attr::DEFAULT_READ, &ctx.cancel);
        match c.client.get_backup_instance(&parsed, &op).await {
            Ok(Some(res)) => {
                let (blank, held) = model::adopted_blank(&res);
                if held {
                    diags.warning(
                        "Imported With Data Retained",
                        format!(
                            "The backup instance {id} is {} in Azure and still holds its recovery points, so it is imported with `{} = \"{}\"`: a later destroy stops protection and keeps them instead of deleting them. Set `{} = \"{}\"` in the configuration (and apply it) only if a destroy should delete them.",
                            res.properties.current_protection_state.as_deref().unwrap_or("held"),
                            attr::DESTROY_BEHAVIOR,
                            attr::destroy::STOP_PROTECTION_RETAIN_DATA,
                            attr::DESTROY_BEHAVIOR,
                            attr::destroy::DELETE,
                        ),
                    );
                }
                ImportResponse {
                    state: state_of(&res, &parsed, &blank),
                    diagnostics: diags,
                    ..Default::default()
                }
            }
            Ok(None) => {
                diags.error("Cannot Import Non-Existent Backup Instance", format!("No backup instance exists at {id}. Check the ID (`terraform import {TYPE_NAME}.NAME <backup instance ARM ID>`)."));
                failed(diags)
            }
            Err(e) => {
                diags.push(azure_error(
                    "Unable to Import Backup Instance",
                    "reading of the backup instance",
                    Some(id),
                    &e,
                ));
                failed(diags)
            }
        }
    }
}

/// Create, update or delete, once the provider is configured.
async fn apply_configured(
    c: &Configured,
    req: ApplyRequest,
    mut diags: Diagnostics,
    ctx: &Context,
) -> ApplyResponse {
    if req.planned_state.is_null() {
        return apply::delete(&c.client, &req.prior_state, ctx).await;
    }
    let Some(inputs) = parse_inputs(&req.planned_state, &mut diags, 0) else {
        diags.error(
            "Invalid Planned State",
            "The planned values could not be read back; this is a bug in the provider.",
        );
        return ApplyResponse {
            new_state: req.prior_state,
            diagnostics: diags,
            ..Default::default()
        };
    };
    if req.prior_state.is_null() {
        let at_plan = match req.planned_private.as_slice() {
            p if p == plan::VALIDATED_AT_PLAN => apply::AtPlan::Validated,
            p if p == plan::PERMISSION_WARNED_AT_PLAN => apply::AtPlan::PermissionWarned,
            _ => apply::AtPlan::NotValidated,
        };
        apply::create(c, &inputs, &req.planned_state, at_plan, ctx).await
    } else {
        apply::update(c, &inputs, &req.prior_state, &req.planned_state, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::AttributePath;
    use model::tests::disk_config;
    use tokio_util::sync::CancellationToken;

    /// An imported instance whose datasource location Azure left empty is not replaced when the
    /// configuration names the location; a real location change is.
    #[tokio::test]
    async fn missing_prior_location_is_no_replacement_but_a_change_is() {
        let r = InstanceResource::new(Arc::new(Shared::default()));
        let ctx = Context {
            cancel: CancellationToken::new(),
        };
        let config = disk_config();
        let mut prior = disk_config();
        prior.set(attr::ID, Value::string("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi"));
        prior.set(attr::NAME, Value::string("bi"));
        prior.set(attr::LOCATION, Value::Null);
        let plan = |prior: Value, config: Value| PlanRequest {
            prior_state: prior,
            proposed_new_state: config.clone(),
            config,
            prior_private: Vec::new(),
        };
        let resp = r.plan(plan(prior.clone(), with_name(&config)), &ctx).await;
        assert!(
            resp.requires_replace.is_empty(),
            "{:?}",
            resp.requires_replace
        );
        prior.set(attr::LOCATION, Value::string("northeurope"));
        let resp = r.plan(plan(prior, with_name(&config)), &ctx).await;
        assert_eq!(
            resp.requires_replace,
            vec![AttributePath::root(attr::LOCATION)]
        );
    }

    fn with_name(v: &Value) -> Value {
        let mut v = v.clone();
        v.set(attr::NAME, Value::string("bi"));
        v
    }
}
