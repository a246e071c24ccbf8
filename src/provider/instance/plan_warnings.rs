//! What a plan would otherwise hide: a destroy that deletes (and for how long soft delete keeps
//! it), a `destroy_behavior` changed but not yet applied, a replacement whose destroy keeps the
//! old instance, an instance that fell into a protection error, and a policy of another kind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::diags;
use super::model::{Inputs, str_attr};
use super::schema as attr;
use crate::azure::arm_id::BackupInstanceId;
use crate::azure::client::SoftDeleteSettings;
use crate::provider::Configured;
use crate::tfplugin::{AttributePath, Context, Diagnostic, Diagnostics, Severity, Value};

/// Answers a plan reads once per provider process (one Terraform command): per vault its soft
/// delete, per policy its datasource types. Terraform plans instances in parallel, so a read in
/// flight is shared, not repeated: 1,000 instances of one policy cost one GET. Bounded: one
/// entry per vault or policy in a plan.
#[derive(Default)]
pub struct PlanReads {
    soft_delete: Cells<Option<SoftDeleteSettings>>,
    policy_types: Cells<Option<Vec<String>>>,
}

type Cells<T> = Mutex<HashMap<String, Arc<OnceCell<T>>>>;

const CACHE_CAP: usize = 10_000;

/// The cell for `key`: the first caller fills it, the others wait for that read. A read that is
/// cancelled leaves the cell empty for the next caller.
fn cell<T>(m: &Cells<T>, key: String) -> Arc<OnceCell<T>> {
    let mut m = m.lock().unwrap_or_else(|p| p.into_inner());
    if m.len() >= CACHE_CAP && !m.contains_key(&key) {
        m.clear();
    }
    m.entry(key).or_default().clone()
}

impl PlanReads {
    /// The vault's soft-delete setting, when it can be read (a failure is no reason to fail
    /// a destroy plan: the warning then just leaves the retention out).
    async fn soft_delete(
        &self,
        c: &Configured,
        id: &BackupInstanceId,
        ctx: &Context,
    ) -> Option<SoftDeleteSettings> {
        let key = id.vault.to_string().to_ascii_lowercase();
        let read = || async {
            let op = c
                .client
                .op_options(std::time::Duration::from_secs(30), &ctx.cancel);
            match c.client.get_vault_soft_delete(&id.vault, &op).await {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(vault = %id.vault, error = %e, "cannot read the vault's soft-delete setting for the destroy plan");
                    None
                }
            }
        };
        cell(&self.soft_delete, key).get_or_init(read).await.clone()
    }

    /// The policy's datasource types; `None` when they cannot be read.
    async fn policy_types(
        &self,
        c: &Configured,
        inputs: &Inputs,
        ctx: &Context,
    ) -> Option<Vec<String>> {
        let key = inputs.policy.to_string().to_ascii_lowercase();
        let read = || async {
            let op = c.client.op_options(inputs.timeouts.read, &ctx.cancel);
            match c
                .client
                .get_policy_datasource_types(&inputs.policy, &op)
                .await
            {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(policy = %inputs.policy, error = %e, "cannot read the backup policy at plan; apply's validation checks it");
                    None
                }
            }
        };
        cell(&self.policy_types, key)
            .get_or_init(read)
            .await
            .clone()
    }
}

fn deletes(prior: &Value) -> bool {
    prior.get(attr::DESTROY_BEHAVIOR).as_str() != Some(attr::destroy::STOP_PROTECTION_RETAIN_DATA)
}

const KEEP_THE_DATA: &str = "Terraform gives a destroy only the state, never the configuration: a `destroy_behavior` changed in the configuration counts only once it is applied. To keep the data, set `destroy_behavior = \"StopProtectionRetainData\"`, run `terraform apply`, then destroy.";

