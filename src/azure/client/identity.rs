//! Reads of the managed identities that backup needs roles for: the Backup vault's own
//! (system-assigned, and the user-assigned ones attached to it) and an AKS cluster's.
//!
//! Both are plain ARM GETs through the client's pipeline and URL builder, so they share its
//! retries, token-origin guard and naming checks; an answer for another resource than the one
//! asked for is refused like every other read's.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use reqwest::Method;
use serde::Deserialize;

use super::{DataProtectionClient, OpOptions};
use crate::azure::arm_id::{BackupVaultId, ManagedClusterId, ResourceGroupId};
use crate::azure::error::AzureError;
use crate::azure::http::retry::{CallContext, Response};
use crate::azure::names::NameRule;

/// The Container Service API version of the cluster GET. Any version since managed identities
/// came to AKS returns `identity.principalId`; this one is a stable version Azure still serves.
pub const CONTAINER_SERVICE_API_VERSION: &str = "2024-05-01";

/// A top-level resource's ID: `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}`.
fn parse_top_level(
    what: &str,
    namespace: &str,
    type_name: &str,
    placeholder: &str,
    text: &str,
) -> Result<(ResourceGroupId, String), String> {
    let shape = format!(
        "/subscriptions/{{subscriptionId}}/resourceGroups/{{resourceGroupName}}/providers/{namespace}/{type_name}/{{{placeholder}}}"
    );
    let err = |problem: String| {
        let shown: String = text.chars().take(300).collect();
        format!("invalid {what} {shown:?}: {problem}; expected the form {shape}")
    };
    let trimmed = text.strip_suffix('/').unwrap_or(text);
    let segs: Vec<&str> = trimmed.split('/').collect();
    if segs.len() != 9 || !segs[0].is_empty() {
        return Err(err(format!(
            "it has {} path segments but 8 were expected",
            segs.len().saturating_sub(1)
        )));
    }
    let rg: ResourceGroupId = segs[..5]
        .join("/")
        .parse()
        .map_err(|e: crate::azure::arm_id::ArmIdError| err(e.problem().to_string()))?;
    for (i, want) in [(5, "providers"), (6, namespace), (7, type_name)] {
        if !segs[i].eq_ignore_ascii_case(want) {
            return Err(err(format!(
                "segment {i} is {:?} where {want:?} was expected",
                segs[i]
            )));
        }
    }
    NameRule::Name.check(placeholder, segs[8]).map_err(err)?;
    Ok((rg, segs[8].to_string()))
}

/// Declares a typed ID of one top-level resource type (canonical segment casing on output).
macro_rules! top_level_id {
    ($(#[$meta:meta])* $name:ident, $what:literal, $ns:literal, $ty:literal, $ph:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name {
            pub resource_group: ResourceGroupId,
            pub name: String,
        }

        impl $name {
            /// The expected shape, for messages and documentation.
            pub fn shape() -> String {
                format!(
                    "/subscriptions/{{subscriptionId}}/resourceGroups/{{resourceGroupName}}/providers/{}/{}/{{{}}}",
                    $ns, $ty, $ph
                )
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let (resource_group, name) = parse_top_level($what, $ns, $ty, $ph, s)?;
                Ok($name {
                    resource_group,
                    name,
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}/providers/{}/{}/{}", self.resource_group, $ns, $ty, self.name)
            }
        }
    };
}

top_level_id!(
    /// A Key Vault (a role scope; the secret URI alone does not say its resource group).
    KeyVaultId, "Key Vault ID", "Microsoft.KeyVault", "vaults", "vaultName"
);
top_level_id!(
    /// A user-assigned managed identity.
    UserAssignedIdentityId, "user-assigned identity ID", "Microsoft.ManagedIdentity", "userAssignedIdentities", "identityName"
);

/// A user-assigned identity attached to a vault or cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedIdentity {
    /// Its ARM ID, as the service spelt it.
    pub id: String,
    /// Its object (principal) ID, when the service reported one.
    pub principal_id: Option<String>,
}

/// A resource's managed identities as its GET reports them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceIdentity {
    /// The system-assigned identity's object ID; `None` when the resource has none.
    pub system_assigned: Option<String>,
    pub user_assigned: Vec<AttachedIdentity>,
}

impl ResourceIdentity {
    /// The attached user-assigned identity `id` (ARM IDs compare case-insensitively).
    pub fn user_assigned(&self, id: &str) -> Option<&AttachedIdentity> {
        self.user_assigned
            .iter()
            .find(|u| crate::azure::wait::same_arm_id(&u.id, id))
    }
}

