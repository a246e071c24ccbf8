//! The kind-specific parameters (`containers`, `volume_name`, the `kubernetes` block): parsed
//! and checked from Terraform values, written into the request body as the kind's catalogue
//! entry says, and read back from Azure's answer into state.

use super::schema::{self as attr, kubernetes as k};
use crate::azure::arm_id::{BackupInstanceId, DatasourceId};
use crate::azure::catalogue::{
    ADLS_PARAMETERS, BLOB_PARAMETERS, DatasourceKind, GENERIC_PARAMETERS, KUBERNETES_PARAMETERS,
    Parameter,
};
use crate::azure::models::{BackupInstance, DatasourceParameters, NamespacedName};
use crate::tfplugin::{AttributePath, Diagnostics, Value};

/// The `kubernetes` block, parsed. `None` lists are not sent (the service's default: all).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KubernetesSettings {
    pub included_namespaces: Option<Vec<String>>,
    pub excluded_namespaces: Option<Vec<String>>,
    pub included_resource_types: Option<Vec<String>>,
    pub excluded_resource_types: Option<Vec<String>>,
    pub label_selectors: Option<Vec<String>>,
    pub included_volume_types: Option<Vec<String>>,
    pub include_cluster_scope_resources: bool,
    pub snapshot_volumes: bool,
    pub backup_hook_references: Option<Vec<NamespacedName>>,
}

/// The kind's parameters from the user's inputs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KindParams {
    pub containers: Option<Vec<String>>,
    pub volume_name: Option<String>,
    pub kubernetes: Option<KubernetesSettings>,
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_list().map(|l| {
        l.iter()
            .map(|s| s.as_str().unwrap_or_default().to_owned())
            .collect()
    })
}

fn string_list(l: &[String]) -> Value {
    Value::List(l.iter().map(Value::string).collect())
}

