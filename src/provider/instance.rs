//! The `azurebackup_instance` resource: a backup instance in an Azure Backup vault. In the order
//! HashiCorp providers use: schema → model → validate → plan → create → read → update → delete →
//! import.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::errors::{azure_error, azure_warning};
use super::{Configured, Shared};
use crate::azure::arm_id::{
    BackupInstanceId, BackupPolicyId, BackupVaultId, DatasourceId, DatasourceKind,
    KeyVaultSecretUri, ResourceGroupId,
};
use crate::azure::client::{DataProtectionClient, OpOptions};
use crate::azure::error::AzureError;
use crate::azure::models::{BackupInstance, BackupInstanceResource};
use crate::tfplugin::{
    ApplyRequest, ApplyResponse, Attribute, AttributePath, Block, Context, Diagnostic, Diagnostics,
    ImportResponse, NestedBlock, Nesting, PlanRequest, PlanResponse, ReadRequest, ReadResponse,
    Resource, Schema, Severity, Type, Value,
};

pub const TYPE_NAME: &str = "azurebackup_instance";

/// Namespace of the deterministic instance names (UUIDv5). Never change it: a different namespace
/// would give an existing configuration new names, and so duplicate instances after a crash.
const NAME_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a1d_3c52_8f0e_4b7a_9d3e_2c41_b0a5_e7f1);

const DEFAULT_CREATE: Duration = Duration::from_secs(30 * 60);
const DEFAULT_READ: Duration = Duration::from_secs(5 * 60);
const DEFAULT_UPDATE: Duration = Duration::from_secs(30 * 60);
const DEFAULT_DELETE: Duration = Duration::from_secs(30 * 60);

/// Attributes the user may not set: Terraform 1.0 does not reject them, so we must.
const COMPUTED_ONLY: &[&str] = &[
    "id",
    "datasource_type",
    "protection_state",
    "protection_status",
    "provisioning_state",
];
/// Changing any of these means a new backup instance.
const REPLACE: &[&str] = &["vault_id", "datasource_id", "name", "location"];
/// Changing any of these is a PUT on the existing instance.
const IN_PLACE: &[&str] = &[
    "policy_id",
    "snapshot_resource_group_id",
    "key_vault_secret_uri",
    "friendly_name",
    "tags",
];

// ---------------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------------

