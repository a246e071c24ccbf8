//! Unit tests of `azurebackup_role_assignments`: argument checks per kind, the assignments each
//! kind's catalogue roles produce, and which principal they are for.

use super::*;
use crate::azure::catalogue::DatasourceKind;
use crate::azure::client::identity::AttachedIdentity;

const SUB: &str = "11111111-1111-1111-1111-111111111111";
const VAULT_PRINCIPAL: &str = "44444444-4444-4444-4444-444444444444";

fn rg(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{name}")
}
fn vault() -> String {
    format!(
        "{}/providers/Microsoft.DataProtection/backupVaults/vault-demo",
        rg("rg-backup")
    )
}
fn disk() -> String {
    format!("{}/providers/Microsoft.Compute/disks/disk-1", rg("rg-data"))
}
fn pg_flex() -> String {
    format!(
        "{}/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-1",
        rg("rg-data")
    )
}
fn pg_db() -> String {
    format!(
        "{}/providers/Microsoft.DBforPostgreSQL/servers/pg-single/databases/appdb",
        rg("rg-data")
    )
}
fn kv() -> String {
    format!(
        "{}/providers/Microsoft.KeyVault/vaults/kv-demo",
        rg("rg-data")
    )
}
fn uami() -> String {
    format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-backup",
        rg("rg-backup")
    )
}

/// A configuration: every attribute null except `set`.
fn cfg(set: &[(&str, Value)]) -> Value {
    let mut v = Value::object(
        schema()
            .block
            .attributes
            .iter()
            .map(|a| (a.name.clone(), Value::Null)),
    );
    for (k, x) in set {
        v.set(*k, x.clone());
    }
    v
}

fn s(x: impl Into<String>) -> Value {
    Value::string(x)
}

/// `(summary, attribute)` of each diagnostic.
fn problems(d: &Diagnostics) -> Vec<(String, Option<AttributePath>)> {
    d.iter()
        .map(|x| (x.summary.clone(), x.attribute.clone()))
        .collect()
}

fn resolved(set: &[(&str, Value)]) -> Resolved {
    let (d, r) = check(&cfg(set));
    assert!(d.is_empty(), "{:?}", problems(&d));
    r.expect("resolved")
}

/// `(role, scope, principal)` of each assignment.
fn triples(list: &[Value]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|a| {
            let g = |n: &str| a.get(n).as_str().unwrap_or_default().to_owned();
            (g(ROLE_DEFINITION_NAME), g(SCOPE), g(PRINCIPAL))
        })
        .collect()
}

#[test]
fn a_disk_needs_its_two_roles_for_the_vault() {
    let r = resolved(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(disk())),
        (attr::SNAPSHOT_RESOURCE_GROUP_ID, s(rg("rg-snapshots"))),
    ]);
    assert_eq!(r.entry.kind, DatasourceKind::Disk);
    let list = assignments(&r, VAULT_PRINCIPAL, None);
    assert_eq!(
        triples(&list),
        vec![
            ("Disk Backup Reader".into(), disk(), VAULT.into()),
            (
                "Disk Snapshot Contributor".into(),
                rg("rg-snapshots"),
                VAULT.into()
            ),
        ]
    );
    for a in &list {
        assert_eq!(a.get(PRINCIPAL_ID).as_str(), Some(VAULT_PRINCIPAL));
    }
    assert_eq!(
        list[0].get(KEY).as_str().unwrap(),
        format!("vault:Disk Backup Reader:{}", disk())
    );
}

#[test]
fn a_flexible_server_needs_reader_on_its_group_and_the_backup_role_on_itself() {
    let r = resolved(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(pg_flex())),
    ]);
    assert_eq!(
        triples(&assignments(&r, VAULT_PRINCIPAL, None)),
        vec![
            ("Reader".into(), rg("rg-data"), VAULT.into()),
            (
                "PostgreSQL Flexible Server Long Term Retention Backup Role".into(),
                pg_flex(),
                VAULT.into()
            ),
        ]
    );
}

/// A single-server database: Reader on the server (the parent); the Key Vault role only when
/// the instance reads a secret, i.e. when `key_vault_id` is given.
#[test]
fn a_database_needs_its_server_and_optionally_the_key_vault() {
    let server = pg_db().rsplitn(3, '/').nth(2).unwrap().to_owned();
    let without = resolved(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(pg_db())),
    ]);
    assert_eq!(
        triples(&assignments(&without, VAULT_PRINCIPAL, None)),
        vec![("Reader".into(), server.clone(), VAULT.into())]
    );
    let with = resolved(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(pg_db())),
        (KEY_VAULT_ID, s(kv())),
        (
            attr::KEY_VAULT_SECRET_URI,
            s("https://KV-demo.vault.azure.net/secrets/pg-conn"),
        ),
    ]);
    assert_eq!(
        triples(&assignments(&with, VAULT_PRINCIPAL, None)),
        vec![
            ("Reader".into(), server, VAULT.into()),
            ("Key Vault Secrets User".into(), kv(), VAULT.into()),
        ]
    );
}

