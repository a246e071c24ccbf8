//! What validateForBackup and PUT check: the request's shape and the world (synchronous 4xx
//! answers), and the vault identity's permissions (reported later as a Failed operation).

use axum::http::StatusCode;
use serde_json::Value;

use super::armpath::{last_segment, lower, parent_of, resource_group_of};
use super::errors::{ApiError, denied, failed};
use super::kinds::{self, Check, Who};
use super::state::{Datasource, Instance, State};
use super::world::{Kind, PG_SERVER_TYPE, Requirement, Vault, World};

/// The oldest version lacks `datasourceAuthCredentials`, `identityDetails`, `validationType` and tags.
pub fn is_legacy(api_version: &str) -> bool {
    api_version == "2021-01-01"
}

fn str_field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| v.get(*n).and_then(Value::as_str))
}

fn non_null(v: Option<&Value>) -> Option<Value> {
    v.filter(|x| !x.is_null()).cloned()
}

/// Fills a datasource from the request, completing what the client left out from the world,
/// as the service echoes it back.
fn normalize_datasource(
    v: &Value,
    object_type: &str,
    world: &World,
    inherited_type: Option<&str>,
) -> Result<Datasource, ApiError> {
    if !v.is_object() {
        return Err(ApiError::invalid_content(format!(
            "{object_type} must be an object"
        )));
    }
    let id = str_field(v, &["resourceID", "resourceId"])
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                format!("{object_type}.resourceID is required."),
            )
        })?;
    let kind = Kind::of(id);
    let default_type = kind.map(|k| {
        if object_type == "DatasourceSet" && k == Kind::PgDatabase {
            PG_SERVER_TYPE
        } else {
            k.resource_type()
        }
    });
    // A set of the newer kinds is of its datasource's type; PostgreSQL sets keep the server's.
    let inherited = inherited_type.filter(|_| kind != Some(Kind::PgServer));
    Ok(Datasource {
        resource_id: id.to_string(),
        resource_uri: str_field(v, &["resourceUri"]).unwrap_or("").to_string(),
        datasource_type: str_field(v, &["datasourceType"])
            .or(inherited)
            .or(kind.map(Kind::datasource_type))
            .unwrap_or("")
            .to_string(),
        resource_name: str_field(v, &["resourceName"])
            .map(str::to_string)
            .unwrap_or_else(|| last_segment(id)),
        resource_type: str_field(v, &["resourceType"])
            .or(default_type)
            .unwrap_or("")
            .to_string(),
        resource_location: str_field(v, &["resourceLocation"])
            .map(str::to_string)
            .or_else(|| world.datasource_location(id))
            .unwrap_or_default(),
        object_type: object_type.to_string(),
        sent_location: str_field(v, &["resourceLocation"]).is_some_and(|l| !l.is_empty()),
        sent_type: str_field(v, &["datasourceType"]).is_some_and(|t| !t.is_empty()),
    })
}

/// Parses a BackupInstance (the `properties` of a PUT or `backupInstance` of a validate) into
/// the stored form, with the fields this api-version knows. Unknown properties are ignored, as
/// the service does.
pub fn parse_instance(
    props: &Value,
    tags: Option<&Value>,
    api_version: &str,
    world: &World,
    vault: &Vault,
    name: &str,
) -> Result<Instance, ApiError> {
    if !props.is_object() {
        return Err(ApiError::invalid_content(
            "the backup instance must be a JSON object",
        ));
    }
    match str_field(props, &["objectType"]) {
        Some("BackupInstance") => {}
        Some(other) => {
            return Err(ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                format!("objectType '{other}' is not valid here; expected 'BackupInstance'."),
            ));
        }
        None => {
            return Err(ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "objectType is required and must be 'BackupInstance'.",
            ));
        }
    }
    let dsi = props
        .get("dataSourceInfo")
        .filter(|v| !v.is_null())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "dataSourceInfo is required.",
            )
        })?;
    let data_source_info = normalize_datasource(dsi, "Datasource", world, None)?;
    let data_source_set_info = match props.get("dataSourceSetInfo").filter(|v| !v.is_null()) {
        Some(v) => Some(normalize_datasource(
            v,
            "DatasourceSet",
            world,
            Some(&data_source_info.datasource_type),
        )?),
        None => None,
    };
    let policy = props
        .get("policyInfo")
        .filter(|v| v.is_object())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "policyInfo is required.",
            )
        })?;
    let policy_id = str_field(policy, &["policyId"])
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                "policyInfo.policyId is required.",
            )
        })?;
    let legacy = is_legacy(api_version);
    let tags = if legacy {
        None
    } else {
        match tags.filter(|t| !t.is_null()) {
            Some(t) => Some(
                serde_json::from_value(t.clone())
                    .map_err(|e| ApiError::invalid_content(format!("tags: {e}")))?,
            ),
            None => None,
        }
    };
    let id = format!("{}/backupInstances/{}", vault.id, name);
    Ok(Instance {
        id,
        name: name.to_string(),
        vault_id: vault.id.clone(),
        friendly_name: str_field(props, &["friendlyName"])
            .map(str::to_string)
            .unwrap_or_else(|| data_source_info.resource_name.clone()),
        data_source_info,
        data_source_set_info,
        policy_id: policy_id.to_string(),
        policy_parameters: policy_parameters(policy, legacy),
        auth_credentials: if legacy {
            None
        } else {
            non_null(props.get("datasourceAuthCredentials"))
        },
        identity_details: if legacy {
            None
        } else {
            non_null(props.get("identityDetails"))
        },
        validation_type: if legacy {
            None
        } else {
            str_field(props, &["validationType"]).map(str::to_string)
        },
        tags,
        provisioning_state: "Provisioning".into(),
        protection_state: "ConfiguringProtection".into(),
        protection_status: "ConfiguringProtection".into(),
        protection_error: None,
        protection_due_ms: None,
        protection_outcome: None,
        busy_operation: None,
        scheduled_through_ms: None,
        protected_since_ms: None,
    })
}