/// A destroy plan: what destroy does to the instance, and for a delete how long the vault's
/// soft delete keeps it.
pub async fn plan_destroy(
    reads: &PlanReads,
    c: Option<&Configured>,
    prior: &Value,
    ctx: &Context,
    diags: &mut Diagnostics,
) {
    let shown = str_attr(prior, attr::ID).unwrap_or("the backup instance");
    if !deletes(prior) {
        diags.warning(
            "Backup Instance Will Be Kept",
            format!(
                "`{}` is \"{}\": destroying {shown} stops its protection, keeps every recovery point and removes it from Terraform state only. The instance stays in Azure in ProtectionStopped (and its recovery points keep costing storage) until you delete it there.",
                attr::DESTROY_BEHAVIOR,
                attr::destroy::STOP_PROTECTION_RETAIN_DATA,
            ),
        );
        return;
    }
    let id = str_attr(prior, attr::ID).and_then(|s| s.parse::<BackupInstanceId>().ok());
    let soft = match (c, &id) {
        (Some(c), Some(id)) => reads.soft_delete(c, id, ctx).await,
        _ => None,
    };
    let retention = match &soft {
        Some(s) if s.keeps_deleted() => match s.retention_days {
            Some(d) => format!(
                " The vault's soft delete is {} with a retention of {d} days: the deleted instance and its recovery points are kept soft-deleted for {d} days (an apply of this configuration within that time recovers it), then purged for good.",
                s.state.as_deref().unwrap_or("on")
            ),
            None => " The vault's soft delete is on: the deleted instance is kept soft-deleted for the vault's retention period, then purged for good.".to_owned(),
        },
        Some(_) => " The vault's soft delete is off: the recovery points are gone for good at once.".to_owned(),
        None => String::new(),
    };
    diags.warning(
        "Backup Instance Will Be Deleted",
        format!(
            "`{}` is \"{}\" in state: destroying {shown} deletes the backup instance and its recovery points.{retention}\n\n{KEEP_THE_DATA}",
            attr::DESTROY_BEHAVIOR,
            prior.get(attr::DESTROY_BEHAVIOR).as_str().unwrap_or(attr::destroy::DELETE),
        ),
    );
}

/// An update that changes `destroy_behavior` towards keeping the data: until it is applied, a
/// destroy still deletes. (Terraform 1.0 to 1.2 ask no destroy plan, so this is what they
/// show before a `terraform destroy`.)
pub fn destroy_behavior_pending(prior: &Value, planned: &Value, diags: &mut Diagnostics) {
    let (old, new) = (
        prior
            .get(attr::DESTROY_BEHAVIOR)
            .as_str()
            .unwrap_or(attr::destroy::DELETE),
        planned.get(attr::DESTROY_BEHAVIOR).as_str(),
    );
    if deletes(prior) && new == Some(attr::destroy::STOP_PROTECTION_RETAIN_DATA) {
        diags.push(Diagnostic {
            severity: Severity::Warning,
            summary: "Destroy Still Deletes Until Applied".into(),
            detail: format!(
                "This plan changes `{}` from \"{old}\" to \"{}\" for {}. Until it is applied, a destroy (`terraform destroy`, or removing the resource) uses the value in state and DELETES the instance and its recovery points. Run `terraform apply` first, then destroy.",
                attr::DESTROY_BEHAVIOR,
                attr::destroy::STOP_PROTECTION_RETAIN_DATA,
                str_attr(prior, attr::ID).unwrap_or("the backup instance"),
            ),
            attribute: Some(AttributePath::root(attr::DESTROY_BEHAVIOR)),
        });
    }
}

