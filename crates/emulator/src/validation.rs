//! What validateForBackup and PUT check: the request's shape and the world (synchronous 4xx
//! answers), and the vault identity's permissions (reported later as a Failed operation).

use axum::http::StatusCode;
use serde_json::Value;

use super::armpath::{last_segment, lower, parent_of, resource_group_of};
use super::errors::{ApiError, error_object, user_facing};
use super::state::{Datasource, Instance, State};
use super::world::{
    Kind, PG_SERVER_TYPE, ROLE_DISK_BACKUP_READER, ROLE_DISK_SNAPSHOT_CONTRIBUTOR,
    ROLE_KV_SECRETS_USER, ROLE_PG_FLEX_LTR, ROLE_READER, Requirement, Vault, World,
};

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
            k.datasource_type()
        }
    });
    Ok(Datasource {
        resource_id: id.to_string(),
        resource_uri: str_field(v, &["resourceUri"]).unwrap_or("").to_string(),
        datasource_type: str_field(v, &["datasourceType"])
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
    let data_source_info = normalize_datasource(dsi, "Datasource", world)?;
    let data_source_set_info = match props.get("dataSourceSetInfo").filter(|v| !v.is_null()) {
        Some(v) => Some(normalize_datasource(v, "DatasourceSet", world)?),
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
        policy_parameters: non_null(policy.get("policyParameters")),
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
    })
}

/// The snapshot resource group of a disk instance (`policyParameters.dataStoreParametersList`).
fn snapshot_resource_group(inst: &Instance) -> Option<String> {
    inst.policy_parameters
        .as_ref()?
        .get("dataStoreParametersList")?
        .as_array()?
        .iter()
        .find_map(|p| {
            p.get("resourceGroupId")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        })
}

