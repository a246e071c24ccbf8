//! Unit tests of the catalogue: every entry consistent, kinds resolved from ID and type, API versions per kind and input.

use super::*;
use crate::azure::arm_id::BackupPolicyId;
use crate::azure::config::KNOWN_API_VERSIONS;
use crate::azure::models::BackupInstance;

/// An ID of the entry's shape with made-up names.
fn sample_id(e: &Entry) -> String {
    let mut id = format!(
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/{}",
        e.namespace
    );
    for (i, (seg, _)) in e.type_path.iter().enumerate() {
        id.push_str(&format!("/{seg}/n{i}"));
    }
    id
}

/// Every entry: its ID shape parses to its kind and prints back the same; its body has the
/// set info, parameters and types the entry promises; its inputs fill its parameters; its
/// roles' scopes exist for it.
#[test]
fn every_entry_is_consistent() {
    let policy: BackupPolicyId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-a/backupPolicies/p".parse().unwrap();
    let mut kinds = Vec::new();
    for e in CATALOGUE {
        assert!(!kinds.contains(&e.kind), "{:?} listed twice", e.kind);
        kinds.push(e.kind);
        assert_eq!(e.kind.entry(), e);
        let text = sample_id(e);
        let ds: DatasourceId = text.parse().unwrap_or_else(|err| panic!("{text}: {err}"));
        if !e.by_type_only {
            assert_eq!(ds.kind(), e.kind, "{text}");
            assert_eq!(ds.datasource_type(), e.datasource_type);
            assert_eq!(
                entry_for_id(&text.to_ascii_uppercase()).map(|x| x.kind),
                Some(e.kind)
            );
        }
        assert_eq!(ds.to_string(), text);
        assert!(!e.available_in("2020-12-31"));
        let known: Vec<&&str> = KNOWN_API_VERSIONS
            .iter()
            .filter(|v| e.available_in(v))
            .collect();
        assert!(!known.is_empty(), "{:?}: no known API version", e.kind);
        for r in e.inputs {
            assert!(
                KNOWN_API_VERSIONS
                    .iter()
                    .any(|v| e.available_in(v) && r.api_versions.contains(v)),
                "{:?}: {:?} in no version of the kind",
                e.kind,
                r.input
            );
        }
        // A kind chosen by type only shares its ID with a kind chosen by ID.
        if e.by_type_only {
            let default = entry_for_id(&text).expect("the ID's default kind");
            assert_ne!(default.kind, e.kind);
            assert_eq!(
                resolve_kind(&text, Some(e.datasource_type)),
                Ok(Some(e.kind))
            );
            let ds = DatasourceId::with_type(&text, Some(e.datasource_type)).unwrap();
            assert_eq!(ds.kind(), e.kind);
            assert_eq!(ds.to_string(), text);
        }
        let ds = DatasourceId::with_type(&text, Some(e.datasource_type)).unwrap();

        let bi = BackupInstance::new_for(&ds, "westeurope", &policy);
        assert_eq!(bi.data_source_info.resource_id, text);
        assert_eq!(
            bi.data_source_info.datasource_type.as_deref(),
            Some(e.datasource_type)
        );
        assert_eq!(
            bi.data_source_info.resource_type.as_deref(),
            Some(e.resource_type().as_str())
        );
        let set = bi.data_source_set_info.as_ref();
        match e.set_info {
            SetInfo::None => assert!(set.is_none(), "{:?}", e.kind),
            SetInfo::Itself => {
                let set = set.expect("set info");
                assert_eq!(set.resource_id, text);
                assert_eq!(
                    set.resource_type.as_deref(),
                    Some(e.resource_type().as_str())
                );
            }
            SetInfo::Parent => {
                let set = set.expect("set info");
                let (parent, name) = parent_of(&ds).expect("a parent");
                assert!(text.starts_with(&format!("{parent}/")), "{parent}");
                assert_eq!(set.resource_id, parent);
                assert_eq!(set.resource_name.as_deref(), Some(name.as_str()));
                assert_eq!(set.resource_type, e.parent_resource_type());
            }
        }
        if let Some(set) = set {
            assert_eq!(set.object_type.as_deref(), Some("DatasourceSet"));
            assert_eq!(set.datasource_type.as_deref(), Some(e.datasource_type));
        }

        let filled: Vec<Parameter> = e.inputs.iter().map(|r| r.fills).collect();
        assert_eq!(filled, e.parameters, "{:?}: inputs and parameters", e.kind);
        let want = |p: &Parameter| filled.contains(p);
        if let Parameter::DatasourceParameters(t) = e
            .parameters
            .iter()
            .copied()
            .find(|p| matches!(p, Parameter::DatasourceParameters(_)))
            .unwrap_or(Parameter::OperationalStore)
        {
            assert!(want(&Parameter::DatasourceParameters(t)));
        }
        for r in e.roles {
            let scope_ok = match r.scope {
                Scope::Parent => e.set_info == SetInfo::Parent,
                Scope::SnapshotResourceGroup => e.rule(Input::SnapshotResourceGroup).is_some(),
                Scope::KeyVault => e.rule(Input::KeyVaultSecret).is_some(),
                Scope::Datasource | Scope::ResourceGroup => true,
            };
            assert!(scope_ok, "{:?}: role {} on {:?}", e.kind, r.name, r.scope);
        }
    }
}

