//! The resource's model: typed inputs parsed and checked from a Terraform value, the request
//! body built from them, and the state Terraform stores built from Azure's answer.

use std::collections::BTreeMap;
use std::time::Duration;

use super::diags;
use super::params::{self, KindParams};
use super::schema::{self as attr, attribute_of, timeouts as t};
use crate::azure::arm_id::{
    BackupInstanceId, BackupPolicyId, BackupVaultId, DatasourceId, KeyVaultSecretUri, NameRule,
    ResourceGroupId,
};
use crate::azure::catalogue::{Input, InputRule, Need};
use crate::azure::models::{BackupInstance, BackupInstanceResource, IdentityDetails};
use crate::tfplugin::{AttributePath, Diagnostics, Value};

/// Namespace of the deterministic instance names (UUIDv5). Never change it: a different namespace
/// would give an existing configuration new names, and so duplicate instances after a crash.
const NAME_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a1d_3c52_8f0e_4b7a_9d3e_2c41_b0a5_e7f1);

#[derive(Debug, Clone)]
pub struct Timeouts {
    pub create: Duration,
    pub read: Duration,
    pub update: Duration,
    pub delete: Duration,
}

/// The user's inputs, parsed and checked. Only built when every input is known.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub vault: BackupVaultId,
    pub datasource: DatasourceId,
    pub location: String,
    pub policy: BackupPolicyId,
    pub snapshot_rg: Option<ResourceGroupId>,
    pub secret: Option<KeyVaultSecretUri>,
    pub name: String,
    pub friendly_name: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub timeouts: Timeouts,
    /// One of [`attr::mode::ALL`].
    pub protection_mode: String,
    pub recover_soft_deleted: bool,
    pub user_assigned_identity: Option<String>,
    /// `containers`, `volume_name`, the `kubernetes` block.
    pub params: KindParams,
}

impl Inputs {
    pub fn id(&self) -> BackupInstanceId {
        BackupInstanceId {
            vault: self.vault.clone(),
            name: self.name.clone(),
        }
    }
}

/// `{datasource name}-{UUIDv5}`: the IDs are lower-cased first because ARM IDs are
/// case-insensitive, and a casing change must not give the same datasource a second instance.
pub fn default_name(vault: &BackupVaultId, datasource: &DatasourceId) -> String {
    let key = format!(
        "{}|{}",
        vault.to_string().to_ascii_lowercase(),
        datasource.to_string().to_ascii_lowercase()
    );
    // The prefix is lower-cased like the key: differently cased IDs of one datasource (Azure
    // compares them case-insensitively) give one name.
    format!(
        "{}-{}",
        datasource.name().to_ascii_lowercase(),
        uuid::Uuid::new_v5(&NAME_NAMESPACE, key.as_bytes())
    )
}

pub fn str_attr<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name).as_str()
}

fn parse_attr<T: std::str::FromStr>(
    v: &Value,
    name: &str,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    let text = str_attr(v, name)?;
    match text.parse::<T>() {
        Ok(t) => Some(t),
        Err(e) => {
            diags.error_at(
                AttributePath::root(name),
                format!("Invalid {what}"),
                format!("`{name}` is not a valid {what}: {e}"),
            );
            None
        }
    }
}

pub fn timeouts_of(v: &Value, diags: &mut Diagnostics) -> Timeouts {
    use crate::provider::config::timeout_arg;
    Timeouts {
        create: timeout_arg(v, t::CREATE, attr::DEFAULT_CREATE, diags),
        read: timeout_arg(v, t::READ, attr::DEFAULT_READ, diags),
        update: timeout_arg(v, t::UPDATE, attr::DEFAULT_UPDATE, diags),
        delete: timeout_arg(v, t::DELETE, attr::DEFAULT_DELETE, diags),
    }
}

pub use crate::azure::wait::same_arm_id as ids_equal;