/// `policyInfo.policyParameters` as stored. 2021-01-01 knows only `dataStoreParametersList`;
/// the rest (`backupDatasourceParametersList`) is an unknown property there and ignored.
fn policy_parameters(policy: &Value, legacy: bool) -> Option<Value> {
    let mut p = non_null(policy.get("policyParameters"))?;
    if legacy && let Some(o) = p.as_object_mut() {
        o.retain(|k, _| k == "dataStoreParametersList");
    }
    Some(p)
}

/// The checks the service answers synchronously with a 4xx CloudError: the generic ones here,
/// then the datasource type's own (set info, parameters) from [`kinds`].
pub fn check_sync(
    state: &State,
    vault: &Vault,
    inst: &Instance,
    self_key: Option<&str>,
    api: &str,
) -> Result<(), ApiError> {
    let world = &state.world;
    let policy = world
        .policy(&inst.policy_id)
        .filter(|_| lower(&parent_of(&inst.policy_id, 2)) == lower(&vault.id))
        .ok_or_else(|| {
            ApiError::service(
                StatusCode::NOT_FOUND,
                "UserErrorGenericResourceNotFound",
                format!(
                    "Backup policy '{}' was not found in the backup vault '{}'.",
                    inst.policy_id, vault.id
                ),
                &["Check the policy ID; the policy must belong to the same backup vault."],
                None,
            )
        })?;
    let ds_id = &inst.data_source_info.resource_id;
    let kind = Kind::of(ds_id)
        .filter(|k| !kinds::types_of(*k).is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "UserErrorUnsupportedDatasourceType",
                format!("'{ds_id}' is not a datasource this vault can protect (managed disk, PostgreSQL single-server database, PostgreSQL or MySQL flexible server, storage account, AKS cluster, Cosmos DB account, Elastic SAN volume group)."),
            )
        })?;
    let sent_type = &inst.data_source_info.datasource_type;
    let model = kinds::model(kind, sent_type).ok_or_else(|| {
        ApiError::bad_request(
            "UserErrorDatasourceTypeMismatch",
            format!(
                "The datasourceType '{sent_type}' does not match the resource '{ds_id}', which can be protected as '{}'.",
                kinds::types_of(kind).join("' or '")
            ),
        )
    })?;
    kinds::check_api_version(model, api)?;
    if world.datasource(ds_id).is_none() {
        let rg = resource_group_of(ds_id).unwrap_or_default();
        return Err(ApiError::service(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{}/{}' under resource group '{rg}' was not found.",
                kind.resource_type(),
                last_segment(ds_id)
            ),
            &["Check that the datasource exists and the resource ID is correct."],
            None,
        ));
    }
    if !policy
        .datasource_type
        .eq_ignore_ascii_case(model.datasource_type())
    {
        return Err(ApiError::bad_request(
            "UserErrorPolicyDatasourceTypeMismatch",
            format!(
                "The backup policy '{}' is for datasource type '{}' and cannot protect '{ds_id}' as '{}'.",
                policy.id,
                policy.datasource_type,
                model.datasource_type()
            ),
        ));
    }
    let actual_loc = world.datasource_location(ds_id).unwrap_or_default();
    let sent_loc = &inst.data_source_info.resource_location;
    if !sent_loc.is_empty() && !sent_loc.eq_ignore_ascii_case(&actual_loc) {
        return Err(ApiError::bad_request(
            "UserErrorDatasourceLocationMismatch",
            format!(
                "resourceLocation '{sent_loc}' does not match the location '{actual_loc}' of '{ds_id}'."
            ),
        ));
    }
    if !actual_loc.eq_ignore_ascii_case(&vault.location) {
        return Err(ApiError::bad_request(
            "UserErrorDatasourceAndBackupVaultLocationMismatch",
            format!(
                "The datasource '{ds_id}' is in '{actual_loc}' but the backup vault '{}' is in '{}'. Use a vault in the datasource's region.",
                vault.id, vault.location
            ),
        ));
    }
    model.check(&Check {
        world,
        vault,
        inst,
        api,
        policy: Some(policy),
    })?;
    super::lifecycle::check_identity(vault, inst)?;
    // Only a new instance can collide; an update of a live one cannot.
    if self_key.is_none_or(|k| !state.instances.contains_key(k)) {
        super::lifecycle::check_soft_deleted(state, vault, inst)?;
    }
    if let Some(existing) = state.protecting(ds_id, self_key) {
        let same_vault = lower(&existing.vault_id) == lower(&vault.id);
        let (code, message) = if same_vault {
            (
                "UserErrorDppDatasourceAlreadyHasBackupInstance",
                format!(
                    "Datasource '{ds_id}' is already protected by the backup instance '{}' in this Backup vault.",
                    existing.id
                ),
            )
        } else {
            (
                "UserErrorDppDatasourceAlreadyProtected",
                format!(
                    "Datasource is already protected under the Backup vault {} (backup instance '{}').",
                    existing.vault_id, existing.id
                ),
            )
        };
        let action = format!(
            "Delete the backup instance {} from the Backup vault {} to re-protect the datasource, or import it instead.",
            existing.name, existing.vault_id
        );
        return Err(ApiError::service(
            StatusCode::BAD_REQUEST,
            code,
            message,
            &[action.as_str()],
            None,
        ));
    }
    Ok(())
}

