//! The first three kinds: managed disks, PostgreSQL single-server databases (with their Key
//! Vault secret) and PostgreSQL flexible servers.

use serde_json::Value;

use super::types::*;
use super::{Check, Denial, Kind, Model, Need, check_snapshot_rg, need, snapshot_resource_group};
use crate::armpath::{lower, parent_of};
use crate::errors::ApiError;
use crate::world::Requirement;

pub struct Disk;

static DISK_DENIAL: Denial = Denial {
    code: "UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent",
    message: "Appropriate permissions to perform the operation is missing on the disk or the snapshot resource group, or the backup vault's managed identity is missing.",
    action: "Grant the backup vault's managed identity the 'Disk Backup Reader' role on the disk and the 'Disk Snapshot Contributor' role on the snapshot resource group, then retry. See https://aka.ms/UserErrorDiskAndSnapshotRGOrMSIPermissionsNotPresent",
};

impl Model for Disk {
    fn datasource_type(&self) -> &'static str {
        DISK_TYPE
    }
    fn resource(&self) -> Kind {
        Kind::Disk
    }
    fn check(&self, c: &Check) -> Result<(), ApiError> {
        check_snapshot_rg(c).map(|_| ())
    }
    fn needs(&self, c: &Check) -> Vec<Need> {
        vec![
            need(
                ROLE_DISK_BACKUP_READER,
                "Microsoft.Compute/disks/beginGetAccess/action",
                c.ds_id().to_string(),
            ),
            need(
                ROLE_DISK_SNAPSHOT_CONTRIBUTOR,
                "Microsoft.Compute/snapshots/write",
                snapshot_resource_group(c.inst).unwrap_or_default(),
            ),
        ]
    }
    fn denial(&self) -> &'static Denial {
        &DISK_DENIAL
    }
}

pub struct PgFlex;

impl Model for PgFlex {
    fn datasource_type(&self) -> &'static str {
        PG_FLEX_TYPE
    }
    fn resource(&self) -> Kind {
        Kind::PgFlex
    }
    fn check(&self, _c: &Check) -> Result<(), ApiError> {
        Ok(())
    }
    fn needs(&self, c: &Check) -> Vec<Need> {
        vec![
            need(
                ROLE_PG_FLEX_LTR,
                "Microsoft.DBforPostgreSQL/flexibleServers/ltrPreBackup/action",
                c.ds_id().to_string(),
            ),
            need(
                ROLE_READER,
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                parent_of(c.ds_id(), 4),
            ),
        ]
    }
}

pub struct PgDatabase;

impl Model for PgDatabase {
    fn datasource_type(&self) -> &'static str {
        PG_DATABASE_TYPE
    }
    fn resource(&self) -> Kind {
        Kind::PgDatabase
    }
    fn check(&self, c: &Check) -> Result<(), ApiError> {
        let server = parent_of(c.ds_id(), 2);
        match &c.inst.data_source_set_info {
            Some(set) if lower(&set.resource_id) == lower(&server) => Ok(()),
            Some(set) => Err(ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                format!(
                    "dataSourceSetInfo.resourceID '{}' must be the database's server '{server}'.",
                    set.resource_id
                ),
            )),
            None => Err(ApiError::bad_request(
                "UserErrorInvalidRequestParameter",
                format!(
                    "dataSourceSetInfo is required for {PG_DATABASE_TYPE}: give the server '{server}'."
                ),
            )),
        }
    }
    fn needs(&self, c: &Check) -> Vec<Need> {
        vec![need(
            ROLE_READER,
            "Microsoft.DBforPostgreSQL/servers/read",
            parent_of(c.ds_id(), 2),
        )]
    }
    fn after_roles(&self, c: &Check, principal: &str) -> Result<(), Value> {
        check_secret_store(c, principal)
    }
}

/// PostgreSQL single server: the vault reads the connection string from a Key Vault secret.
fn check_secret_store(c: &Check, principal: &str) -> Result<(), Value> {
    let world = c.world;
    let uri = c
        .inst
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
        return Err(crate::errors::failed(
            "UserErrorInvalidSecretStoreUri",
            &format!(
                "'{uri}' is not a Key Vault secret URI (https://{{vault}}.vault.azure.net/secrets/{{name}}[/{{version}}])."
            ),
            &["Correct the secret URI."],
            None,
        ));
    }
    let Some(kv) = world.key_vault_by_name(vault_name) else {
        return Err(crate::errors::failed(
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
        return Err(crate::errors::failed(
            "UserErrorMissingPermissionsOnSecretStore",
            "Permissions to read the secret from the secret store are missing for the backup vault's managed identity.",
            &[
                "Grant the backup vault's managed identity the 'Key Vault Secrets User' role (or get/list secret access policy) on the Key Vault, then retry.",
            ],
            Some(crate::errors::denied(principal, std::slice::from_ref(&req))),
        ));
    }
    if !kv.secrets.iter().any(|s| s.eq_ignore_ascii_case(secret)) {
        return Err(crate::errors::failed(
            "UserErrorSecretStoreSecretNotFound",
            &format!("The secret '{secret}' was not found in the Key Vault '{vault_name}'."),
            &["Create the secret or correct the secret URI."],
            None,
        ));
    }
    Ok(())
}
