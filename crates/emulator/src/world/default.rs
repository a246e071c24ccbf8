//! The built-in world: `vault-demo` may protect everything in `rg-data` (disks, PostgreSQL,
//! storage accounts, an AKS cluster, MySQL, Cosmos DB), `vault-secure` (soft delete `AlwaysOn`,
//! so every api-version accepts it) an Elastic SAN volume group and disks; every role each kind
//! needs is granted, and what restores need (`strestore` is an account to restore into).

use super::*;

const SUB: &str = "11111111-1111-1111-1111-111111111111";
const LOCATION: &str = "westeurope";
const VAULT_PRINCIPAL: &str = "44444444-4444-4444-4444-444444444444";
const SECURE_PRINCIPAL: &str = "66666666-6666-6666-6666-666666666666";
const CLUSTER_PRINCIPAL: &str = "55555555-5555-5555-5555-555555555555";

fn rg(name: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/{name}")
}

fn grant(principal: &str, scope: &str, role: &str) -> Grant {
    Grant {
        principal_id: principal.to_string(),
        scope: scope.to_string(),
        role: Some(role.to_string()),
        action: None,
    }
}

fn policy(vault: &str, name: &str, datasource_type: &str, store: Option<DataStore>) -> Policy {
    Policy {
        id: format!("{vault}/backupPolicies/{name}"),
        datasource_type: datasource_type.into(),
        data_store: store,
        backup_rule: None,
    }
}

/// A backup rule as azurerm writes it: `BackupIntervals`, a default tag and one tagged rule.
fn azurerm_rule(
    period: &str,
    keep: &str,
    (tag, tag_keep, criteria): (&str, &str, &str),
) -> BackupRule {
    BackupRule {
        name: "BackupIntervals".into(),
        schedule: format!("R/2024-01-01T06:00:00+00:00/{period}"),
        backup_type: "Incremental".into(),
        tags: vec![
            RetentionTag {
                name: "Default".into(),
                retention: keep.into(),
                criteria: None,
            },
            RetentionTag {
                name: tag.into(),
                retention: tag_keep.into(),
                criteria: Some(criteria.into()),
            },
        ],
    }
}