/// A replacement destroys the old instance first, with the `destroy_behavior` in state. One
/// that keeps it leaves the datasource held by the stopped old instance, and Azure refuses the
/// new one: refused here, before anything changes.
pub fn refuse_retaining_replacement(
    prior: &Value,
    requires_replace: &[AttributePath],
    diags: &mut Diagnostics,
) {
    if requires_replace.is_empty() || deletes(prior) {
        return;
    }
    let changed: Vec<String> = requires_replace.iter().map(|p| format!("`{p}`")).collect();
    diags.error_at(
        AttributePath::root(attr::DESTROY_BEHAVIOR),
        "Replacement Would Keep The Old Backup Instance",
        format!(
            "Changing {} replaces {}: Terraform destroys the old instance first, and its `{}` in state is \"{}\", so that destroy only stops its protection and keeps it in Azure. Azure lets one backup instance at a time protect a datasource, a stopped one included, so it would then refuse the new instance: the datasource would be left unprotected and the old instance outside Terraform. Nothing has been changed.\n\nEither revert the change, or, to replace the instance and delete the old one with its recovery points, first apply `{} = \"{}\"` on its own, then make this change. (A `terraform destroy` plans the configuration too: revert the change before destroying.)",
            changed.join(", "),
            str_attr(prior, attr::ID).unwrap_or("the backup instance"),
            attr::DESTROY_BEHAVIOR,
            attr::destroy::STOP_PROTECTION_RETAIN_DATA,
            attr::DESTROY_BEHAVIOR,
            attr::destroy::DELETE,
        ),
    );
}

/// An instance whose refreshed state is a protection failure: named at plan, with Azure's
/// error details (one GET, only for such an instance).
pub async fn protection_error(
    c: &Configured,
    prior: &Value,
    ctx: &Context,
    diags: &mut Diagnostics,
) {
    let failed = [attr::PROTECTION_STATE, attr::PROTECTION_STATUS]
        .iter()
        .any(|a| {
            str_attr(prior, a).is_some_and(|s| {
                s.eq_ignore_ascii_case("ProtectionError")
                    || s.eq_ignore_ascii_case("ConfiguringProtectionFailed")
            })
        });
    let Some(id) = str_attr(prior, attr::ID).and_then(|s| s.parse::<BackupInstanceId>().ok())
    else {
        return;
    };
    if !failed {
        return;
    }
    let op = c
        .client
        .op_options(std::time::Duration::from_secs(30), &ctx.cancel);
    if let Ok(Some(res)) = c.client.get_backup_instance(&id, &op).await
        && let Some(d) = diags::protection_error_warning(&res, &id.to_string())
    {
        diags.push(d);
    }
}

/// [`check_policy_kind`] once per Terraform command for an instance and policy: apply's re-plan
/// takes the plan's word for it, as it does for the validation.
pub async fn check_policy_kind_once(
    reads: &PlanReads,
    c: &Configured,
    inputs: &Inputs,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> bool {
    let policy = inputs.policy.to_string().to_ascii_lowercase();
    let key = super::plan_marks::key(&format!("{}#policy-kind", inputs.id()), &policy);
    let marks = super::plan_marks::Marks::for_this_command();
    if marks.as_ref().is_some_and(|m| m.take(&key)) {
        return true;
    }
    let ok = check_policy_kind(reads, c, inputs, ctx, diags).await;
    if let (true, Some(m)) = (ok, &marks) {
        m.mark(&key);
    }
    ok
}

/// The policy must be for the instance's datasource type (from the policy itself): an error on
/// `policy_id` at plan instead of a failure at apply. Returns false when it is that error.
pub async fn check_policy_kind(
    reads: &PlanReads,
    c: &Configured,
    inputs: &Inputs,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> bool {
    let Some(types) = reads.policy_types(c, inputs, ctx).await else {
        return true;
    };
    let want = inputs.datasource.datasource_type();
    if types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case(want)) {
        return true;
    }
    diags.error_at(
        AttributePath::root(attr::POLICY_ID),
        "Backup Policy Is For Another Datasource Type",
        format!(
            "The backup policy {} is for {}, but this instance protects a {} (`{want}`). Use a policy of that datasource type in the same vault.",
            inputs.policy,
            types
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", "),
            inputs.datasource.kind().entry().noun,
        ),
    );
    false
}