#[test]
fn missing_and_unused_inputs_are_errors_on_their_attributes() {
    let (d, r) = check(&cfg(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(disk())),
    ]));
    assert!(r.is_none());
    assert_eq!(
        problems(&d),
        vec![(
            "Missing Argument for This Kind".into(),
            Some(AttributePath::root(attr::SNAPSHOT_RESOURCE_GROUP_ID))
        )]
    );
    let detail = &d.iter().next().unwrap().detail;
    assert!(detail.contains("Disk Snapshot Contributor"), "{detail}");

    let (d, _) = check(&cfg(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(pg_flex())),
        (attr::SNAPSHOT_RESOURCE_GROUP_ID, s(rg("rg-snapshots"))),
        (KEY_VAULT_ID, s(kv())),
    ]));
    assert_eq!(
        problems(&d),
        vec![
            (
                "Argument Not Used by This Kind".into(),
                Some(AttributePath::root(attr::SNAPSHOT_RESOURCE_GROUP_ID))
            ),
            (
                "Argument Not Used by This Kind".into(),
                Some(AttributePath::root(KEY_VAULT_ID))
            ),
        ]
    );

    // A secret URI alone cannot be a role scope: `key_vault_id` is asked for.
    let (d, _) = check(&cfg(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(pg_db())),
        (
            attr::KEY_VAULT_SECRET_URI,
            s("https://kv-demo.vault.azure.net/secrets/pg-conn"),
        ),
    ]));
    assert_eq!(
        problems(&d),
        vec![(
            "Missing Argument for This Kind".into(),
            Some(AttributePath::root(KEY_VAULT_ID))
        )]
    );
}

#[test]
fn malformed_ids_mismatched_vaults_and_wrong_types_are_on_their_attributes() {
    let (d, r) = check(&cfg(&[
        (attr::VAULT_ID, s(disk())),
        (attr::DATASOURCE_ID, s(pg_db())),
        (KEY_VAULT_ID, s(kv())),
        (
            attr::KEY_VAULT_SECRET_URI,
            s("https://other.vault.azure.net/secrets/pg-conn"),
        ),
        (attr::USER_ASSIGNED_IDENTITY_ID, s(kv())),
        (attr::DATASOURCE_TYPE, s("Microsoft.Compute/disks")),
    ]));
    assert!(r.is_none());
    assert_eq!(
        problems(&d),
        vec![
            (
                "Invalid Backup Vault ID".into(),
                Some(AttributePath::root(attr::VAULT_ID))
            ),
            (
                "Invalid User-Assigned Identity ID".into(),
                Some(AttributePath::root(attr::USER_ASSIGNED_IDENTITY_ID))
            ),
            (
                "Key Vault Mismatch".into(),
                Some(AttributePath::root(attr::KEY_VAULT_SECRET_URI))
            ),
            (
                "Wrong Datasource Type".into(),
                Some(AttributePath::root(attr::DATASOURCE_TYPE))
            ),
        ]
    );
    // The type of the kind the ID names is accepted, in any casing.
    let r = resolved(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(pg_flex())),
        (
            attr::DATASOURCE_TYPE,
            s("microsoft.dbforpostgresql/flexibleservers"),
        ),
    ]);
    assert_eq!(r.entry.kind, DatasourceKind::PostgresFlexibleServer);
}

/// Values not known at plan time pass validation; they are checked when read.
#[test]
fn unknown_values_are_left_for_the_read() {
    let (d, r) = check(&cfg(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, Value::Unknown),
        (attr::SNAPSHOT_RESOURCE_GROUP_ID, Value::Unknown),
    ]));
    assert!(d.is_empty(), "{:?}", problems(&d));
    assert!(r.is_none());
    // The kind is known, the snapshot group is not: no "missing" error yet.
    let (d, _) = check(&cfg(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(disk())),
        (attr::SNAPSHOT_RESOURCE_GROUP_ID, Value::Unknown),
    ]));
    assert!(d.is_empty(), "{:?}", problems(&d));
}

#[test]
fn the_vault_principal_is_the_system_identity_or_the_attached_user_identity() {
    let base = [
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(pg_flex())),
    ];
    let system = ResourceIdentity {
        system_assigned: Some(VAULT_PRINCIPAL.into()),
        user_assigned: vec![AttachedIdentity {
            id: uami().to_ascii_lowercase(),
            principal_id: Some("77777777-7777-7777-7777-777777777777".into()),
        }],
    };
    let mut d = Diagnostics::new();
    assert_eq!(
        vault_principal(&resolved(&base), &system, &mut d).as_deref(),
        Some(VAULT_PRINCIPAL)
    );
    let mut with_uami = base.to_vec();
    with_uami.push((attr::USER_ASSIGNED_IDENTITY_ID, s(uami())));
    assert_eq!(
        vault_principal(&resolved(&with_uami), &system, &mut d).as_deref(),
        Some("77777777-7777-7777-7777-777777777777")
    );
    assert!(d.is_empty());

    let bare = ResourceIdentity::default();
    assert_eq!(vault_principal(&resolved(&with_uami), &bare, &mut d), None);
    assert_eq!(vault_principal(&resolved(&base), &bare, &mut d), None);
    assert_eq!(
        problems(&d),
        vec![
            (
                "Identity Not Attached to the Vault".into(),
                Some(AttributePath::root(attr::USER_ASSIGNED_IDENTITY_ID))
            ),
            (
                "Vault Has No System-Assigned Identity".into(),
                Some(AttributePath::root(attr::VAULT_ID))
            ),
        ]
    );
    assert!(d.iter().last().unwrap().detail.contains("SystemAssigned"));
}