/// The permission checks the service runs inside the validation (and PUT) operation. The error
/// is the `error` object of the Failed operation status.
pub fn check_permissions(
    world: &World,
    vault_id: &str,
    inst: &Instance,
    api_version: &str,
) -> Result<(), Value> {
    let Some(vault) = world.vault(vault_id) else {
        return Err(failed(
            "UserErrorGenericResourceNotFound",
            &format!("Backup vault '{vault_id}' no longer exists."),
            &[],
            None,
        ));
    };
    let ds_id = &inst.data_source_info.resource_id;
    let model = Kind::of(ds_id)
        .filter(|_| world.datasource(ds_id).is_some())
        .and_then(|k| kinds::model(k, &inst.data_source_info.datasource_type));
    let Some(model) = model else {
        return Err(failed(
            "ResourceNotFound",
            &format!("The datasource '{ds_id}' no longer exists."),
            &[],
            None,
        ));
    };
    let check = Check {
        world,
        vault,
        inst,
        api: api_version,
        policy: world.policy(&inst.policy_id),
    };
    let vault_principal = vault.principal_id.as_str();
    // Each missing role is reported for the identity that lacks it.
    let mut by_principal: Vec<(String, Vec<Requirement>)> = Vec::new();
    for n in model.needs(&check) {
        let principal = match &n.who {
            Who::Vault => vault_principal.to_string(),
            Who::Principal(p) => p.clone(),
        };
        if world.satisfies(&principal, &n.req) {
            continue;
        }
        match by_principal.iter_mut().find(|(p, _)| *p == principal) {
            Some((_, reqs)) => reqs.push(n.req),
            None => by_principal.push((principal, vec![n.req])),
        }
    }
    if !by_principal.is_empty() {
        let detail: Vec<String> = by_principal
            .iter()
            .map(|(p, reqs)| denied(p, reqs))
            .collect();
        let d = model.denial();
        return Err(failed(
            d.code,
            d.message,
            &[d.action],
            Some(detail.join(" ")),
        ));
    }
    model.after_roles(&check, vault_principal)
}
