//! The `azurebackup_restore` resource: one restore job of a backup instance, from a recovery
//! point or a point in time to one target.
//!
//! - [`schema`]: the schema and every attribute name as a constant.
//! - [`request`]: typed inputs from the configuration; [`for_instance`]: the request for the
//!   instance restored from.
//! - [`job`]: plan-time validation, the trigger and the job wait, the destroy.
//!
//! A restore is an event, not an object Azure keeps: the resource records it (the job), a
//! refresh follows the job, and a destroy forgets it — deleting only a disk the restore itself
//! made, when asked to (`delete_restored_target`).

mod for_instance;
mod job;
mod request;
pub mod schema;

use std::sync::Arc;

use super::Shared;
use super::config::timeout_arg as timeout_of;
use super::instance::plan_marks;
use crate::tfplugin::{
    ApplyRequest, ApplyResponse, AttributePath, Context, Diagnostics, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse, Resource, Schema, Value,
};
use schema as attr;

pub const TYPE_NAME: &str = "azurebackup_restore";

/// planned_private of a create whose validateRestore passed at plan: apply need not ask again.
const VALIDATED_AT_PLAN: &[u8] = b"restore-validated";

pub struct RestoreResource {
    shared: Arc<Shared>,
}

impl RestoreResource {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

fn check_all(config: &Value, diags: &mut Diagnostics) -> Option<request::Inputs> {
    let inputs = request::check(config, diags);
    for (name, default) in [
        (attr::timeouts::CREATE, attr::DEFAULT_CREATE),
        (attr::timeouts::READ, attr::DEFAULT_READ),
        (attr::timeouts::DELETE, attr::DEFAULT_DELETE),
    ] {
        timeout_of(config, name, default, diags);
    }
    inputs
}

/// The attributes whose change is a new restore (everything but the provider's own settings).
fn changed_inputs(prior: &Value, config: &Value, planned: &Value) -> Vec<AttributePath> {
    let mut out = Vec::new();
    for a in [attr::BACKUP_INSTANCE_ID, attr::POINT_IN_TIME] {
        if planned.get(a) != prior.get(a) {
            out.push(AttributePath::root(a));
        }
    }
    // Optional and computed: only a configured value that differs is a change.
    if !config.get(attr::RECOVERY_POINT_ID).is_null()
        && planned.get(attr::RECOVERY_POINT_ID) != prior.get(attr::RECOVERY_POINT_ID)
    {
        out.push(AttributePath::root(attr::RECOVERY_POINT_ID));
    }
    for (b, _) in attr::TARGET_BLOCKS {
        if planned.get(b) != prior.get(b) {
            out.push(AttributePath::root(*b));
        }
    }
    out
}

#[async_trait::async_trait]
impl Resource for RestoreResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let _ = check_all(config, &mut diags);
        diags
    }

    async fn plan(&self, req: PlanRequest, ctx: &Context) -> PlanResponse {
        let mut diags = Diagnostics::new();
        let inputs = check_all(&req.config, &mut diags);
        let mut planned = req.proposed_new_state;
        if diags.has_errors() {
            return PlanResponse {
                planned_state: planned,
                diagnostics: diags,
                ..Default::default()
            };
        }
        if !req.prior_state.is_null() {
            let requires_replace = changed_inputs(&req.prior_state, &req.config, &planned);
            return PlanResponse {
                planned_state: planned,
                requires_replace,
                diagnostics: diags,
                ..Default::default()
            };
        }
        for a in [
            attr::ID,
            attr::JOB_ID,
            attr::JOB_STATUS,
            attr::START_TIME,
            attr::END_TIME,
        ] {
            planned.set(a, Value::Unknown);
        }
        if req.config.get(attr::RECOVERY_POINT_ID).is_null() {
            planned.set(attr::RECOVERY_POINT_ID, Value::Unknown);
        }
        planned.set(
            attr::RESTORED_RESOURCE_ID,
            match &inputs {
                Some(i) => i
                    .target
                    .restored_resource_id()
                    .map(Value::string)
                    .unwrap_or(Value::Null),
                None => Value::Unknown,
            },
        );
        let mut planned_private = Vec::new();
        if let (Some(inputs), Some(c)) = (&inputs, self.shared.get())
            && c.settings.validate_on_plan
        {
            // `terraform apply` plans in one provider process and re-plans in another: the
            // plan's mark spares the re-plan a second validateRestore (see plan_marks).
            let key = plan_marks::key(
                &format!("{}#restore", inputs.instance),
                &format!("{inputs:?}"),
            );
            let marks = plan_marks::Marks::for_this_command();
            if marks.as_ref().is_some_and(|m| m.take(&key)) {
                return PlanResponse {
                    planned_state: planned,
                    planned_private: VALIDATED_AT_PLAN.to_vec(),
                    diagnostics: diags,
                    ..Default::default()
                };
            }
            let timeout = timeout_of(
                &req.config,
                attr::timeouts::READ,
                attr::DEFAULT_READ,
                &mut Diagnostics::new(),
            );
            if job::validate_at_plan(&c, inputs, timeout, ctx, &mut diags).await {
                planned_private = VALIDATED_AT_PLAN.to_vec();
                if let Some(m) = &marks {
                    m.mark(&key);
                }
            }
        }
        PlanResponse {
            planned_state: planned,
            planned_private,
            diagnostics: diags,
            ..Default::default()
        }
    }

    async fn apply(&self, req: ApplyRequest, ctx: &Context) -> ApplyResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.shared.get() else {
            diags.extend(super::data::not_configured());
            return ApplyResponse {
                new_state: req.prior_state,
                diagnostics: diags,
                ..Default::default()
            };
        };
        if req.planned_state.is_null() {
            let timeout = timeout_of(
                &req.prior_state,
                attr::timeouts::DELETE,
                attr::DEFAULT_DELETE,
                &mut diags,
            );
            let kept = job::destroy(&c, &req.prior_state, timeout, ctx, &mut diags).await;
            return ApplyResponse {
                new_state: if kept { req.prior_state } else { Value::Null },
                diagnostics: diags,
                ..Default::default()
            };
        }
        if !req.prior_state.is_null() {
            // Only provider-side settings change in place (everything else replaces).
            let mut state = req.planned_state;
            for a in attr::COMPUTED_ONLY.iter().chain([&attr::RECOVERY_POINT_ID]) {
                state.set(*a, req.prior_state.get(a).clone());
            }
            return ApplyResponse {
                new_state: state,
                diagnostics: diags,
                ..Default::default()
            };
        }
        let Some(inputs) = check_all(&req.config, &mut diags) else {
            if !diags.has_errors() {
                diags.error("Unknown Restore Inputs", "An argument of the restore is still unknown at apply. This is a bug in the provider or Terraform; please report it.");
            }
            return ApplyResponse {
                diagnostics: diags,
                ..Default::default()
            };
        };
        let timeout = timeout_of(
            &req.config,
            attr::timeouts::CREATE,
            attr::DEFAULT_CREATE,
            &mut diags,
        );
        let validated = req.planned_private == VALIDATED_AT_PLAN;
        let new_state = job::create(
            &c,
            &inputs,
            req.planned_state,
            validated,
            timeout,
            ctx,
            &mut diags,
        )
        .await;
        ApplyResponse {
            new_state,
            diagnostics: diags,
            ..Default::default()
        }
    }

    async fn read(&self, req: ReadRequest, ctx: &Context) -> ReadResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.shared.get() else {
            diags.extend(super::data::not_configured());
            return ReadResponse {
                new_state: req.current_state,
                private: req.private,
                diagnostics: diags,
            };
        };
        let timeout = timeout_of(
            &req.current_state,
            attr::timeouts::READ,
            attr::DEFAULT_READ,
            &mut diags,
        );
        let new_state = job::follow(&c, req.current_state, timeout, ctx, &mut diags).await;
        ReadResponse {
            new_state,
            private: req.private,
            diagnostics: diags,
        }
    }

    async fn import(&self, _id: &str, _ctx: &Context) -> ImportResponse {
        let mut diagnostics = Diagnostics::new();
        diagnostics.error(
            "Import Not Supported",
            "azurebackup_restore records a restore that Terraform started; a restore made elsewhere (portal, CLI) has nothing to manage. To see past restores, use the `azurebackup_backup_jobs` data source.",
        );
        ImportResponse {
            diagnostics,
            ..Default::default()
        }
    }
}