impl World {
    /// The world described in docs/emulator.md.
    pub fn default_world() -> World {
        let vault = format!(
            "{}/providers/Microsoft.DataProtection/backupVaults/vault-demo",
            rg("rg-backup")
        );
        let secure = format!(
            "{}/providers/Microsoft.DataProtection/backupVaults/vault-secure",
            rg("rg-backup")
        );
        let data = rg("rg-data");
        let snapshots = rg("rg-snapshots");
        let pg = format!("{data}/providers/Microsoft.DBforPostgreSQL/servers/pg-single");
        let kv = format!("{data}/providers/Microsoft.KeyVault/vaults/kv-demo");
        let storage = |n: &str| format!("{data}/providers/Microsoft.Storage/storageAccounts/{n}");
        let aks = format!("{data}/providers/Microsoft.ContainerService/managedClusters/aks-demo");
        let mysql = format!("{data}/providers/Microsoft.DBforMySQL/flexibleServers/mysql-demo");
        let cosmos = format!("{data}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-demo");
        let esan = format!("{data}/providers/Microsoft.ElasticSan/elasticSans/esan-demo");
        let vg = format!("{esan}/volumeGroups/vg-demo");
        let loc = Some(LOCATION);
        let mut datasources = Vec::new();
        for d in ["disk-1", "disk-2", "disk-3"] {
            datasources.push(DatasourceResource::new(
                format!("{data}/providers/Microsoft.Compute/disks/{d}"),
                loc,
            ));
        }
        datasources.push(DatasourceResource::new(pg.clone(), loc));
        for db in ["appdb", "reportsdb"] {
            datasources.push(DatasourceResource::new(
                format!("{pg}/databases/{db}"),
                None,
            ));
        }
        for f in ["pgflex-1", "pgflex-2"] {
            datasources.push(DatasourceResource::new(
                format!("{data}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{f}"),
                loc,
            ));
        }
        datasources.push(DatasourceResource {
            containers: vec!["data".into(), "logs".into()],
            ..DatasourceResource::new(storage("stbackupdemo"), loc)
        });
        datasources.push(DatasourceResource {
            containers: vec!["raw".into(), "curated".into()],
            hierarchical_namespace: true,
            ..DatasourceResource::new(storage("stlakedemo"), loc)
        });
        // An account to restore into: vaulted blob containers, and dump files in `restores`.
        datasources.push(DatasourceResource {
            containers: vec!["restores".into()],
            ..DatasourceResource::new(storage("strestore"), loc)
        });
        datasources.push(DatasourceResource {
            principal_id: Some(CLUSTER_PRINCIPAL.into()),
            ..DatasourceResource::new(aks.clone(), loc)
        });
        datasources.push(DatasourceResource::new(mysql.clone(), loc));
        datasources.push(DatasourceResource::new(cosmos.clone(), loc));
        let esan_id = esan.clone();
        datasources.push(DatasourceResource::new(esan, loc));
        datasources.push(DatasourceResource {
            volumes: vec!["vol-1".into(), "vol-2".into()],
            ..DatasourceResource::new(vg.clone(), None)
        });
        let v = VAULT_PRINCIPAL;
        let s = SECURE_PRINCIPAL;
        use DataStore::{OperationalStore, VaultStore};
        World {
            tenant_id: "22222222-2222-2222-2222-222222222222".into(),
            client_id: "33333333-3333-3333-3333-333333333333".into(),
            client_secret: "emulator-client-secret".into(),
            identity_header: default_identity_header(),
            subscriptions: vec![SUB.into()],
            resource_groups: ["rg-backup", "rg-data", "rg-snapshots"]
                .iter()
                .map(|n| ResourceGroup {
                    id: rg(n),
                    location: LOCATION.into(),
                })
                .collect(),
            vaults: vec![
                Vault {
                    id: vault.clone(),
                    location: LOCATION.into(),
                    principal_id: v.into(),
                    soft_delete: SoftDelete::default(),
                    user_assigned_identities: Vec::new(),
                },
                Vault {
                    id: secure.clone(),
                    location: LOCATION.into(),
                    principal_id: s.into(),
                    soft_delete: SoftDelete {
                        state: SoftDeleteState::AlwaysOn,
                        retention_days: 14,
                    },
                    user_assigned_identities: Vec::new(),
                },
            ],
            policies: vec![
                policy(&vault, "policy-disk", DISK_TYPE, None),
                policy(&vault, "policy-postgres", PG_DATABASE_TYPE, None),
                policy(&vault, "policy-pgflex", PG_FLEX_TYPE, None),
                policy(&vault, "policy-blob", BLOB_TYPE, Some(OperationalStore)),
                // azurerm names the backup rule of the policies it writes `BackupIntervals`.
                Policy {
                    backup_rule: Some(azurerm_rule(
                        "P1D",
                        "P30D",
                        ("Weekly", "P12W", "FirstOfWeek"),
                    )),
                    ..policy(&vault, "policy-blob-vaulted", BLOB_TYPE, Some(VaultStore))
                },
                policy(&vault, "policy-adls", ADLS_TYPE, Some(VaultStore)),
                policy(&vault, "policy-aks", AKS_TYPE, Some(OperationalStore)),
                policy(&vault, "policy-mysql", MYSQL_FLEX_TYPE, Some(VaultStore)),
                policy(&vault, "policy-cosmos", COSMOS_TYPE, Some(VaultStore)),
                policy(
                    &secure,
                    "policy-esan",
                    ESAN_VOLUME_GROUP_TYPE,
                    Some(OperationalStore),
                ),
                Policy {
                    backup_rule: Some(azurerm_rule("PT4H", "P7D", ("Daily", "P30D", "FirstOfDay"))),
                    ..policy(
                        &secure,
                        "policy-disk-secure",
                        DISK_TYPE,
                        Some(OperationalStore),
                    )
                },
            ],
            datasources,
            key_vaults: vec![KeyVault {
                id: kv.clone(),
                secrets: vec!["pg-conn".into()],
            }],
            grants: vec![
                grant(v, &data, ROLE_DISK_BACKUP_READER),
                grant(v, &snapshots, ROLE_DISK_SNAPSHOT_CONTRIBUTOR),
                grant(v, &data, ROLE_READER),
                grant(v, &kv, ROLE_KV_SECRETS_USER),
                grant(v, &data, ROLE_PG_FLEX_LTR),
                grant(v, &storage("stbackupdemo"), ROLE_STORAGE_BACKUP_CONTRIBUTOR),
                grant(v, &storage("stlakedemo"), ROLE_STORAGE_BACKUP_CONTRIBUTOR),
                grant(v, &snapshots, ROLE_READER),
                grant(CLUSTER_PRINCIPAL, &snapshots, ROLE_CONTRIBUTOR),
                grant(v, &mysql, ROLE_MYSQL_BACKUP_EXPORT),
                grant(v, &cosmos, ROLE_COSMOS_OPERATOR),
                grant(s, &vg, ROLE_ESAN_SNAPSHOT_EXPORTER),
                grant(s, &snapshots, ROLE_DISK_SNAPSHOT_CONTRIBUTOR),
                grant(s, &data, ROLE_DISK_BACKUP_READER),
                // What restores need (see docs/emulator.md, "Restores").
                grant(v, &data, ROLE_DISK_RESTORE_OPERATOR),
                grant(v, &storage("strestore"), ROLE_STORAGE_BACKUP_CONTRIBUTOR),
                grant(v, &storage("strestore"), ROLE_STORAGE_BLOB_DATA_CONTRIBUTOR),
                grant(v, &data, ROLE_DOCUMENTDB_ACCOUNT_CONTRIBUTOR),
                grant(s, &data, ROLE_DISK_RESTORE_OPERATOR),
                grant(s, &esan_id, ROLE_ESAN_VOLUME_IMPORTER),
            ],
            index: DatasourceIndex::default(),
        }
    }
}