#[test]
fn the_cluster_principal_is_its_system_identity_else_its_only_user_identity() {
    let one = |id: &str, p: &str| AttachedIdentity {
        id: id.into(),
        principal_id: Some(p.into()),
    };
    assert_eq!(
        cluster_principal(&ResourceIdentity {
            system_assigned: Some("s".into()),
            user_assigned: vec![one("/a", "u")],
        })
        .as_deref(),
        Some("s")
    );
    assert_eq!(
        cluster_principal(&ResourceIdentity {
            system_assigned: None,
            user_assigned: vec![one("/a", "u")],
        })
        .as_deref(),
        Some("u")
    );
    assert_eq!(
        cluster_principal(&ResourceIdentity {
            system_assigned: None,
            user_assigned: vec![one("/a", "u"), one("/b", "v")],
        }),
        None
    );
}

/// Every kind's roles become assignments with a scope and a unique key, and the docs table names
/// each kind and each of its roles.
#[test]
fn every_kind_in_the_catalogue_is_covered() {
    let table = roles_table();
    for e in CATALOGUE {
        assert!(table.contains(e.datasource_type), "{}", e.datasource_type);
        for role in e.roles {
            assert!(table.contains(role.name), "{}", role.name);
            assert!(
                role.scope == Scope::Datasource
                    || role.scope == Scope::ResourceGroup
                    || role.scope == Scope::Parent
                    || scope_attribute(role.scope).is_some()
            );
        }
    }
    let description = schema().block.description;
    assert!(description.contains("for_each"), "{description}");
}

/// One ARM ID, two kinds: a storage account is blob unless `datasource_type` says Data Lake; a
/// type that does not fit the ID is an error on `datasource_type` naming those that do.
#[test]
fn a_storage_account_is_blob_unless_the_type_says_data_lake() {
    let account = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/stlakedemo",
        rg("rg-data")
    );
    let base = [
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(account.clone())),
    ];
    assert_eq!(resolved(&base).entry.kind, DatasourceKind::Blob);
    let mut lake = base.to_vec();
    lake.push((
        attr::DATASOURCE_TYPE,
        s("Microsoft.Storage/storageAccounts/adlsBlobServices"),
    ));
    let r = resolved(&lake);
    assert_eq!(r.entry.kind, DatasourceKind::DataLake);
    assert_eq!(
        triples(&assignments(&r, VAULT_PRINCIPAL, None)),
        vec![(
            "Storage Account Backup Contributor".into(),
            account,
            VAULT.into()
        )]
    );
    let mut wrong = base.to_vec();
    wrong.push((attr::DATASOURCE_TYPE, s("Microsoft.Compute/disks")));
    let (d, _) = check(&cfg(&wrong));
    assert_eq!(
        problems(&d),
        vec![(
            "Wrong Datasource Type".into(),
            Some(AttributePath::root(attr::DATASOURCE_TYPE))
        )]
    );
    assert!(d.iter().next().unwrap().detail.contains("adlsBlobServices"));
}

/// AKS: the vault's Reader roles and the cluster's own Contributor on the snapshot group, the
/// latter only once the cluster's principal is known.
#[test]
fn an_aks_cluster_names_the_cluster_principal() {
    let aks = format!(
        "{}/providers/Microsoft.ContainerService/managedClusters/aks-demo",
        rg("rg-data")
    );
    let r = resolved(&[
        (attr::VAULT_ID, s(vault())),
        (attr::DATASOURCE_ID, s(aks.clone())),
        (attr::SNAPSHOT_RESOURCE_GROUP_ID, s(rg("rg-snapshots"))),
    ]);
    let list = assignments(
        &r,
        VAULT_PRINCIPAL,
        Some("55555555-5555-5555-5555-555555555555"),
    );
    assert_eq!(
        triples(&list),
        vec![
            ("Reader".into(), aks, VAULT.into()),
            ("Reader".into(), rg("rg-snapshots"), VAULT.into()),
            ("Contributor".into(), rg("rg-snapshots"), CLUSTER.into()),
        ]
    );
    assert_eq!(
        list[2].get(PRINCIPAL_ID).as_str(),
        Some("55555555-5555-5555-5555-555555555555")
    );
    let (d, _) = check(&cfg(&[
        (attr::VAULT_ID, s(vault())),
        (
            attr::DATASOURCE_ID,
            s(format!(
                "{}/providers/Microsoft.ContainerService/managedClusters/aks-demo",
                rg("rg-data")
            )),
        ),
    ]));
    assert_eq!(
        problems(&d),
        vec![(
            "Missing Argument for This Kind".into(),
            Some(AttributePath::root(attr::SNAPSHOT_RESOURCE_GROUP_ID))
        )]
    );
}