pub fn schema() -> Schema {
    let s = Type::String;
    let attributes = vec![
        Attribute::computed("id", s.clone()).description("The ARM ID of the backup instance (`.../backupVaults/{vault}/backupInstances/{name}`)."),
        Attribute::required("vault_id", s.clone()).requires_replace().description("The ARM ID of the Backup vault that holds the instance. Changing it creates a new instance."),
        Attribute::required("datasource_id", s.clone()).requires_replace().description("The ARM ID of what to protect: a managed disk (`Microsoft.Compute/disks`), a PostgreSQL single-server database (`Microsoft.DBforPostgreSQL/servers/{server}/databases/{db}`) or a PostgreSQL flexible server (`Microsoft.DBforPostgreSQL/flexibleServers`). The datasource kind is derived from it. Changing it creates a new instance."),
        Attribute::required("location", s.clone()).requires_replace().description("The Azure region of the datasource, e.g. `westeurope`. Changing it creates a new instance."),
        Attribute::required("policy_id", s.clone()).description("The ARM ID of the backup policy; it must belong to `vault_id` and be made for the datasource's kind. Can be changed in place."),
        Attribute::optional("snapshot_resource_group_id", s.clone()).description("Managed disks only, and required for them: the ARM ID of the resource group where operational-tier snapshots are kept. The vault's identity needs `Disk Snapshot Contributor` on it."),
        Attribute::optional("key_vault_secret_uri", s.clone()).description("PostgreSQL single-server databases only: the URI of the Key Vault secret holding the connection string (`https://{vault}.vault.azure.net/secrets/{name}`). Not available with `api_version = \"2021-01-01\"`."),
        Attribute::optional_computed("name", s.clone()).requires_replace().description("The name of the backup instance. Defaults to `{datasource name}-{UUIDv5 of the vault and datasource IDs}`, so a create retried after a crash finds the same instance instead of making a second one. Changing it creates a new instance."),
        Attribute::optional_computed("friendly_name", s.clone()).description("A display name for the instance. Defaults to what the service chooses."),
        Attribute::optional("tags", Type::Map(Box::new(Type::String))).description("Tags on the backup instance. Not available with `api_version = \"2021-01-01\"`."),
        Attribute::computed("datasource_type", s.clone()).description("The datasource type derived from `datasource_id`, e.g. `Microsoft.Compute/disks`."),
        Attribute::computed("protection_state", s.clone()).description("The instance's current protection state as Azure reports it (`currentProtectionState`), e.g. `ProtectionConfigured`."),
        Attribute::computed("protection_status", s.clone()).description("The instance's protection status (`protectionStatus.status`), e.g. `ProtectionConfigured`."),
        Attribute::computed("provisioning_state", s).description("The ARM provisioning state, e.g. `Succeeded`."),
    ];
    let timeout = |name: &str, default: &str| {
        Attribute::optional(name, Type::String).description(format!("How long to wait for the {name} to finish, as a duration like `30m` or `1h`. Defaults to `{default}`."))
    };
    let timeouts = NestedBlock {
        type_name: "timeouts".into(),
        nesting: Nesting::Single,
        block: Block {
            description: "How long each operation may take.".into(),
            attributes: vec![
                timeout("create", "30m"),
                timeout("read", "5m"),
                timeout("update", "30m"),
                timeout("delete", "30m"),
            ],
            ..Default::default()
        },
        min_items: 0,
        max_items: 0,
    };
    Schema {
        version: 0,
        block: Block {
            description: "Protects an Azure resource with Azure Backup: a backup instance in a Backup vault (Data Protection API). Supports managed disks, PostgreSQL single-server databases and PostgreSQL flexible servers.\n\nAt `plan`, new instances are checked with the service's `validateForBackup`; `apply` creates the instance, waits for the asynchronous operation and then for protection to be configured.".into(),
            attributes,
            blocks: vec![timeouts],
            deprecated: false,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Timeouts {
    create: Duration,
    read: Duration,
    update: Duration,
    delete: Duration,
}

/// The user's inputs, parsed and checked. Only built when every input is known.
#[derive(Debug, Clone)]
struct Inputs {
    vault: BackupVaultId,
    datasource: DatasourceId,
    location: String,
    policy: BackupPolicyId,
    snapshot_rg: Option<ResourceGroupId>,
    secret: Option<KeyVaultSecretUri>,
    name: String,
    friendly_name: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    timeouts: Timeouts,
}

impl Inputs {
    fn id(&self) -> BackupInstanceId {
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
    format!(
        "{}-{}",
        datasource.name(),
        uuid::Uuid::new_v5(&NAME_NAMESPACE, key.as_bytes())
    )
}

fn str_attr<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
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

fn timeouts_of(v: &Value, diags: &mut Diagnostics) -> Timeouts {
    let t = v.get("timeouts");
    let one = |name: &str, default: Duration, diags: &mut Diagnostics| match t.get(name).as_str() {
        Some(text) => match super::config::parse_duration(text) {
            Ok(d) if d.is_zero() => {
                diags.error_at(
                    AttributePath::root("timeouts").attr(name),
                    "Invalid Timeout",
                    format!("`timeouts.{name}` must be greater than zero."),
                );
                default
            }
            Ok(d) => d,
            Err(e) => {
                diags.error_at(
                    AttributePath::root("timeouts").attr(name),
                    "Invalid Timeout",
                    e,
                );
                default
            }
        },
        None => default,
    };
    Timeouts {
        create: one("create", DEFAULT_CREATE, diags),
        read: one("read", DEFAULT_READ, diags),
        update: one("update", DEFAULT_UPDATE, diags),
        delete: one("delete", DEFAULT_DELETE, diags),
    }
}

fn ids_equal(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// Azure spells regions several ways (`West Europe`, `westeurope`).
fn locations_equal(a: &str, b: &str) -> bool {
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
fn check_inputs(v: &Value, diags: &mut Diagnostics) -> Option<Inputs> {
    let before = diags.len();
    check_no_computed(v, diags);
    parse_inputs(v, diags, before)
}

/// Only for configuration: planned and prior states carry computed values legitimately.
fn check_no_computed(v: &Value, diags: &mut Diagnostics) {
    for name in COMPUTED_ONLY {
        if !v.get(name).is_null() && !v.get(name).is_unknown() {
            diags.error_at(
                AttributePath::root(*name),
                "Computed Attribute Set",
                format!("`{name}` is set by the provider and cannot be configured; remove it."),
            );
        }
    }
}

fn parse_inputs(v: &Value, diags: &mut Diagnostics, before: usize) -> Option<Inputs> {
    let vault: Option<BackupVaultId> = parse_attr(v, "vault_id", "Backup Vault ID", diags);
    let datasource: Option<DatasourceId> = parse_attr(v, "datasource_id", "Datasource ID", diags);
    let policy: Option<BackupPolicyId> = parse_attr(v, "policy_id", "Backup Policy ID", diags);
    let snapshot_rg: Option<ResourceGroupId> =
        parse_attr(v, "snapshot_resource_group_id", "Resource Group ID", diags);
    let secret: Option<KeyVaultSecretUri> =
        parse_attr(v, "key_vault_secret_uri", "Key Vault secret URI", diags);
    let timeouts = timeouts_of(v, diags);

    if let (Some(vault), Some(policy)) = (&vault, &policy)
        && !ids_equal(&vault.to_string(), &policy.vault.to_string())
    {
        diags.error_at(
                AttributePath::root("policy_id"),
                "Policy Not In Vault",
                format!("`policy_id` belongs to vault {}, but `vault_id` is {}. A backup policy can only be used by instances in its own vault.", policy.vault, vault),
            );
    }
    if let Some(name) = str_attr(v, "location")
        && name.trim().is_empty()
    {
        diags.error_at(
            AttributePath::root("location"),
            "Invalid Location",
            "`location` must name the datasource's Azure region, e.g. \"westeurope\".",
        );
    }
    if let Some(name) = str_attr(v, "name") {
        let bad = name.is_empty()
            || name.len() > 260
            || name.chars().any(|c| {
                matches!(
                    c,
                    '/' | '\\' | '?' | '#' | '%' | '&' | ':' | '<' | '>' | '*'
                ) || c.is_control()
            });
        if bad {
            diags.error_at(AttributePath::root("name"), "Invalid Name", format!("`name` {name:?} is not a valid backup instance name: use 1-260 letters, digits, `-`, `_` or `.`."));
        }
    }
    let ds_known = !v.get("datasource_id").is_unknown();
    if let Some(ds) = &datasource {
        let snap = v.get("snapshot_resource_group_id");
        match ds.kind() {
            DatasourceKind::Disk if snap.is_null() => diags.error_at(
                AttributePath::root("snapshot_resource_group_id"),
                "Missing Snapshot Resource Group",
                "Managed disks are backed up as snapshots: set `snapshot_resource_group_id` to the ARM ID of the resource group that will hold them.",
            ),
            DatasourceKind::Disk => {}
            _ if !snap.is_null() => diags.error_at(
                AttributePath::root("snapshot_resource_group_id"),
                "Argument Not Allowed",
                format!("`snapshot_resource_group_id` is only for managed disks; `datasource_id` is a {}. Remove it.", ds.datasource_type()),
            ),
            _ => {}
        }
        if ds.kind() != DatasourceKind::PostgresDatabase && !v.get("key_vault_secret_uri").is_null()
        {
            diags.error_at(
                AttributePath::root("key_vault_secret_uri"),
                "Argument Not Allowed",
                format!("`key_vault_secret_uri` is only for PostgreSQL single-server databases; `datasource_id` is a {}. Remove it.", ds.datasource_type()),
            );
        }
    }
    let _ = ds_known;
    let inputs_known = [
        "vault_id",
        "datasource_id",
        "location",
        "policy_id",
        "snapshot_resource_group_id",
        "key_vault_secret_uri",
        "name",
        "tags",
        "timeouts",
    ]
    .iter()
    .all(|a| v.get(a).is_wholly_known());
    if diags.len() > before || !inputs_known {
        return None;
    }
    let (vault, datasource, policy) = (vault?, datasource?, policy?);
    let location = str_attr(v, "location")?.to_owned();
    let name = match str_attr(v, "name") {
        Some(n) => n.to_owned(),
        None => default_name(&vault, &datasource),
    };
    let tags = v.get("tags").as_map().map(|m| {
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
        friendly_name: str_attr(v, "friendly_name").map(str::to_owned),
        tags,
        timeouts,
    })
}

/// The request body, from the inputs alone (the datasource kind decides the shape).
fn body_of(inputs: &Inputs) -> BackupInstanceResource {
    let mut props = BackupInstance::new_for(&inputs.datasource, &inputs.location, &inputs.policy);
    props.friendly_name = inputs.friendly_name.clone();
    if let Some(rg) = &inputs.snapshot_rg {
        props = props.with_snapshot_resource_group(rg);
    }
    if let Some(secret) = &inputs.secret {
        props = props.with_secret_store(secret);
    }
    BackupInstanceResource {
        id: None,
        name: Some(inputs.name.clone()),
        resource_type: None,
        tags: inputs.tags.clone(),
        properties: props,
    }
}

/// API-version rules: these need the configured provider, so they are checked at plan.
fn check_against_client(client: &DataProtectionClient, v: &Value, diags: &mut Diagnostics) {
    if !client.supports_auth_credentials() && !v.get("key_vault_secret_uri").is_null() {
        diags.error_at(
            AttributePath::root("key_vault_secret_uri"),
            "Not Supported By API Version",
            format!("API version {} has no Key Vault credentials for PostgreSQL. Use a newer `api_version` on the provider (for example 2025-07-01) or remove `key_vault_secret_uri`.", client.api_version()),
        );
    }
    if !client.supports_tags() && !v.get("tags").is_null() {
        diags.error_at(
            AttributePath::root("tags"),
            "Not Supported By API Version",
            format!("API version {} has no tags on backup instances. Use a newer `api_version` on the provider or remove `tags`.", client.api_version()),
        );
    }
}

/// The state Terraform stores, from what Azure returned. Where the prior value is the same
/// thing spelled differently (ID or region casing), the prior spelling is kept so nothing flaps.
fn state_of(res: &BackupInstanceResource, id: &BackupInstanceId, prior: &Value) -> Value {
    let p = &res.properties;
    let keep = |name: &str, observed: Option<String>, same: fn(&str, &str) -> bool| -> Value {
        match (prior.get(name).as_str(), observed) {
            (Some(old), Some(new)) if same(old, &new) => Value::string(old),
            (_, Some(new)) if !new.is_empty() => Value::string(new),
            _ => Value::Null,
        }
    };
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
        .or_else(|| prior.get("location").as_str().map(str::to_owned));
    let tags = match (&res.tags, prior.get("tags")) {
        (Some(t), _) if !t.is_empty() => Value::Map(
            t.iter()
                .map(|(k, v)| (k.clone(), Value::string(v.clone())))
                .collect(),
        ),
        (_, Value::Map(m)) if m.is_empty() => Value::Map(BTreeMap::new()),
        _ => Value::Null,
    };
    let datasource_type = p
        .data_source_info
        .resource_id
        .parse::<DatasourceId>()
        .map(|d| d.datasource_type().to_owned())
        .ok()
        .or_else(|| p.data_source_info.datasource_type.clone());
    let protection_state = p.current_protection_state.clone();
    let protection_status = p.protection_status.as_ref().and_then(|s| s.status.clone());
    Value::object([
        ("id", keep("id", Some(id.to_string()), ids_equal)),
        (
            "vault_id",
            keep("vault_id", Some(id.vault.to_string()), ids_equal),
        ),
        (
            "datasource_id",
            keep(
                "datasource_id",
                Some(p.data_source_info.resource_id.clone()),
                ids_equal,
            ),
        ),
        ("location", keep("location", location, locations_equal)),
        (
            "policy_id",
            keep(
                "policy_id",
                Some(p.policy_info.policy_id.clone()),
                ids_equal,
            ),
        ),
        (
            "snapshot_resource_group_id",
            keep("snapshot_resource_group_id", snapshot, ids_equal),
        ),
        (
            "key_vault_secret_uri",
            keep("key_vault_secret_uri", secret, ids_equal),
        ),
        ("name", keep("name", Some(id.name.clone()), |a, b| a == b)),
        (
            "friendly_name",
            keep("friendly_name", p.friendly_name.clone(), |a, b| a == b),
        ),
        ("tags", tags),
        (
            "datasource_type",
            datasource_type.map(Value::string).unwrap_or(Value::Null),
        ),
        (
            "protection_state",
            protection_state.map(Value::string).unwrap_or(Value::Null),
        ),
        (
            "protection_status",
            protection_status.map(Value::string).unwrap_or(Value::Null),
        ),
        (
            "provisioning_state",
            p.provisioning_state
                .clone()
                .map(Value::string)
                .unwrap_or(Value::Null),
        ),
        ("timeouts", prior.get("timeouts").clone()),
    ])
}

fn op(deadline: Duration, cancel: &CancellationToken) -> OpOptions {
    OpOptions {
        deadline: Instant::now() + deadline,
        cancel: cancel.clone(),
    }
}

/// For the last look after a failure: the user's Ctrl-C has already fired the main token, but we
/// still want to learn whether the instance exists so that it is not orphaned.
fn rescue_op() -> OpOptions {
    op(Duration::from_secs(20), &CancellationToken::new())
}

fn is_protection_failure(res: &BackupInstanceResource) -> bool {
    let p = &res.properties;
    let bad = |s: &str| {
        s.eq_ignore_ascii_case("ProtectionError")
            || s.eq_ignore_ascii_case("ConfiguringProtectionFailed")
    };
    p.current_protection_state.as_deref().is_some_and(bad)
        || p.protection_status
            .as_ref()
            .and_then(|s| s.status.as_deref())
            .is_some_and(bad)
}

fn is_protected(res: &BackupInstanceResource) -> bool {
    let p = &res.properties;
    let ok = |s: &str| s.eq_ignore_ascii_case("ProtectionConfigured");
    p.current_protection_state
        .as_deref()
        .map(ok)
        .unwrap_or_else(|| {
            p.protection_status
                .as_ref()
                .and_then(|s| s.status.as_deref())
                .is_some_and(ok)
        })
}

fn protection_error_detail(res: &BackupInstanceResource) -> String {
    let p = &res.properties;
    let err = p.protection_error_details.as_ref().or_else(|| {
        p.protection_status
            .as_ref()
            .and_then(|s| s.error_details.as_ref())
    });
    let state = p
        .current_protection_state
        .clone()
        .or_else(|| p.protection_status.as_ref().and_then(|s| s.status.clone()))
        .unwrap_or_default();
    match err {
        Some(e) => format!("Protection state: {state}\n\n{}", e.summary()),
        None => format!("Protection state: {state} (Azure gave no error details)."),
    }
}

// ---------------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------------

pub struct InstanceResource {
    shared: Arc<Shared>,
}

impl InstanceResource {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
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

    fn schema(&self) -> Schema {
        schema()
    }

    // -- validate ------------------------------------------------------------------------------
    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let _ = check_inputs(config, &mut diags);
        diags
    }

    // -- plan ----------------------------------------------------------------------------------
    async fn plan(&self, req: PlanRequest, ctx: &Context) -> PlanResponse {
        let mut diags = Diagnostics::new();
        let inputs = check_inputs(&req.config, &mut diags);
        let configured = self.shared.get();
        if let Some(c) = &configured {
            check_against_client(&c.client, &req.config, &mut diags);
        }
        if diags.has_errors() {
            return PlanResponse {
                planned_state: req.proposed_new_state,
                diagnostics: diags,
                ..Default::default()
            };
        }
        let mut planned = req.proposed_new_state.clone();
        let config = &req.config;

        if req.prior_state.is_null() {
            // Create: everything derivable from the inputs is known now, so the plan shows the
            // real ID and name instead of "(known after apply)".
            let vault: Option<BackupVaultId> =
                str_attr(config, "vault_id").and_then(|s| s.parse().ok());
            let ds: Option<DatasourceId> =
                str_attr(config, "datasource_id").and_then(|s| s.parse().ok());
            let name = match (config.get("name"), &vault, &ds) {
                (Value::String(n), _, _) => Some(n.clone()),
                (Value::Null, Some(v), Some(d)) => Some(default_name(v, d)),
                _ => None,
            };
            planned.set(
                "name",
                name.clone().map(Value::string).unwrap_or(Value::Unknown),
            );
            let id = match (&vault, &name) {
                (Some(v), Some(n)) => Value::string(
                    BackupInstanceId {
                        vault: v.clone(),
                        name: n.clone(),
                    }
                    .to_string(),
                ),
                _ => Value::Unknown,
            };
            planned.set("id", id);
            planned.set(
                "datasource_type",
                ds.as_ref()
                    .map(|d| Value::string(d.datasource_type()))
                    .unwrap_or(Value::Unknown),
            );
            if config.get("friendly_name").is_null() {
                planned.set("friendly_name", Value::Unknown);
            }
            for a in [
                "protection_state",
                "protection_status",
                "provisioning_state",
            ] {
                planned.set(a, Value::Unknown);
            }
            let mut planned_private = Vec::new();
            if let (Some(inputs), Some(c)) = (&inputs, &configured)
                && c.settings.validate_on_plan
                && plan_validate(c, inputs, ctx, &mut diags).await
            {
                planned_private = VALIDATED_AT_PLAN.to_vec();
            }
            return PlanResponse {
                planned_state: planned,
                planned_private,
                diagnostics: diags,
                ..Default::default()
            };
        }

        // Update or replace.
        let prior = &req.prior_state;
        for a in ["id", "datasource_type"] {
            planned.set(a, prior.get(a).clone());
        }
        if config.get("name").is_null() {
            planned.set("name", prior.get("name").clone());
        }
        if config.get("friendly_name").is_null() {
            planned.set("friendly_name", prior.get("friendly_name").clone());
        }
        let mut requires_replace = Vec::new();
        for a in REPLACE {
            let (old, new) = (prior.get(a), planned.get(a));
            let same = match (old.as_str(), new.as_str()) {
                // Azure sometimes reports no datasource location (seen for PostgreSQL): an
                // imported instance then has none, and that is no reason to replace it.
                (None | Some(""), Some(_)) if *a == "location" => true,
                (Some(o), Some(n)) if *a == "location" => locations_equal(o, n),
                (Some(o), Some(n)) if *a == "name" => o == n,
                (Some(o), Some(n)) => ids_equal(o, n),
                _ => old == new,
            };
            if !same {
                requires_replace.push(AttributePath::root(*a));
            }
        }
        let changed_in_place = IN_PLACE.iter().any(|a| {
            let (old, new) = (prior.get(a), planned.get(a));
            match (old.as_str(), new.as_str()) {
                (Some(o), Some(n)) if a.ends_with("_id") || a.ends_with("_uri") => !ids_equal(o, n),
                _ => old != new,
            }
        });
        if !requires_replace.is_empty() {
            for a in [
                "id",
                "datasource_type",
                "protection_state",
                "protection_status",
                "provisioning_state",
            ] {
                planned.set(a, Value::Unknown);
            }
            if config.get("name").is_null() {
                planned.set("name", Value::Unknown);
            }
            if config.get("friendly_name").is_null() {
                planned.set("friendly_name", Value::Unknown);
            }
        } else if changed_in_place {
            for a in [
                "protection_state",
                "protection_status",
                "provisioning_state",
            ] {
                planned.set(a, Value::Unknown);
            }
        } else {
            for a in [
                "protection_state",
                "protection_status",
                "provisioning_state",
            ] {
                planned.set(a, prior.get(a).clone());
            }
        }
        PlanResponse {
            planned_state: planned,
            requires_replace,
            diagnostics: diags,
            ..Default::default()
        }
    }

    // -- apply: create, update, delete ---------------------------------------------------------
    async fn apply(&self, req: ApplyRequest, ctx: &Context) -> ApplyResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.configured(&mut diags) else {
            return ApplyResponse {
                new_state: req.prior_state,
                diagnostics: diags,
                ..Default::default()
            };
        };
        if req.planned_state.is_null() {
            return delete(&c.client, &req.prior_state, ctx).await;
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
            let validated = req.planned_private == VALIDATED_AT_PLAN;
            create(&c, &inputs, &req.planned_state, validated, ctx).await
        } else {
            update(&c, &inputs, &req.prior_state, &req.planned_state, ctx).await
        }
    }

    // -- read ----------------------------------------------------------------------------------
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
        let Some(id) = str_attr(&state, "id").and_then(|s| s.parse::<BackupInstanceId>().ok())
        else {
            diags.error("Invalid State", "The stored `id` is not a backup instance ID; remove the resource from state (`terraform state rm`) and import it again.");
            return ReadResponse {
                new_state: state,
                diagnostics: diags,
                ..Default::default()
            };
        };
        let timeouts = timeouts_of(&state, &mut Diagnostics::new());
        match c
            .client
            .get_backup_instance(&id, &op(timeouts.read, &ctx.cancel))
            .await
        {
            Ok(Some(res)) => ReadResponse {
                new_state: state_of(&res, &id, &state),
                ..Default::default()
            },
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

    // -- import --------------------------------------------------------------------------------
    async fn import(&self, id: &str, ctx: &Context) -> ImportResponse {
        let mut diags = Diagnostics::new();
        let Some(c) = self.configured(&mut diags) else {
            return ImportResponse {
                diagnostics: diags,
                ..Default::default()
            };
        };
        let parsed = match id.parse::<BackupInstanceId>() {
            Ok(p) => p,
            Err(e) => {
                diags.error(
                    "Invalid Import ID",
                    format!("The import ID must be a backup instance's ARM ID: {e}"),
                );
                return ImportResponse {
                    diagnostics: diags,
                    ..Default::default()
                };
            }
        };
        match c
            .client
            .get_backup_instance(&parsed, &op(DEFAULT_READ, &ctx.cancel))
            .await
        {
            Ok(Some(res)) => {
                let blank = Value::object([("timeouts", Value::Null)]);
                ImportResponse {
                    state: state_of(&res, &parsed, &blank),
                    ..Default::default()
                }
            }
            Ok(None) => {
                diags.error("Cannot Import Non-Existent Backup Instance", format!("No backup instance exists at {id}. Check the ID (`terraform import azurebackup_instance.NAME <backup instance ARM ID>`)."));
                ImportResponse {
                    diagnostics: diags,
                    ..Default::default()
                }
            }
            Err(e) => {
                diags.push(azure_error(
                    "Unable to Import Backup Instance",
                    "reading of the backup instance",
                    Some(id),
                    &e,
                ));
                ImportResponse {
                    diagnostics: diags,
                    ..Default::default()
                }
            }
        }
    }
}

/// Plan-time `validateForBackup`. Problems that cannot fix themselves are errors; permission
/// problems are warnings, because role assignments in the same apply do not exist yet. Returns
/// whether the validation passed outright.
async fn plan_validate(
    c: &Configured,
    inputs: &Inputs,
    ctx: &Context,
    diags: &mut Diagnostics,
) -> bool {
    let client = &c.client;
    let body = body_of(inputs);
    let id = inputs.id();
    let op = op(inputs.timeouts.read, &ctx.cancel);
    match client
        .validate_for_backup(&inputs.vault, &body.properties, &op)
        .await
    {
        Ok(()) => return true,
        Err(e) if e.is_already_protected() => {
            // Our own deterministic name already holds it: a create that crashed before its
            // state was saved. Apply adopts it instead of failing.
            if let Ok(Some(existing)) = client.get_backup_instance(&id, &op).await
                && ids_equal(
                    &existing.properties.data_source_info.resource_id,
                    &inputs.datasource.to_string(),
                )
            {
                tracing::info!(instance = %id, "datasource already protected by this configuration's instance; apply will adopt it");
                return false;
            }
            let mut d = azure_error(
                "Datasource Already Protected",
                "backup validation",
                Some(&id.to_string()),
                &e,
            );
            // Terraform plans the create half of a replacement with no prior state, so a
            // replacement (new name or vault) of the very instance that protects this datasource
            // also lands here; the user needs a way through.
            d.detail.push_str("\n\nIf this plan replaces the instance that protects this datasource (a new `name` or `vault_id`), apply with the provider's `validate_on_plan = false`: destroy runs before create, and apply validates again.");
            diags.push(with_path(d, "datasource_id"));
        }
        Err(e) if e.is_permission() => {
            diags.push(azure_warning(
                "Backup Vault Lacks Permissions",
                "backup validation",
                Some(&id.to_string()),
                &e,
                &format!(
                    "Role assignments made in this same apply may not exist yet; apply will re-check and wait for them up to {} (the provider's `role_propagation_timeout`).",
                    humantime::format_duration(c.settings.role_propagation_timeout)
                ),
            ));
        }
        Err(e) if e.is_cancelled() => {
            diags.error("Plan Interrupted", "Validation was interrupted.")
        }
        Err(e) => diags.push(azure_error(
            "Backup Validation Failed",
            "backup validation",
            Some(&id.to_string()),
            &e,
        )),
    }
    false
}

fn with_path(mut d: Diagnostic, attr: &str) -> Diagnostic {
    d.attribute = Some(AttributePath::root(attr));
    d
}

/// Re-checks permission failures with backoff for up to the propagation window. Returns whether
/// the datasource is already held by our own instance (adoption).
async fn validate_until_permitted(
    c: &Configured,
    inputs: &Inputs,
    body: &BackupInstanceResource,
    op: &OpOptions,
) -> Result<bool, AzureError> {
    let started = Instant::now();
    let mut wait = Duration::from_secs(2);
    let mut attempt = 1u32;
    loop {
        match c
            .client
            .validate_for_backup(&inputs.vault, &body.properties, op)
            .await
        {
            Ok(()) => return Ok(false),
            Err(e) if e.is_already_protected() => {
                return match c.client.get_backup_instance(&inputs.id(), op).await {
                    Ok(Some(existing))
                        if ids_equal(
                            &existing.properties.data_source_info.resource_id,
                            &inputs.datasource.to_string(),
                        ) =>
                    {
                        Ok(true)
                    }
                    _ => Err(e),
                };
            }
            Err(e)
                if e.is_permission()
                    && started.elapsed() + wait <= c.settings.role_propagation_timeout
                    && Instant::now() + wait < op.deadline =>
            {
                tracing::info!(attempt, wait_s = wait.as_secs(), instance = %inputs.id(), "vault identity lacks permissions; waiting for role assignments to propagate");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = op.cancel.cancelled() => return Err(e),
                }
                wait = (wait * 2).min(Duration::from_secs(30));
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Polls the instance until protection is configured, fails, or time runs out. Azure reports
/// `provisioningState: Succeeded` minutes before protection is actually configured.
async fn wait_for_protection(
    client: &DataProtectionClient,
    id: &BackupInstanceId,
    op: &OpOptions,
    mut first: Option<BackupInstanceResource>,
) -> Result<BackupInstanceResource, (Option<BackupInstanceResource>, WaitError)> {
    let mut wait = Duration::from_millis(500);
    let mut last = None;
    loop {
        // The PUT already read the instance back: that is the first look, not another GET.
        let seen = match first.take() {
            Some(res) => Ok(Some(res)),
            None => client.get_backup_instance(id, op).await,
        };
        match seen {
            Ok(Some(res)) => {
                if is_protected(&res) {
                    return Ok(res);
                }
                if is_protection_failure(&res) {
                    return Err((Some(res), WaitError::ProtectionFailed));
                }
                tracing::info!(instance = %id, state = res.properties.current_protection_state.as_deref().unwrap_or("unknown"), "waiting for protection to be configured");
                last = Some(res);
            }
            Ok(None) => return Err((None, WaitError::Vanished)),
            Err(e) => return Err((last, WaitError::Azure(e))),
        }
        if Instant::now() + wait >= op.deadline {
            return Err((last, WaitError::Timeout));
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = op.cancel.cancelled() => return Err((last, WaitError::Cancelled)),
        }
        wait = (wait * 2).min(Duration::from_secs(10));
    }
}

/// Retries `call` while another operation holds the instance (409), until the deadline. A create
/// interrupted by a crash leaves its operation running, and the retried apply must wait for it
/// rather than fail.
async fn when_idle<T, F, Fut>(
    id: &BackupInstanceId,
    op: &OpOptions,
    mut call: F,
) -> Result<T, AzureError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AzureError>>,
{
    let mut wait = Duration::from_secs(1);
    loop {
        match call().await {
            Err(e) if e.is_operation_in_progress() && Instant::now() + wait < op.deadline => {
                tracing::info!(instance = %id, wait_s = wait.as_secs(), "another operation is in progress on the instance; waiting for it");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = op.cancel.cancelled() => return Err(e),
                }
                wait = (wait * 2).min(Duration::from_secs(15));
            }
            other => return other,
        }
    }
}

enum WaitError {
    ProtectionFailed,
    Vanished,
    Timeout,
    Cancelled,
    Azure(AzureError),
}

fn wait_error_diag(
    err: WaitError,
    res: Option<&BackupInstanceResource>,
    id: &BackupInstanceId,
    action: &str,
    timeout: Duration,
) -> Diagnostic {
    let (summary, detail) = match err {
        WaitError::ProtectionFailed => (
            "Backup Protection Failed",
            format!(
                "The backup instance {id} was {action}, but Azure could not configure protection.\n\n{}\n\nThe instance is kept in state and marked tainted, so it is not orphaned: fix the cause (often a missing role assignment of the vault's identity), then run apply again to replace it, or destroy it.",
                res.map(protection_error_detail).unwrap_or_default()
            ),
        ),
        WaitError::Vanished => (
            "Backup Instance Disappeared",
            format!(
                "The backup instance {id} was {action} but then could not be found. Something else may have deleted it; run apply again."
            ),
        ),
        WaitError::Timeout => (
            "Timed Out Waiting For Protection",
            format!(
                "The backup instance {id} was {action}, but protection was not configured within {} (last state: {}). The instance is kept in state as tainted. Raise the `timeouts` value and run apply again.",
                humantime::format_duration(timeout),
                res.and_then(|r| r.properties.current_protection_state.clone())
                    .unwrap_or_else(|| "unknown".into())
            ),
        ),
        WaitError::Cancelled => (
            "Interrupted",
            format!(
                "Waiting for the backup instance {id} was interrupted. The instance exists and is kept in state; run apply again to finish."
            ),
        ),
        WaitError::Azure(e) => {
            return azure_error(
                "Unable to Read Backup Instance",
                "reading of the backup instance while waiting for protection",
                Some(&id.to_string()),
                &e,
            );
        }
    };
    Diagnostic {
        severity: Severity::Error,
        summary: summary.into(),
        detail,
        attribute: None,
    }
}

/// The plan's own `validateForBackup` passed (planned private data). Validation takes Azure
/// 12-72 s, so apply then goes straight to the PUT, which the service validates again anyway.
const VALIDATED_AT_PLAN: &[u8] = b"validated-at-plan";

async fn create(
    c: &Configured,
    inputs: &Inputs,
    planned: &Value,
    validated_at_plan: bool,
    ctx: &Context,
) -> ApplyResponse {
    let mut diags = Diagnostics::new();
    let id = inputs.id();
    let id_text = id.to_string();
    let op = op(inputs.timeouts.create, &ctx.cancel);
    let body = body_of(inputs);
    tracing::info!(instance = %id, validated_at_plan, "creating backup instance");

    let mut put = None;
    if validated_at_plan {
        let first = when_idle(&id, &op, || c.client.put_backup_instance(&id, &body, &op)).await;
        // Permissions revoked (or never propagated) since the plan: fall back to waiting for
        // them like an unvalidated create.
        if !matches!(&first, Err(e) if e.is_permission() || e.is_already_protected()) {
            put = Some(first);
        }
    }
    if put.is_none() {
        match validate_until_permitted(c, inputs, &body, &op).await {
            Ok(true) => {
                tracing::info!(instance = %id, "adopting the existing instance with this configuration's name")
            }
            Ok(false) => {}
            Err(e) => {
                let attr = if e.is_already_protected() {
                    Some("datasource_id")
                } else {
                    None
                };
                let d = azure_error(
                    "Unable to Create Backup Instance",
                    "backup validation",
                    Some(&id_text),
                    &e,
                );
                diags.push(match attr {
                    Some(a) => with_path(d, a),
                    None => d,
                });
                return ApplyResponse {
                    new_state: Value::Null,
                    diagnostics: diags,
                    ..Default::default()
                };
            }
        }
    }
    let put = match put {
        Some(p) => p,
        None => when_idle(&id, &op, || c.client.put_backup_instance(&id, &body, &op)).await,
    };

    let created = match put {
        Ok(res) => res,
        Err(e) => {
            diags.push(azure_error(
                "Unable to Create Backup Instance",
                "creation of the backup instance",
                Some(&id_text),
                &e,
            ));
            // The PUT may have created the instance before failing (e.g. a timeout while polling):
            // then it must go into state, or it would be orphaned.
            let new_state = match c.client.get_backup_instance(&id, &rescue_op()).await {
                Ok(Some(res)) => state_of(&res, &id, planned),
                _ => Value::Null,
            };
            return ApplyResponse {
                new_state,
                diagnostics: diags,
                ..Default::default()
            };
        }
    };
    tracing::info!(instance = %id, "backup instance exists; waiting for protection");
    match wait_for_protection(&c.client, &id, &op, Some(created)).await {
        Ok(res) => ApplyResponse {
            new_state: state_of(&res, &id, planned),
            ..Default::default()
        },
        Err((res, err)) => {
            let res = match res {
                Some(r) => Some(r),
                None => c
                    .client
                    .get_backup_instance(&id, &rescue_op())
                    .await
                    .ok()
                    .flatten(),
            };
            diags.push(wait_error_diag(
                err,
                res.as_ref(),
                &id,
                "created",
                inputs.timeouts.create,
            ));
            let new_state = res
                .map(|r| state_of(&r, &id, planned))
                .unwrap_or_else(|| known_or_null(planned));
            ApplyResponse {
                new_state,
                diagnostics: diags,
                ..Default::default()
            }
        }
    }
}

/// When the instance exists but could not be read back, keep what we know rather than lose it.
fn known_or_null(planned: &Value) -> Value {
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

async fn update(
    c: &Configured,
    inputs: &Inputs,
    prior: &Value,
    planned: &Value,
    ctx: &Context,
) -> ApplyResponse {
    let mut diags = Diagnostics::new();
    let id = inputs.id();
    let id_text = id.to_string();
    let op = op(inputs.timeouts.update, &ctx.cancel);
    let in_azure_changed =
        IN_PLACE
            .iter()
            .any(|a| match (prior.get(a).as_str(), planned.get(a).as_str()) {
                (Some(o), Some(n)) => !ids_equal(o, n),
                _ => prior.get(a) != planned.get(a),
            });
    if !in_azure_changed {
        // Only spelling changed (ID casing, timeouts): nothing to send to Azure.
        return match c.client.get_backup_instance(&id, &op).await {
            Ok(Some(res)) => ApplyResponse {
                new_state: merge_planned(state_of(&res, &id, planned), planned),
                ..Default::default()
            },
            Ok(None) => {
                diags.error("Backup Instance Not Found", format!("The backup instance {id} no longer exists. Run `terraform apply` again to re-create it."));
                ApplyResponse {
                    new_state: Value::Null,
                    diagnostics: diags,
                    ..Default::default()
                }
            }
            Err(e) => {
                diags.push(azure_error(
                    "Unable to Update Backup Instance",
                    "reading of the backup instance",
                    Some(&id_text),
                    &e,
                ));
                ApplyResponse {
                    new_state: prior.clone(),
                    diagnostics: diags,
                    ..Default::default()
                }
            }
        };
    }
    tracing::info!(instance = %id, "updating backup instance");
    let body = body_of(inputs);
    let updated = match when_idle(&id, &op, || c.client.put_backup_instance(&id, &body, &op)).await
    {
        Ok(res) => res,
        Err(e) => {
            diags.push(azure_error(
                "Unable to Update Backup Instance",
                "update of the backup instance",
                Some(&id_text),
                &e,
            ));
            let new_state = match c.client.get_backup_instance(&id, &rescue_op()).await {
                Ok(Some(res)) => state_of(&res, &id, prior),
                Ok(None) => Value::Null,
                Err(_) => prior.clone(),
            };
            return ApplyResponse {
                new_state,
                diagnostics: diags,
                ..Default::default()
            };
        }
    };
    match wait_for_protection(&c.client, &id, &op, Some(updated)).await {
        Ok(res) => ApplyResponse {
            new_state: state_of(&res, &id, planned),
            ..Default::default()
        },
        Err((res, err)) => {
            diags.push(wait_error_diag(
                err,
                res.as_ref(),
                &id,
                "updated",
                inputs.timeouts.update,
            ));
            let new_state = res
                .map(|r| state_of(&r, &id, planned))
                .unwrap_or_else(|| prior.clone());
            ApplyResponse {
                new_state,
                diagnostics: diags,
                ..Default::default()
            }
        }
    }
}

/// Keeps the planned spelling of every configured value (Terraform requires it back verbatim).
fn merge_planned(mut observed: Value, planned: &Value) -> Value {
    if let (Value::Object(o), Value::Object(p)) = (&mut observed, planned) {
        for (k, v) in p {
            if !v.is_unknown() {
                o.insert(k.clone(), v.clone());
            }
        }
    }
    observed
}

async fn delete(client: &DataProtectionClient, prior: &Value, ctx: &Context) -> ApplyResponse {
    let mut diags = Diagnostics::new();
    let Some(id) = str_attr(prior, "id").and_then(|s| s.parse::<BackupInstanceId>().ok()) else {
        // Nothing we can address: the object never existed in Azure.
        return ApplyResponse::default();
    };
    let timeouts = timeouts_of(prior, &mut Diagnostics::new());
    let op = op(timeouts.delete, &ctx.cancel);
    tracing::info!(instance = %id, "deleting backup instance");
    if let Err(e) = when_idle(&id, &op, || client.delete_backup_instance(&id, &op)).await {
        diags.push(azure_error(
            "Unable to Delete Backup Instance",
            "deletion of the backup instance",
            Some(&id.to_string()),
            &e,
        ));
        return ApplyResponse {
            new_state: prior.clone(),
            diagnostics: diags,
            ..Default::default()
        };
    }
    // Confirm: a delete that "succeeded" while the instance is still there would leave the user
    // believing the datasource is unprotected when it is not (or vice versa).
    match client.get_backup_instance(&id, &op).await {
        Ok(None) => ApplyResponse::default(),
        Ok(Some(res)) => {
            diags.error(
                "Backup Instance Still Exists",
                format!("Azure reported the deletion of {id} as finished, but the instance still exists (protection state: {}). Run destroy again in a few minutes.", res.properties.current_protection_state.unwrap_or_default()),
            );
            ApplyResponse {
                new_state: prior.clone(),
                diagnostics: diags,
                ..Default::default()
            }
        }
        Err(e) => {
            diags.push(azure_error(
                "Unable to Confirm Deletion",
                "reading of the backup instance after deletion",
                Some(&id.to_string()),
                &e,
            ));
            ApplyResponse {
                new_state: prior.clone(),
                diagnostics: diags,
                ..Default::default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk_config() -> Value {
        Value::object([
            (
                "vault_id",
                Value::string(
                    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo",
                ),
            ),
            (
                "datasource_id",
                Value::string(
                    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1",
                ),
            ),
            ("location", Value::string("westeurope")),
            (
                "policy_id",
                Value::string(
                    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupPolicies/policy-disk",
                ),
            ),
            (
                "snapshot_resource_group_id",
                Value::string(
                    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-snapshots",
                ),
            ),
            ("key_vault_secret_uri", Value::Null),
            ("name", Value::Null),
            ("friendly_name", Value::Null),
            ("tags", Value::Null),
            ("id", Value::Null),
            ("datasource_type", Value::Null),
            ("protection_state", Value::Null),
            ("protection_status", Value::Null),
            ("provisioning_state", Value::Null),
            ("timeouts", Value::Null),
        ])
    }

    #[test]
    fn valid_disk_config_has_no_diagnostics() {
        let mut d = Diagnostics::new();
        let inputs = check_inputs(&disk_config(), &mut d).expect("inputs");
        assert!(d.is_empty(), "{d:?}");
        assert!(inputs.name.starts_with("disk-1-"));
    }

    #[test]
    fn default_name_ignores_id_casing() {
        let v: BackupVaultId =
            "/subscriptions/s/resourceGroups/RG/providers/Microsoft.DataProtection/backupVaults/V"
                .parse()
                .unwrap();
        let v2: BackupVaultId =
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.dataprotection/backupvaults/v"
                .parse()
                .unwrap();
        let d: DatasourceId =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"
                .parse()
                .unwrap();
        assert_eq!(default_name(&v, &d), default_name(&v2, &d));
    }

    #[test]
    fn every_cross_field_problem_is_reported_with_its_path() {
        let mut c = disk_config();
        c.set("snapshot_resource_group_id", Value::Null);
        c.set(
            "key_vault_secret_uri",
            Value::string("https://kv.vault.azure.net/secrets/x"),
        );
        c.set("policy_id", Value::string("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/other/backupPolicies/p"));
        c.set("protection_state", Value::string("x"));
        c.set(
            "timeouts",
            Value::object([
                ("create", Value::string("soon")),
                ("read", Value::Null),
                ("update", Value::Null),
                ("delete", Value::Null),
            ]),
        );
        let mut d = Diagnostics::new();
        assert!(check_inputs(&c, &mut d).is_none());
        let paths: Vec<String> = d
            .iter()
            .filter_map(|d| d.attribute.as_ref().map(|p| p.to_string()))
            .collect();
        for want in [
            "snapshot_resource_group_id",
            "key_vault_secret_uri",
            "policy_id",
            "protection_state",
            "timeouts.create",
        ] {
            assert!(
                paths.iter().any(|p| p == want),
                "missing {want} in {paths:?}"
            );
        }
    }

    #[test]
    fn unknown_values_are_skipped_not_reported() {
        let mut c = disk_config();
        c.set("datasource_id", Value::Unknown);
        c.set("snapshot_resource_group_id", Value::Null);
        let mut d = Diagnostics::new();
        assert!(check_inputs(&c, &mut d).is_none());
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn bad_ids_name_the_attribute() {
        let mut c = disk_config();
        c.set(
            "vault_id",
            Value::string("/subscriptions/x/resourceGroups/rg"),
        );
        c.set("datasource_id", Value::string("not an id"));
        let mut d = Diagnostics::new();
        check_inputs(&c, &mut d);
        let paths: Vec<String> = d
            .iter()
            .filter_map(|d| d.attribute.as_ref().map(|p| p.to_string()))
            .collect();
        assert!(
            paths.contains(&"vault_id".to_string()) && paths.contains(&"datasource_id".to_string()),
            "{paths:?}"
        );
    }

    /// Read keeps the configured spelling of IDs Azure returns in other casing (no flapping),
    /// but a different policy is drift and shows.
    #[test]
    fn read_normalises_casing_but_shows_policy_drift() {
        let mut prior = disk_config();
        let id: BackupInstanceId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi".parse().unwrap();
        prior.set("id", Value::string(id.to_string()));
        let inputs = check_inputs(&disk_config(), &mut Diagnostics::new()).unwrap();
        let mut res = body_of(&inputs);
        res.properties.policy_info.policy_id = inputs
            .policy
            .to_string()
            .to_ascii_lowercase()
            .replace("backupvaults", "Backupvaults");
        res.properties.data_source_info.resource_location = Some("West Europe".into());
        let state = state_of(&res, &id, &prior);
        assert_eq!(state.get("policy_id"), prior.get("policy_id"));
        assert_eq!(state.get("location"), prior.get("location"));
        res.properties.policy_info.policy_id = inputs
            .policy
            .to_string()
            .replace("policy-disk", "policy-other");
        let drifted = state_of(&res, &id, &prior);
        assert!(
            drifted
                .get("policy_id")
                .as_str()
                .unwrap()
                .ends_with("policy-other")
        );
    }

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
        prior.set("id", Value::string("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo/backupInstances/bi"));
        prior.set("name", Value::string("bi"));
        prior.set("location", Value::Null);
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
        prior.set("location", Value::string("northeurope"));
        let resp = r.plan(plan(prior, with_name(&config)), &ctx).await;
        assert_eq!(resp.requires_replace, vec![AttributePath::root("location")]);
    }

    fn with_name(v: &Value) -> Value {
        let mut v = v.clone();
        v.set("name", Value::string("bi"));
        v
    }

    #[test]
    fn region_spellings_are_equal() {
        assert!(locations_equal("West Europe", "westeurope"));
        assert!(!locations_equal("westeurope", "northeurope"));
    }
}
