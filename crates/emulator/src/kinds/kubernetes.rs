//! AKS clusters: the Kubernetes backup parameters, the operational-store snapshot resource group,
//! and the roles of both the vault's identity and the cluster's own.

use serde_json::Value;

use super::params::{invalid, required_bool, single, strings};
use super::types::*;
use super::{
    Check, Kind, Model, Need, Who, check_set, check_snapshot_rg, need, snapshot_resource_group,
};
use crate::errors::ApiError;
use crate::world::Requirement;

const K8S_PARAMETERS: &str = "KubernetesClusterBackupDatasourceParameters";
/// `includedVolumeTypes` the service accepts [MAN].
const VOLUME_TYPES: &[&str] = &["AzureDisk", "AzureFileShareSMB"];
const STRING_LISTS: &[&str] = &[
    "includedNamespaces",
    "excludedNamespaces",
    "includedResourceTypes",
    "excludedResourceTypes",
    "labelSelectors",
    "includedVolumeTypes",
];

pub struct Kubernetes;

fn check_hooks(p: &Value) -> Result<(), ApiError> {
    match p.get("backupHookReferences") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(items)) => {
            for h in items {
                let ok = ["name", "namespace"].iter().all(|f| {
                    h.get(*f)
                        .and_then(Value::as_str)
                        .is_some_and(|s| !s.is_empty())
                });
                if !ok {
                    return Err(invalid(format!(
                        "backupHookReferences entries need a name and a namespace; got {h}."
                    )));
                }
            }
            Ok(())
        }
        Some(other) => Err(invalid(format!(
            "backupHookReferences must be a list of {{name, namespace}}; got {other}."
        ))),
    }
}

impl Model for Kubernetes {
    fn datasource_type(&self) -> &'static str {
        AKS_TYPE
    }
    fn resource(&self) -> Kind {
        Kind::AksCluster
    }
    fn api_versions(&self) -> Option<&'static [&'static str]> {
        Some(&["2025-07-01", "2025-09-01", "2026-06-01"])
    }
    fn check(&self, c: &Check) -> Result<(), ApiError> {
        check_set(c, c.ds_id(), true, "the cluster")?;
        let p = single(c.inst, K8S_PARAMETERS)?;
        required_bool(p, "snapshotVolumes", K8S_PARAMETERS)?;
        required_bool(p, "includeClusterScopeResources", K8S_PARAMETERS)?;
        for f in STRING_LISTS {
            strings(p, f)?;
        }
        for t in strings(p, "includedVolumeTypes")? {
            if !VOLUME_TYPES.contains(&t.as_str()) {
                return Err(invalid(format!(
                    "includedVolumeTypes '{t}' is not valid; use {}.",
                    VOLUME_TYPES.join(" or ")
                )));
            }
        }
        check_hooks(p)?;
        check_snapshot_rg(c).map(|_| ())
    }
    fn needs(&self, c: &Check) -> Vec<Need> {
        let rg = snapshot_resource_group(c.inst).unwrap_or_default();
        let cluster = c
            .world
            .datasource(c.ds_id())
            .and_then(|d| d.principal_id.clone())
            .unwrap_or_else(|| "(the cluster has no managed identity)".into());
        vec![
            need(
                ROLE_READER,
                "Microsoft.ContainerService/managedClusters/read",
                c.ds_id().to_string(),
            ),
            need(
                ROLE_READER,
                "Microsoft.Resources/subscriptions/resourceGroups/read",
                rg.clone(),
            ),
            Need {
                who: Who::Principal(cluster),
                req: Requirement {
                    role: ROLE_CONTRIBUTOR,
                    action: "Microsoft.Compute/snapshots/write",
                    scope: rg,
                },
            },
        ]
    }
}