/// Azure spells regions several ways (`West Europe`, `westeurope`).
pub fn locations_equal(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// Parses and cross-checks the configuration, reporting every problem at once. Unknown values are
/// skipped; `None` is returned unless everything is known and valid.
pub fn check_inputs(v: &Value, diags: &mut Diagnostics) -> Option<Inputs> {
    let before = diags.len();
    check_no_computed(v, diags);
    parse_inputs(v, diags, before)
}

/// Only for configuration: planned and prior states carry computed values legitimately.
fn check_no_computed(v: &Value, diags: &mut Diagnostics) {
    for name in attr::COMPUTED_ONLY {
        if !v.get(name).is_null() && !v.get(name).is_unknown() {
            diags::computed_attribute_set(diags, name);
        }
    }
}

/// An Azure region name as ARM spells it in `location` (`westeurope`, `eastus2`): the display
/// names (`West Europe`) are accepted by some APIs and not others, so only this form is taken.
fn location_ok(location: &str) -> bool {
    (1..=64).contains(&location.len())
        && location
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// Which kind-specific inputs are set must match the datasource's catalogue entry.
fn check_kind_inputs(v: &Value, ds: &DatasourceId, diags: &mut Diagnostics) {
    let entry = ds.kind().entry();
    for input in Input::ALL {
        let set = !v.get(attribute_of(*input)).is_null();
        match entry.rule(*input) {
            Some(InputRule {
                need: Need::Required,
                ..
            }) if !set => diags::missing_input(diags, *input, entry),
            None if set => diags::input_not_allowed(diags, *input, ds),
            _ => {}
        }
    }
}

pub fn parse_inputs(v: &Value, diags: &mut Diagnostics, before: usize) -> Option<Inputs> {
    let vault: Option<BackupVaultId> = parse_attr(v, attr::VAULT_ID, "Backup Vault ID", diags);
    let datasource = datasource_of(v, diags);
    let policy: Option<BackupPolicyId> = parse_attr(v, attr::POLICY_ID, "Backup Policy ID", diags);
    let snapshot_rg: Option<ResourceGroupId> = parse_attr(
        v,
        attr::SNAPSHOT_RESOURCE_GROUP_ID,
        "Resource Group ID",
        diags,
    );
    let secret: Option<KeyVaultSecretUri> =
        parse_attr(v, attr::KEY_VAULT_SECRET_URI, "Key Vault secret URI", diags);
    let timeouts = timeouts_of(v, diags);

    if let (Some(vault), Some(policy)) = (&vault, &policy)
        && !ids_equal(&vault.to_string(), &policy.vault.to_string())
    {
        diags::policy_not_in_vault(diags, policy, vault);
    }
    if let Some(location) = str_attr(v, attr::LOCATION)
        && !location_ok(location)
    {
        diags::invalid_location(diags, location);
    }
    // The same grammar the ID parser applies to the name segment, so a name that validates is
    // one the URL can carry unchanged.
    if let Some(name) = str_attr(v, attr::NAME)
        && let Err(problem) = NameRule::AsciiName.check("backupInstanceName", name)
    {
        diags::invalid_name(diags, &problem);
    }
    if let Some(ds) = &datasource {
        check_kind_inputs(v, ds, diags);
    }
    params::check(v, diags);
    for (name, allowed) in [
        (attr::PROTECTION_MODE, attr::mode::ALL),
        (attr::DESTROY_BEHAVIOR, attr::destroy::ALL),
    ] {
        if let Some(value) = str_attr(v, name)
            && !allowed.contains(&value)
        {
            diags::not_one_of(diags, name, value, allowed);
        }
    }
    if let Some(uami) = str_attr(v, attr::USER_ASSIGNED_IDENTITY_ID)
        && !is_user_assigned_identity_id(uami)
    {
        diags::invalid_identity(diags, uami);
    }
    let inputs_known = attr::INPUTS.iter().all(|a| v.get(a).is_wholly_known());
    if diags.len() > before || !inputs_known {
        return None;
    }
    let (vault, datasource, policy) = (vault?, datasource?, policy?);
    let location = str_attr(v, attr::LOCATION)?.to_owned();
    let name = match str_attr(v, attr::NAME) {
        Some(n) => n.to_owned(),
        None => default_name(&vault, &datasource),
    };
    let tags = v.get(attr::TAGS).as_map().map(|m| {
        m.iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect()
    });
    Some(Inputs {
        vault,
        datasource,
        location,
        policy,
        snapshot_rg,
        secret,
        name,
        friendly_name: str_attr(v, attr::FRIENDLY_NAME).map(str::to_owned),
        tags,
        timeouts,
        protection_mode: str_attr(v, attr::PROTECTION_MODE)
            .unwrap_or(attr::mode::PROTECTED)
            .to_owned(),
        recover_soft_deleted: v.get(attr::RECOVER_SOFT_DELETED).as_bool().unwrap_or(true),
        user_assigned_identity: str_attr(v, attr::USER_ASSIGNED_IDENTITY_ID).map(str::to_owned),
        params: params::parse(v),
    })
}

/// The datasource from `datasource_id` and `datasource_type` (which chooses between the kinds
/// of one ID: blob or Data Lake); a type that does not fit the ID is an error on the type.
pub fn datasource_of(v: &Value, diags: &mut Diagnostics) -> Option<DatasourceId> {
    let ds: DatasourceId = parse_attr(v, attr::DATASOURCE_ID, "Datasource ID", diags)?;
    let wanted = match v.get(attr::DATASOURCE_TYPE) {
        Value::Unknown => return None,
        t => t.as_str(),
    };
    match DatasourceId::with_type(&ds.to_string(), wanted) {
        Ok(ds) => Some(ds),
        Err(e) => {
            diags.error_at(
                AttributePath::root(attr::DATASOURCE_TYPE),
                "Datasource Type Does Not Fit",
                format!(
                    "`{}` does not fit `{}`: {}. Remove `{}` to derive it from the ID.",
                    attr::DATASOURCE_TYPE,
                    attr::DATASOURCE_ID,
                    e.problem(),
                    attr::DATASOURCE_TYPE
                ),
            );
            None
        }
    }
}

/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`.
fn is_user_assigned_identity_id(id: &str) -> bool {
    let segs: Vec<&str> = id.split('/').collect();
    segs.len() == 9
        && segs[0].is_empty()
        && segs[1].eq_ignore_ascii_case("subscriptions")
        && segs[3].eq_ignore_ascii_case("resourceGroups")
        && segs[5].eq_ignore_ascii_case("providers")
        && segs[6].eq_ignore_ascii_case("Microsoft.ManagedIdentity")
        && segs[7].eq_ignore_ascii_case("userAssignedIdentities")
        && [2, 4, 8].iter().all(|i| !segs[*i].trim().is_empty())
}

/// The `protection_mode` an observed protection state amounts to.
pub fn mode_of_state(state: Option<&str>) -> &'static str {
    match state {
        Some(s) if s.eq_ignore_ascii_case("ProtectionStopped") => attr::mode::PROTECTION_STOPPED,
        Some(s) if s.eq_ignore_ascii_case("BackupsSuspended") => attr::mode::BACKUPS_SUSPENDED,
        _ => attr::mode::PROTECTED,
    }
}

/// The state an adopted instance starts from (import, or a `terraform query` result): one that
/// holds its data without backups (stopped, or suspended) gets `destroy_behavior =
/// "StopProtectionRetainData"`, so a later destroy keeps that data as the earlier destroy did.
/// Returns the blank prior state and whether the instance is held.
pub fn adopted_blank(res: &BackupInstanceResource) -> (Value, bool) {
    let held =
        mode_of_state(res.properties.current_protection_state.as_deref()) != attr::mode::PROTECTED;
    let mut blank = Value::object([(attr::TIMEOUTS, Value::Null)]);
    if held {
        blank.set(
            attr::DESTROY_BEHAVIOR,
            Value::string(attr::destroy::STOP_PROTECTION_RETAIN_DATA),
        );
    }
    (blank, held)
}

/// A soft-deleted (or soft-deleting) instance is gone as far as Terraform is concerned.
pub fn is_soft_deleted(res: &BackupInstanceResource) -> bool {
    let p = &res.properties;
    let status = p
        .protection_status
        .as_ref()
        .and_then(|s| s.status.as_deref());
    [p.current_protection_state.as_deref(), status]
        .into_iter()
        .flatten()
        .any(|s| s.eq_ignore_ascii_case("SoftDeleted") || s.eq_ignore_ascii_case("SoftDeleting"))
}

/// The request body, from the inputs alone (the datasource kind decides the shape).
pub fn body_of(inputs: &Inputs) -> BackupInstanceResource {
    let mut props = BackupInstance::new_for(&inputs.datasource, &inputs.location, &inputs.policy);
    props.friendly_name = inputs.friendly_name.clone();
    if let Some(rg) = &inputs.snapshot_rg {
        props = props.with_snapshot_resource_group(rg);
    }
    if let Some(secret) = &inputs.secret {
        props = props.with_secret_store(secret);
    }
    props = params::apply_to(props, &inputs.datasource, &inputs.params);
    if let Some(uami) = &inputs.user_assigned_identity {
        props.identity_details = Some(IdentityDetails {
            use_system_assigned_identity: Some(false),
            user_assigned_identity_arm_url: Some(uami.clone()),
        });
    }
    BackupInstanceResource {
        id: None,
        name: Some(inputs.name.clone()),
        resource_type: None,
        tags: inputs.tags.clone(),
        properties: props,
    }
}

fn string_or_null(s: Option<String>) -> Value {
    s.map(Value::string).unwrap_or(Value::Null)
}

/// The state Terraform stores, from what Azure returned. Where the prior value is the same
/// thing spelled differently (ID or region casing), the prior spelling is kept so nothing flaps.
pub fn state_of(res: &BackupInstanceResource, id: &BackupInstanceId, prior: &Value) -> Value {
    let p = &res.properties;
    let keep = |name: &str, observed: Option<String>, same: fn(&str, &str) -> bool| -> Value {
        match (prior.get(name).as_str(), observed) {
            (Some(old), Some(new)) if same(old, &new) => Value::string(old),
            (_, Some(new)) if !new.is_empty() => Value::string(new),
            _ => Value::Null,
        }
    };
    let exact = |a: &str, b: &str| a == b;
    let snapshot = p.policy_info.policy_parameters.as_ref().and_then(|pp| {
        pp.data_store_parameters_list
            .iter()
            .find_map(|d| d.resource_group_id.clone())
    });
    let secret = p
        .datasource_auth_credentials
        .as_ref()
        .and_then(|c| c.secret_store_resource.as_ref()?.uri.clone());
    let location = p
        .data_source_info
        .resource_location
        .clone()
        .filter(|l| !l.is_empty())
        .or_else(|| str_attr(prior, attr::LOCATION).map(str::to_owned));
    let tags = match (&res.tags, prior.get(attr::TAGS)) {
        (Some(t), _) if !t.is_empty() => Value::Map(
            t.iter()
                .map(|(k, v)| (k.clone(), Value::string(v.clone())))
                .collect(),
        ),
        (_, Value::Map(m)) if m.is_empty() => Value::Map(BTreeMap::new()),
        _ => Value::Null,
    };
    // The service's type chooses between the kinds of one ID (blob or Data Lake).
    let reported = p.data_source_info.datasource_type.as_deref();
    let kind = DatasourceId::with_type(&p.data_source_info.resource_id, reported)
        .or_else(|_| p.data_source_info.resource_id.parse::<DatasourceId>())
        .ok();
    let datasource_type = kind
        .as_ref()
        .map(|d| d.datasource_type().to_owned())
        .or_else(|| reported.map(str::to_owned));
    let kind = kind.map(|d| d.kind());
    let datasource_id = p.data_source_info.resource_id.clone();
    let status = p.protection_status.as_ref().and_then(|s| s.status.clone());
    let protection_error = p
        .protection_error_details
        .clone()
        .or_else(|| {
            p.protection_status
                .as_ref()
                .and_then(|s| s.error_details.clone())
        })
        .filter(|e| e.code.is_some() || e.message.is_some());
    let uami = p
        .identity_details
        .as_ref()
        .filter(|d| d.use_system_assigned_identity != Some(true))
        .and_then(|d| d.user_assigned_identity_arm_url.clone());
    // Provider-side settings come from the prior (or planned) value, else their defaults.
    let setting = |name: &str, default: Value| match prior.get(name) {
        Value::Null | Value::Unknown => default,
        v => v.clone(),
    };
    let [containers, volume, kubernetes] = params::state(p, kind, prior);
    Value::object([
        containers,
        volume,
        kubernetes,
        (
            attr::PROTECTION_MODE,
            Value::string(mode_of_state(p.current_protection_state.as_deref())),
        ),
        (
            attr::DESTROY_BEHAVIOR,
            setting(attr::DESTROY_BEHAVIOR, Value::string(attr::destroy::DELETE)),
        ),
        (
            attr::RECOVER_SOFT_DELETED,
            setting(attr::RECOVER_SOFT_DELETED, Value::bool(true)),
        ),
        (
            attr::USER_ASSIGNED_IDENTITY_ID,
            keep(attr::USER_ASSIGNED_IDENTITY_ID, uami, ids_equal),
        ),
        (attr::ID, keep(attr::ID, Some(id.to_string()), ids_equal)),
        (
            attr::VAULT_ID,
            keep(attr::VAULT_ID, Some(id.vault.to_string()), ids_equal),
        ),
        (
            attr::DATASOURCE_ID,
            keep(attr::DATASOURCE_ID, Some(datasource_id), ids_equal),
        ),
        (
            attr::LOCATION,
            keep(attr::LOCATION, location, locations_equal),
        ),
        (
            attr::POLICY_ID,
            keep(
                attr::POLICY_ID,
                Some(p.policy_info.policy_id.clone()),
                ids_equal,
            ),
        ),
        (
            attr::SNAPSHOT_RESOURCE_GROUP_ID,
            keep(attr::SNAPSHOT_RESOURCE_GROUP_ID, snapshot, ids_equal),
        ),
        (
            attr::KEY_VAULT_SECRET_URI,
            keep(attr::KEY_VAULT_SECRET_URI, secret, ids_equal),
        ),
        (attr::NAME, keep(attr::NAME, Some(id.name.clone()), exact)),
        (
            attr::FRIENDLY_NAME,
            keep(attr::FRIENDLY_NAME, p.friendly_name.clone(), exact),
        ),
        (attr::TAGS, tags),
        (
            attr::DATASOURCE_TYPE,
            keep(attr::DATASOURCE_TYPE, datasource_type, ids_equal),
        ),
        (
            attr::PROTECTION_STATE,
            string_or_null(p.current_protection_state.clone()),
        ),
        (attr::PROTECTION_STATUS, string_or_null(status)),
        (
            attr::PROVISIONING_STATE,
            string_or_null(p.provisioning_state.clone()),
        ),
        (
            attr::PROTECTION_ERROR_CODE,
            string_or_null(protection_error.as_ref().and_then(|e| e.code.clone())),
        ),
        (
            attr::PROTECTION_ERROR_MESSAGE,
            string_or_null(protection_error.as_ref().and_then(error_text)),
        ),
        (attr::TIMEOUTS, prior.get(attr::TIMEOUTS).clone()),
    ])
}

/// A protection error's message and Azure's recommended actions, as one text.
fn error_text(e: &crate::azure::models::UserFacingError) -> Option<String> {
    let mut text = e
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())?
        .to_owned();
    let actions: Vec<&str> = e
        .recommended_action
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    if !actions.is_empty() {
        text.push_str(" Recommended action: ");
        text.push_str(&actions.join(" "));
    }
    Some(text)
}

/// When the instance exists but could not be read back, keep what we know rather than lose it.
pub fn known_or_null(planned: &Value) -> Value {
    let mut v = planned.clone();
    if let Value::Object(m) = &mut v {
        for val in m.values_mut() {
            if val.is_unknown() {
                *val = Value::Null;
            }
        }
    }
    v
}

/// Keeps the planned spelling of every configured value (Terraform requires it back verbatim).
pub fn merge_planned(mut observed: Value, planned: &Value) -> Value {
    if let (Value::Object(o), Value::Object(p)) = (&mut observed, planned) {
        for (k, v) in p {
            if !v.is_unknown() {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    observed
}

#[cfg(test)]
pub(super) mod tests;