/// One ID, two kinds: a storage account is blob unless Data Lake is asked for; a type that
/// does not fit the ID names the types that do.
#[test]
fn the_kind_comes_from_the_id_and_the_type() {
    let account = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1";
    assert_eq!(resolve_kind(account, None), Ok(Some(DatasourceKind::Blob)));
    assert_eq!(
        resolve_kind(
            account,
            Some("microsoft.storage/storageaccounts/adlsblobservices")
        ),
        Ok(Some(DatasourceKind::DataLake))
    );
    let disk = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Compute/disks/d1";
    let err = resolve_kind(
        disk,
        Some("Microsoft.Storage/storageAccounts/adlsBlobServices"),
    )
    .unwrap_err();
    assert!(err.contains("\"Microsoft.Compute/disks\""), "{err}");
    let err = DatasourceId::with_type(account, Some("Microsoft.Compute/disks")).unwrap_err();
    assert!(
        err.to_string().contains("\"Microsoft.Storage/storageAccounts/blobServices\" or \"Microsoft.Storage/storageAccounts/adlsBlobServices\""),
        "{err}"
    );
    assert_eq!(resolve_kind("/nothing", Some("x")), Ok(None));
}

/// Elastic SAN is in 2026-06-01 only; containers are in every version but 2021-01-01.
#[test]
fn api_versions_per_kind_and_input() {
    let esan = DatasourceKind::ElasticSan.entry();
    let on: Vec<&&str> = KNOWN_API_VERSIONS
        .iter()
        .filter(|v| esan.available_in(v))
        .collect();
    assert_eq!(on, [&"2026-06-01"]);
    assert!(!esan.available_in("2026-03-01") && !esan.available_in("2099-01-01"));
    let blob = DatasourceKind::Blob.entry();
    let containers = blob.rule(Input::Containers).unwrap();
    assert!(blob.available_in("2021-01-01") && !containers.api_versions.contains("2021-01-01"));
    assert!(containers.api_versions.contains("2025-07-01"));
    assert!(!DatasourceKind::DataLake.entry().available_in("2021-01-01"));
    assert!(
        DatasourceKind::Kubernetes
            .entry()
            .available_in("2025-07-01")
    );
    assert_eq!(esan.api_versions.text(), "2026-06-01 only");
}

/// The ID shapes match the typed IDs' own shapes, so errors describe them alike.
#[test]
fn shapes_match_the_typed_ids() {
    use crate::azure::arm_id::{
        CosmosDbAccountId, ElasticSanVolumeGroupId, ManagedClusterId, ManagedDiskId,
        MysqlFlexibleServerId, PostgresDatabaseId, PostgresFlexibleServerId, StorageAccountId,
    };
    for (kind, shape) in [
        (DatasourceKind::Blob, StorageAccountId::shape()),
        (DatasourceKind::DataLake, StorageAccountId::shape()),
        (DatasourceKind::Kubernetes, ManagedClusterId::shape()),
        (
            DatasourceKind::MysqlFlexibleServer,
            MysqlFlexibleServerId::shape(),
        ),
        (DatasourceKind::CosmosDb, CosmosDbAccountId::shape()),
        (DatasourceKind::ElasticSan, ElasticSanVolumeGroupId::shape()),
    ] {
        assert_eq!(kind.entry().shape(), shape, "{kind:?}");
    }
    assert_eq!(DatasourceKind::Disk.entry().shape(), ManagedDiskId::shape());
    assert_eq!(
        DatasourceKind::PostgresDatabase.entry().shape(),
        PostgresDatabaseId::shape()
    );
    assert_eq!(
        DatasourceKind::PostgresFlexibleServer.entry().shape(),
        PostgresFlexibleServerId::shape()
    );
}

#[test]
fn roles_in_words() {
    assert_eq!(
        DatasourceKind::Disk.entry().roles_text(),
        "`Disk Backup Reader` on the disk and `Disk Snapshot Contributor` on the snapshot resource group"
    );
    assert_eq!(
        DatasourceKind::PostgresDatabase.entry().roles_text(),
        "`Reader` on the server and `Key Vault Secrets User` on the key vault"
    );
    assert!(
        all_roles_text().contains("PostgreSQL Flexible Server Long Term Retention Backup Role")
    );
    assert_eq!(
        DatasourceKind::Kubernetes.entry().roles_text(),
        "`Reader` on the cluster and `Reader` on the snapshot resource group and `Contributor` on the snapshot resource group for the cluster's own identity"
    );
    assert_eq!(
        DatasourceKind::ElasticSan.entry().roles_text(),
        "`Elastic SAN Snapshot Exporter` on the volume group and `Disk Snapshot Contributor` on the snapshot resource group"
    );
    assert_eq!(
        DatasourceKind::MysqlFlexibleServer.entry().roles_text(),
        "`Reader` on the server's resource group and `MySQL Backup And Export Operator` on the server"
    );
    assert_eq!(either(&["a", "b", "c"]), "a, b or c");
}