/// The checks the service answers synchronously with a 4xx CloudError.
pub fn check_sync(
    state: &State,
    vault: &Vault,
    inst: &Instance,
    self_key: Option<&str>,
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
    let kind = Kind::of(ds_id).filter(|k| *k != Kind::PgServer).ok_or_else(|| {
        ApiError::bad_request(
            "UserErrorUnsupportedDatasourceType",
            format!("'{ds_id}' is not a datasource this vault can protect (managed disk, PostgreSQL single-server database, PostgreSQL flexible server)."),
        )
    })?;
    if world.datasource(ds_id).is_none() {
        let rg = resource_group_of(ds_id).unwrap_or_default();
        return Err(ApiError::service(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{}/{}' under resource group '{rg}' was not found.",
                kind.datasource_type(),
                last_segment(ds_id)
            ),
            &["Check that the datasource exists and the resource ID is correct."],
            None,
        ));
    }
    if !inst
        .data_source_info
        .datasource_type
        .eq_ignore_ascii_case(kind.datasource_type())
    {
        return Err(ApiError::bad_request(
            "UserErrorDatasourceTypeMismatch",
            format!(
                "The datasourceType '{}' does not match the resource '{ds_id}', which is of type '{}'.",
                inst.data_source_info.datasource_type,
                kind.datasource_type()
            ),
        ));
    }
    if !policy
        .datasource_type
        .eq_ignore_ascii_case(kind.datasource_type())
    {
        return Err(ApiError::bad_request(
            "UserErrorPolicyDatasourceTypeMismatch",
            format!(
                "The backup policy '{}' is for datasource type '{}' and cannot protect '{ds_id}' of type '{}'.",
                policy.id,
                policy.datasource_type,
                kind.datasource_type()
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
    match kind {
        Kind::Disk => {
            let rg = snapshot_resource_group(inst).ok_or_else(|| {
                ApiError::bad_request(
                    "UserErrorInvalidRequestParameter",
                    "A snapshot resource group is required for Microsoft.Compute/disks: set policyInfo.policyParameters.dataStoreParametersList[0].resourceGroupId (OperationalStore).",
                )
            })?;
            if world.resource_group(&rg).is_none()
                || lower(&rg).split('/').filter(|s| !s.is_empty()).count() != 4
            {
                return Err(ApiError::service(
                    StatusCode::NOT_FOUND,
                    "ResourceGroupNotFound",
                    format!("Snapshot resource group '{rg}' could not be found."),
                    &["Create the resource group or correct the snapshot resource group ID."],
                    None,
                ));
            }
        }
        Kind::PgDatabase => {
            let server = parent_of(ds_id, 2);
            match &inst.data_source_set_info {
                Some(set) if lower(&set.resource_id) == lower(&server) => {}
                Some(set) => {
                    return Err(ApiError::bad_request(
                        "UserErrorInvalidRequestParameter",
                        format!(
                            "dataSourceSetInfo.resourceID '{}' must be the database's server '{server}'.",
                            set.resource_id
                        ),
                    ));
                }
                None => {
                    return Err(ApiError::bad_request(
                        "UserErrorInvalidRequestParameter",
                        format!(
                            "dataSourceSetInfo is required for {}: give the server '{server}'.",
                            kind.datasource_type()
                        ),
                    ));
                }
            }
        }
        Kind::PgFlex | Kind::PgServer => {}
    }
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

fn denied(principal: &str, missing: &[Requirement]) -> String {
    let parts: Vec<String> = missing
        .iter()
        .map(|r| {
            format!(
                "The client '{principal}' with object id '{principal}' does not have authorization to perform action '{}' over scope '{}' or the scope is invalid (role needed: '{}').",
                r.action, r.scope, r.role
            )
        })
        .collect();
    format!(
        "Validate for Protection failed. Exception Message: {} If access was recently granted, please refresh your credentials.",
        parts.join(" ")
    )
}

fn failed(code: &str, message: &str, recommended: &[&str], detailed: Option<String>) -> Value {
    error_object(
        code,
        message,
        Some(user_facing(code, message, recommended, detailed)),
    )
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
    let Some(kind) = Kind::of(ds_id).filter(|_| world.datasource(ds_id).is_some()) else {
        return Err(failed(
            "ResourceNotFound",
            &format!("The datasource '{ds_id}' no longer exists."),
            &[],
            None,
        ));
    };
    let principal = vault.principal_id.as_str();
    let need = |role: &'static str, action: &'static str, scope: String| Requirement {
        role,
        action,
        scope,
    };
    let missing = |reqs: Vec<Requirement>| -> Vec<Requirement> {
        reqs.into_iter()
            .filter(|r| !world.satisfies(principal, r))
            .collect()
    };
    match kind {
        Kind::Disk => {
            let rg = snapshot_resource_group(inst).unwrap_or_default();
            let m = missing(vec![
                need(
                    ROLE_DISK_BACKUP_READER,
                    "Microsoft.Compute/disks/beginGetAccess/action",
                    ds_id.clone(),
                ),
                need(
                    ROLE_DISK_SNAPSHOT_CONTRIBUTOR,
                    "Microsoft.Compute/snapshots/write",
                    rg,
                ),
            ]);
            if !m.is_empty() {
                return Err(failed(
                    "UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent",
                    "Appropriate permissions to perform the operation is missing on the disk or the snapshot resource group, or the backup vault's managed identity is missing.",
                    &[
                        "Grant the backup vault's managed identity the 'Disk Backup Reader' role on the disk and the 'Disk Snapshot Contributor' role on the snapshot resource group, then retry. See https://aka.ms/UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent",
                    ],
                    Some(denied(principal, &m)),
                ));
            }
        }
        Kind::PgFlex => {
            let m = missing(vec![
                need(
                    ROLE_PG_FLEX_LTR,
                    "Microsoft.DBforPostgreSQL/flexibleServers/ltrPreBackup/action",
                    ds_id.clone(),
                ),
                need(
                    ROLE_READER,
                    "Microsoft.Resources/subscriptions/resourceGroups/read",
                    parent_of(ds_id, 4),
                ),
            ]);
            if !m.is_empty() {
                return Err(missing_required(principal, &m));
            }
        }
        Kind::PgDatabase => {
            let server = parent_of(ds_id, 2);
            let m = missing(vec![need(
                ROLE_READER,
                "Microsoft.DBforPostgreSQL/servers/read",
                server,
            )]);
            if !m.is_empty() {
                return Err(missing_required(principal, &m));
            }
            check_secret_store(world, principal, inst, api_version)?;
        }
        Kind::PgServer => {}
    }
    Ok(())
}

fn missing_required(principal: &str, m: &[Requirement]) -> Value {
    failed(
        "UserErrorMissingRequiredPermissions",
        "Appropriate permissions to perform the operation is missing.",
        &[
            "Grant appropriate permissions to perform this operation as mentioned at https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation.",
        ],
        Some(denied(principal, m)),
    )
}

/// PostgreSQL single server: the vault reads the connection string from a Key Vault secret.
fn check_secret_store(
    world: &World,
    principal: &str,
    inst: &Instance,
    api_version: &str,
) -> Result<(), Value> {
    let uri = inst
        .auth_credentials
        .as_ref()
        .and_then(|c| c.get("secretStoreResource"))
        .and_then(|s| s.get("uri"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    // No credentials: the product documentation's 2021-01-01 flow, where the request carries no
    // secret store and protection is configured with the vault identity's access to the server
    // alone (checked separately). Only a secret that is named must be reachable.
    let Some(uri) = uri else {
        let _ = api_version;
        return Ok(());
    };
    let rest = uri.strip_prefix("https://").unwrap_or("");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let vault_name = host.split('.').next().unwrap_or("");
    let secret = path
        .strip_prefix("secrets/")
        .and_then(|p| p.split('/').next())
        .unwrap_or("");
    if vault_name.is_empty()
        || secret.is_empty()
        || !host.to_ascii_lowercase().ends_with(".vault.azure.net")
    {
        return Err(failed(
            "UserErrorInvalidSecretStoreUri",
            &format!(
                "'{uri}' is not a Key Vault secret URI (https://{{vault}}.vault.azure.net/secrets/{{name}}[/{{version}}])."
            ),
            &["Correct the secret URI."],
            None,
        ));
    }
    let Some(kv) = world.key_vault_by_name(vault_name) else {
        return Err(failed(
            "UserErrorSecretStoreNotFound",
            &format!("The Key Vault '{vault_name}' of secret '{uri}' could not be found."),
            &["Check the Key Vault name in the secret URI."],
            None,
        ));
    };
    let req = Requirement {
        role: ROLE_KV_SECRETS_USER,
        action: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        scope: kv.id.clone(),
    };
    if !world.satisfies(principal, &req) {
        return Err(failed(
            "UserErrorMissingPermissionsOnSecretStore",
            "Permissions to read the secret from the secret store are missing for the backup vault's managed identity.",
            &[
                "Grant the backup vault's managed identity the 'Key Vault Secrets User' role (or get/list secret access policy) on the Key Vault, then retry.",
            ],
            Some(denied(principal, std::slice::from_ref(&req))),
        ));
    }
    if !kv.secrets.iter().any(|s| s.eq_ignore_ascii_case(secret)) {
        return Err(failed(
            "UserErrorSecretStoreSecretNotFound",
            &format!("The secret '{secret}' was not found in the Key Vault '{vault_name}'."),
            &["Create the secret or correct the secret URI."],
            None,
        ));
    }
    Ok(())
}