/// The parts of an ARM resource GET these reads use.
#[derive(Debug, Deserialize)]
struct Answer {
    id: Option<String>,
    identity: Option<IdentityAnswer>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdentityAnswer {
    #[serde(rename = "type")]
    kind: Option<String>,
    principal_id: Option<String>,
    user_assigned_identities: Option<BTreeMap<String, Option<AttachedAnswer>>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttachedAnswer {
    principal_id: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl From<Option<IdentityAnswer>> for ResourceIdentity {
    fn from(a: Option<IdentityAnswer>) -> Self {
        let Some(a) = a else {
            return ResourceIdentity::default();
        };
        // `type` lists the kinds present ("SystemAssigned", "SystemAssigned,UserAssigned",
        // "UserAssigned", "None"); a principal reported beside a type without SystemAssigned
        // is not one the resource acts as.
        let system = a
            .kind
            .as_deref()
            .is_none_or(|t| t.to_ascii_lowercase().contains("systemassigned"));
        ResourceIdentity {
            system_assigned: if system {
                non_empty(a.principal_id)
            } else {
                None
            },
            user_assigned: a
                .user_assigned_identities
                .unwrap_or_default()
                .into_iter()
                .map(|(id, v)| AttachedIdentity {
                    id,
                    principal_id: non_empty(v.and_then(|v| v.principal_id)),
                })
                .collect(),
        }
    }
}

impl DataProtectionClient {
    /// `GET {vault}` (the Data Protection API version): the vault's managed identities.
    /// `Ok(None)` when the vault (or its resource group) does not exist.
    pub async fn get_vault_identity(
        &self,
        vault: &BackupVaultId,
        op: &OpOptions,
    ) -> Result<Option<ResourceIdentity>, AzureError> {
        let corr = self.start("getBackupVault", &vault.to_string());
        let ctx = op.context("getBackupVault", &corr);
        let r = async {
            let url = self.url(vault, &[])?;
            self.get_identity(&ctx, &url, &vault.to_string()).await
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// `GET {cluster}` (the Container Service API, [`CONTAINER_SERVICE_API_VERSION`]): the AKS
    /// cluster's managed identities. `Ok(None)` when the cluster does not exist.
    pub async fn get_cluster_identity(
        &self,
        cluster: &ManagedClusterId,
        op: &OpOptions,
    ) -> Result<Option<ResourceIdentity>, AzureError> {
        let corr = self.start("getManagedCluster", &cluster.to_string());
        let ctx = op.context("getManagedCluster", &corr);
        let r = async {
            let mut url = url::Url::parse(&self.url(cluster, &[])?)
                .map_err(|e| AzureError::config("build request URL", format!("not a URL: {e}")))?;
            url.query_pairs_mut()
                .clear()
                .append_pair("api-version", CONTAINER_SERVICE_API_VERSION);
            self.get_identity(&ctx, url.as_str(), &cluster.to_string())
                .await
        }
        .await;
        self.log_result(&ctx, r)
    }

    /// One GET of `url`, which names `asked`; a 404 that proves it absent is `None`; an answer
    /// without `asked` as its `id` is an error.
    async fn get_identity(
        &self,
        ctx: &CallContext<'_>,
        url: &str,
        asked: &str,
    ) -> Result<(Option<ResourceIdentity>, Option<Response>), AzureError> {
        let resp = self
            .inner
            .pipeline
            .send(ctx, Method::GET, url, None)
            .await?;
        if resp.proves_absent() {
            return Ok((None, Some(resp)));
        }
        if !resp.is_success() {
            return Err(resp.to_error(ctx));
        }
        let answer: Answer = Self::decode(ctx, &resp)?;
        // An answer must say what it is about: one without `id` (a proxy's, a cache's) could be
        // anybody's identity.
        if !answer
            .id
            .as_deref()
            .is_some_and(|id| crate::azure::wait::same_arm_id(id, asked))
        {
            return Err(AzureError::decode(
                ctx.operation,
                format!(
                    "the service answered for {:?} instead of the requested {asked}; the answer was not used",
                    answer.id.as_deref().unwrap_or("(no id)")
                ),
            )
            .with_correlation_id(ctx.correlation_id)
            .with_request_id(resp.request_id.clone()));
        }
        Ok((Some(answer.identity.into()), Some(resp)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RG: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data";

    #[test]
    fn top_level_ids_parse_and_print_canonically() {
        let k: KeyVaultId = format!("{RG}/providers/Microsoft.KeyVault/vaults/kv-demo/")
            .parse()
            .unwrap();
        assert_eq!(k.resource_group.resource_group, "rg-data");
        for bad in [
            format!("{RG}/providers/Microsoft.KeyVault/vaults/.."),
            format!("{RG}/providers/Microsoft.KeyVault/secrets/kv"),
            format!("{RG}/providers/Microsoft.KeyVault/vaults"),
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv".into(),
            "https://kv-demo.vault.azure.net/secrets/s".into(),
        ] {
            let e = bad.parse::<KeyVaultId>().unwrap_err();
            assert!(e.contains(&KeyVaultId::shape()), "{bad}: {e}");
        }
        assert!(
            format!("{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-1")
                .parse::<UserAssignedIdentityId>()
                .is_ok()
        );
    }

    #[test]
    fn identities_from_answers() {
        let parse = |v: serde_json::Value| -> ResourceIdentity {
            serde_json::from_value::<Answer>(v).unwrap().identity.into()
        };
        let both = parse(serde_json::json!({"identity": {
            "type": "SystemAssigned,UserAssigned", "principalId": "p-1", "tenantId": "t",
            "userAssignedIdentities": {"/X/uami": {"principalId": "p-2", "clientId": "c"}, "/X/other": null}
        }}));
        assert_eq!(both.system_assigned.as_deref(), Some("p-1"));
        assert_eq!(
            both.user_assigned("/x/UAMI")
                .unwrap()
                .principal_id
                .as_deref(),
            Some("p-2")
        );
        assert_eq!(both.user_assigned("/X/other").unwrap().principal_id, None);
        let user_only =
            parse(serde_json::json!({"identity": {"type": "UserAssigned", "principalId": "p-1"}}));
        assert_eq!(user_only.system_assigned, None);
        assert_eq!(parse(serde_json::json!({})), ResourceIdentity::default());
        let none = parse(serde_json::json!({"identity": {"type": "None"}}));
        assert_eq!(none.system_assigned, None);
    }
}