/// Checks the values of the kind-specific attributes (whether a kind takes them is the
/// catalogue's business, checked by the model). Unknown values are skipped.
pub fn check(v: &Value, diags: &mut Diagnostics) {
    if let Some(list) = v.get(attr::CONTAINERS).as_list() {
        if list.is_empty() {
            diags.error_at(
                AttributePath::root(attr::CONTAINERS),
                "Invalid Containers",
                format!("`{}` must name at least one blob container; remove it for operational blob backup.", attr::CONTAINERS),
            );
        }
        if list
            .iter()
            .any(|c| c.as_str().is_some_and(|s| s.trim().is_empty()))
        {
            diags.error_at(
                AttributePath::root(attr::CONTAINERS),
                "Invalid Containers",
                format!("`{}` contains an empty container name.", attr::CONTAINERS),
            );
        }
    }
    if let Some(name) = v.get(attr::VOLUME_NAME).as_str()
        && name.trim().is_empty()
    {
        diags.error_at(
            AttributePath::root(attr::VOLUME_NAME),
            "Invalid Volume Name",
            format!(
                "`{}` must be the name of a volume in the volume group.",
                attr::VOLUME_NAME
            ),
        );
    }
    let block = v.get(attr::KUBERNETES);
    if let Some(types) = block.get(k::INCLUDED_VOLUME_TYPES).as_list() {
        for t in types.iter().filter_map(Value::as_str) {
            if !k::VOLUME_TYPES.contains(&t) {
                diags.error_at(
                    AttributePath::root(attr::KUBERNETES).attr(k::INCLUDED_VOLUME_TYPES),
                    "Invalid Volume Type",
                    format!(
                        "{t:?} is not a volume type AKS backup knows; use {}.",
                        k::VOLUME_TYPES
                            .iter()
                            .map(|x| format!("\"{x}\""))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                );
            }
        }
    }
    if let Some(hooks) = block.get(k::BACKUP_HOOK_REFERENCES).as_list() {
        let blank = |h: &Value, n: &str| h.get(n).as_str().is_some_and(|s| s.trim().is_empty());
        if hooks
            .iter()
            .any(|h| blank(h, k::HOOK_NAME) || blank(h, k::HOOK_NAMESPACE))
        {
            diags.error_at(
                AttributePath::root(attr::KUBERNETES).attr(k::BACKUP_HOOK_REFERENCES),
                "Invalid Backup Hook Reference",
                "Every backup hook reference needs a `name` and a `namespace`.",
            );
        }
    }
}

/// The parameters from known values (call only when every input is known).
pub fn parse(v: &Value) -> KindParams {
    let block = v.get(attr::KUBERNETES);
    let kubernetes = (!block.is_null()).then(|| KubernetesSettings {
        included_namespaces: strings(block.get(k::INCLUDED_NAMESPACES)),
        excluded_namespaces: strings(block.get(k::EXCLUDED_NAMESPACES)),
        included_resource_types: strings(block.get(k::INCLUDED_RESOURCE_TYPES)),
        excluded_resource_types: strings(block.get(k::EXCLUDED_RESOURCE_TYPES)),
        label_selectors: strings(block.get(k::LABEL_SELECTORS)),
        included_volume_types: strings(block.get(k::INCLUDED_VOLUME_TYPES)),
        include_cluster_scope_resources: block
            .get(k::INCLUDE_CLUSTER_SCOPE_RESOURCES)
            .as_bool()
            .unwrap_or(true),
        snapshot_volumes: block.get(k::SNAPSHOT_VOLUMES).as_bool().unwrap_or(true),
        backup_hook_references: block.get(k::BACKUP_HOOK_REFERENCES).as_list().map(|l| {
            l.iter()
                .map(|h| NamespacedName {
                    name: h.get(k::HOOK_NAME).as_str().unwrap_or_default().to_owned(),
                    namespace: h
                        .get(k::HOOK_NAMESPACE)
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                })
                .collect()
        }),
    });
    KindParams {
        containers: strings(v.get(attr::CONTAINERS)),
        volume_name: v.get(attr::VOLUME_NAME).as_str().map(str::to_owned),
        kubernetes,
    }
}

/// Adds the kind's `backupDatasourceParametersList` objects to `body`, as its catalogue entry
/// lists them. Blob sends its object only for vaulted backup (with containers); AKS always sends
/// its own, with the service's defaults when there is no block (`snapshotVolumes` and
/// `includeClusterScopeResources` are required fields of it).
pub fn apply_to(body: BackupInstance, ds: &DatasourceId, p: &KindParams) -> BackupInstance {
    let mut body = body;
    for param in ds.kind().entry().parameters {
        let Parameter::DatasourceParameters(object_type) = *param else {
            continue;
        };
        let mut obj = DatasourceParameters {
            object_type: object_type.to_owned(),
            ..DatasourceParameters::default()
        };
        match object_type {
            BLOB_PARAMETERS | ADLS_PARAMETERS => match &p.containers {
                Some(c) => obj.containers_list = Some(c.clone()),
                None => continue,
            },
            GENERIC_PARAMETERS => match &p.volume_name {
                Some(v) => obj.resource_selectors = Some(vec![v.clone()]),
                None => continue,
            },
            KUBERNETES_PARAMETERS => {
                let s = p.kubernetes.clone().unwrap_or(KubernetesSettings {
                    include_cluster_scope_resources: true,
                    snapshot_volumes: true,
                    ..KubernetesSettings::default()
                });
                obj.snapshot_volumes = Some(s.snapshot_volumes);
                obj.include_cluster_scope_resources = Some(s.include_cluster_scope_resources);
                obj.included_namespaces = s.included_namespaces;
                obj.excluded_namespaces = s.excluded_namespaces;
                obj.included_resource_types = s.included_resource_types;
                obj.excluded_resource_types = s.excluded_resource_types;
                obj.label_selectors = s.label_selectors;
                obj.included_volume_types = s.included_volume_types;
                obj.backup_hook_references = s.backup_hook_references;
            }
            _ => continue,
        }
        body = body.with_datasource_parameters(obj);
    }
    body
}

/// A list read back: absent or empty is null, unless the prior value was an empty list (the
/// service does not tell `[]` from nothing, so the user's spelling is kept).
fn list_state(observed: &Option<Vec<String>>, prior: &Value) -> Value {
    match observed {
        Some(l) if !l.is_empty() => string_list(l),
        _ if matches!(prior, Value::List(l) if l.is_empty()) => Value::List(Vec::new()),
        _ => Value::Null,
    }
}

/// `containers`, `volume_name` and `kubernetes` as Azure reports them. A `kubernetes` object
/// with nothing but the defaults stays null when the prior value was null (no block configured).
pub fn state(
    p: &BackupInstance,
    kind: Option<DatasourceKind>,
    prior: &Value,
) -> [(&'static str, Value); 3] {
    let containers = [BLOB_PARAMETERS, ADLS_PARAMETERS]
        .iter()
        .find_map(|t| p.datasource_parameters(t))
        .map(|o| list_state(&o.containers_list, prior.get(attr::CONTAINERS)))
        .unwrap_or(Value::Null);
    let volume = p
        .datasource_parameters(GENERIC_PARAMETERS)
        .and_then(|o| o.resource_selectors.as_ref()?.first().cloned())
        .map(Value::string)
        .unwrap_or(Value::Null);
    let kubernetes = match p.datasource_parameters(KUBERNETES_PARAMETERS) {
        Some(o) if kind.is_none_or(|k| k == DatasourceKind::Kubernetes) => {
            kubernetes_state(o, prior.get(attr::KUBERNETES))
        }
        _ => Value::Null,
    };
    [
        (attr::CONTAINERS, containers),
        (attr::VOLUME_NAME, volume),
        (attr::KUBERNETES, kubernetes),
    ]
}

fn kubernetes_state(o: &DatasourceParameters, prior: &Value) -> Value {
    let lists = [
        (k::INCLUDED_NAMESPACES, &o.included_namespaces),
        (k::EXCLUDED_NAMESPACES, &o.excluded_namespaces),
        (k::INCLUDED_RESOURCE_TYPES, &o.included_resource_types),
        (k::EXCLUDED_RESOURCE_TYPES, &o.excluded_resource_types),
        (k::LABEL_SELECTORS, &o.label_selectors),
        (k::INCLUDED_VOLUME_TYPES, &o.included_volume_types),
    ];
    let hooks = match &o.backup_hook_references {
        Some(h) if !h.is_empty() => Value::List(
            h.iter()
                .map(|h| {
                    Value::object([
                        (k::HOOK_NAME, Value::string(&h.name)),
                        (k::HOOK_NAMESPACE, Value::string(&h.namespace)),
                    ])
                })
                .collect(),
        ),
        _ if matches!(prior.get(k::BACKUP_HOOK_REFERENCES), Value::List(l) if l.is_empty()) => {
            Value::List(Vec::new())
        }
        _ => Value::Null,
    };
    let switches = [
        (
            k::INCLUDE_CLUSTER_SCOPE_RESOURCES,
            o.include_cluster_scope_resources.unwrap_or(true),
        ),
        (k::SNAPSHOT_VOLUMES, o.snapshot_volumes.unwrap_or(true)),
    ];
    let defaults = lists
        .iter()
        .all(|(_, l)| l.as_ref().is_none_or(Vec::is_empty))
        && hooks.is_null()
        && switches.iter().all(|(_, b)| *b);
    if defaults && prior.is_null() {
        return Value::Null;
    }
    let mut fields: Vec<(&str, Value)> = lists
        .iter()
        .map(|(name, l)| (*name, list_state(l, prior.get(name))))
        .collect();
    fields.extend(switches.iter().map(|(n, b)| (*n, Value::bool(*b))));
    fields.push((k::BACKUP_HOOK_REFERENCES, hooks));
    Value::object(fields)
}

/// Planned values: a configured `kubernetes` block's unset switches are `true` (the service's
/// defaults), so the plan shows what apply sends.
pub fn plan_defaults(planned: &mut Value) {
    if let Some(block) = planned.get_mut(attr::KUBERNETES)
        && matches!(block, Value::Object(_))
    {
        for s in k::SWITCHES {
            if block.get(s).is_null() {
                block.set(*s, Value::bool(true));
            }
        }
    }
}

/// The `objectType`s of `backupDatasourceParametersList` entries the kind does not take: the
/// provider cannot show or keep them, so they are reported rather than silently dropped.
pub fn unrecognised(p: &BackupInstance, kind: DatasourceKind) -> Vec<String> {
    let known: Vec<&str> = kind
        .entry()
        .parameters
        .iter()
        .filter_map(|p| match p {
            Parameter::DatasourceParameters(t) => Some(*t),
            _ => None,
        })
        .collect();
    p.policy_info
        .policy_parameters
        .iter()
        .flat_map(|pp| &pp.backup_datasource_parameters_list)
        .filter(|o| {
            !known.iter().any(|t| t.eq_ignore_ascii_case(&o.object_type)) || !o.other.is_empty()
        })
        .map(|o| o.object_type.clone())
        .collect()
}

/// A warning for parameters the provider cannot keep: an update would send the kind's own
/// parameters only.
pub fn report_unrecognised(p: &BackupInstance, id: &BackupInstanceId, diags: &mut Diagnostics) {
    let Ok(ds) = DatasourceId::with_type(
        &p.data_source_info.resource_id,
        p.data_source_info.datasource_type.as_deref(),
    ) else {
        return;
    };
    let odd = unrecognised(p, ds.kind());
    if !odd.is_empty() {
        diags.warning(
            "Unrecognised Backup Parameters",
            format!(
                "The backup instance {id} carries backup parameters this provider does not manage for {} ({}). They are not in Terraform state, and an in-place update would send only the parameters of this configuration, dropping them. Change them in Azure, or upgrade the provider if a newer one knows them.",
                ds.kind().entry().plural,
                odd.join(", ")
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::arm_id::BackupPolicyId;

    fn policy() -> BackupPolicyId {
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-a/backupPolicies/p".parse().unwrap()
    }

    fn ds(id: &str, t: Option<&str>) -> DatasourceId {
        DatasourceId::with_type(
            &format!("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/{id}"),
            t,
        )
        .unwrap()
    }

    fn body(ds: &DatasourceId, p: &KindParams) -> serde_json::Value {
        let b = apply_to(BackupInstance::new_for(ds, "westeurope", &policy()), ds, p);
        serde_json::to_value(&b).unwrap()
    }

    #[test]
    fn bodies_per_kind() {
        let account = ds("Microsoft.Storage/storageAccounts/st", None);
        let operational = body(&account, &KindParams::default());
        assert!(
            operational["policyInfo"].get("policyParameters").is_none(),
            "{operational}"
        );
        let containers = KindParams {
            containers: Some(vec!["data".into()]),
            ..KindParams::default()
        };
        let vaulted = body(&account, &containers);
        let list = &vaulted["policyInfo"]["policyParameters"]["backupDatasourceParametersList"];
        assert_eq!(list[0]["objectType"], "BlobBackupDatasourceParameters");
        assert_eq!(list[0]["containersList"][0], "data");
        assert!(
            vaulted["policyInfo"]["policyParameters"]
                .get("dataStoreParametersList")
                .is_none()
        );

        let lake = ds(
            "Microsoft.Storage/storageAccounts/st",
            Some("Microsoft.Storage/storageAccounts/adlsBlobServices"),
        );
        let b = body(&lake, &containers);
        assert_eq!(
            b["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0]["objectType"],
            "AdlsBlobBackupDatasourceParameters"
        );
        assert_eq!(b["dataSourceSetInfo"]["resourceLocation"], "westeurope");
        assert_eq!(
            b["dataSourceSetInfo"]["datasourceType"],
            "Microsoft.Storage/storageAccounts/adlsBlobServices"
        );
        assert_eq!(
            b["dataSourceInfo"]["datasourceType"],
            "Microsoft.Storage/storageAccounts/adlsBlobServices"
        );

        let aks = ds("Microsoft.ContainerService/managedClusters/c", None);
        let b = body(&aks, &KindParams::default());
        let o = &b["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0];
        assert_eq!(
            o["objectType"],
            "KubernetesClusterBackupDatasourceParameters"
        );
        assert_eq!(
            (
                o["snapshotVolumes"].as_bool(),
                o["includeClusterScopeResources"].as_bool()
            ),
            (Some(true), Some(true))
        );
        assert!(o.get("includedNamespaces").is_none());

        let vg = ds("Microsoft.ElasticSan/elasticSans/e/volumeGroups/g", None);
        let b = body(
            &vg,
            &KindParams {
                volume_name: Some("vol-1".into()),
                ..KindParams::default()
            },
        );
        let o = &b["policyInfo"]["policyParameters"]["backupDatasourceParametersList"][0];
        assert_eq!(o["objectType"], "GenericBackupDatasourceParameters");
        assert_eq!(o["resourceSelectors"], serde_json::json!(["vol-1"]));
        assert_eq!(
            b["dataSourceSetInfo"]["resourceType"],
            "Microsoft.ElasticSan/elasticSans"
        );
        assert!(
            b["dataSourceSetInfo"]["resourceID"]
                .as_str()
                .unwrap()
                .ends_with("/elasticSans/e")
        );
    }

    /// What is sent reads back as the same state; defaults without a block stay null.
    #[test]
    fn kubernetes_round_trips() {
        let aks = ds("Microsoft.ContainerService/managedClusters/c", None);
        let settings = KubernetesSettings {
            included_namespaces: Some(vec!["app".into()]),
            include_cluster_scope_resources: true,
            snapshot_volumes: false,
            backup_hook_references: Some(vec![NamespacedName {
                name: "h".into(),
                namespace: "app".into(),
            }]),
            ..KubernetesSettings::default()
        };
        let p = KindParams {
            kubernetes: Some(settings.clone()),
            ..KindParams::default()
        };
        let b = apply_to(
            BackupInstance::new_for(&aks, "westeurope", &policy()),
            &aks,
            &p,
        );
        let [_, _, (_, block)] = state(&b, Some(DatasourceKind::Kubernetes), &Value::Null);
        let back = parse(&Value::object([(attr::KUBERNETES, block.clone())]));
        assert_eq!(back.kubernetes, Some(settings));
        assert_eq!(block.get(k::EXCLUDED_NAMESPACES), &Value::Null);

        let b = apply_to(
            BackupInstance::new_for(&aks, "westeurope", &policy()),
            &aks,
            &KindParams::default(),
        );
        let [_, _, (_, block)] = state(&b, Some(DatasourceKind::Kubernetes), &Value::Null);
        assert!(block.is_null());
        assert!(unrecognised(&b, DatasourceKind::Kubernetes).is_empty());
        assert_eq!(
            unrecognised(&b, DatasourceKind::Disk),
            ["KubernetesClusterBackupDatasourceParameters"]
        );
    }

    #[test]
    fn value_checks_name_the_attribute() {
        let v = Value::object([
            (attr::CONTAINERS, Value::List(Vec::new())),
            (attr::VOLUME_NAME, Value::string(" ")),
            (
                attr::KUBERNETES,
                Value::object([(
                    k::INCLUDED_VOLUME_TYPES,
                    Value::List(vec![Value::string("Nfs")]),
                )]),
            ),
        ]);
        let mut d = Diagnostics::new();
        check(&v, &mut d);
        let paths: Vec<String> = d
            .iter()
            .filter_map(|d| d.attribute.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(
            paths,
            [
                "containers",
                "volume_name",
                "kubernetes.included_volume_types"
            ]
        );
    }
}
