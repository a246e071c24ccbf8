//! Unit tests of the typed ARM IDs: parsing, canonical output, errors, datasource kinds.

use super::*;

const VAULT: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/vault-demo";

#[test]
fn vault_round_trips_and_canonicalises_segment_names() {
    let lower = VAULT
        .to_ascii_lowercase()
        .replace("vault-demo", "Vault-Demo");
    let id: BackupVaultId = lower.parse().unwrap();
    assert_eq!(id.name, "Vault-Demo");
    assert_eq!(id.resource_group, "rg-backup");
    assert_eq!(id.to_string(), VAULT.replace("vault-demo", "Vault-Demo"));
}

#[test]
fn trailing_slash_is_tolerated_once() {
    let id: BackupVaultId = format!("{VAULT}/").parse().unwrap();
    assert_eq!(id.to_string(), VAULT);
    assert!(format!("{VAULT}//").parse::<BackupVaultId>().is_err());
}

#[test]
fn instance_and_policy_ids_nest_the_vault() {
    let id: BackupInstanceId = format!("{VAULT}/backupinstances/bi-1").parse().unwrap();
    assert_eq!(id.vault.name, "vault-demo");
    assert_eq!(id.name, "bi-1");
    assert_eq!(id.to_string(), format!("{VAULT}/backupInstances/bi-1"));
    let p: BackupPolicyId = format!("{VAULT}/backupPolicies/policy-disk")
        .parse()
        .unwrap();
    assert_eq!(p.vault, id.vault);
    // A policy ID is not an instance ID.
    let e = format!("{VAULT}/backupPolicies/policy-disk")
        .parse::<BackupInstanceId>()
        .unwrap_err();
    assert!(
        e.to_string().contains("\"backupInstances\" was expected"),
        "{e}"
    );
    assert!(e.to_string().contains("{backupInstanceName}"), "{e}");
}

#[test]
fn errors_name_the_problem_and_the_shape() {
    let e = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg"
        .parse::<BackupVaultId>()
        .unwrap_err();
    let text = e.to_string();
    assert!(text.contains("backup vault ID"), "{text}");
    assert!(text.contains("has 4 path segments but 8"), "{text}");
    assert!(
        text.contains("/providers/Microsoft.DataProtection/backupVaults/{vaultName}"),
        "{text}"
    );
    let e = "subscriptions/s".parse::<SubscriptionId>().unwrap_err();
    assert!(e.problem().contains("start with"));
    let e = "/subscriptions//resourceGroups/rg"
        .parse::<ResourceGroupId>()
        .unwrap_err();
    assert!(e.problem().contains("{subscriptionId} is empty"), "{e}");
    let e = "/subscriptions/a b/resourceGroups/rg"
        .parse::<ResourceGroupId>()
        .unwrap_err();
    assert!(e.problem().contains("' '"), "{e}");
}

/// Issue 10, problem 1: `.`/`..` anywhere, and each segment's own rule.
#[test]
fn dot_segments_and_each_segments_rule_are_refused() {
    const SUB: &str = "11111111-1111-1111-1111-111111111111";
    for bad in [
        format!("{VAULT}/backupInstances/.."),
        format!("{VAULT}/backupInstances/."),
        format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/../backupInstances/bi"
        ),
        format!(
            "/subscriptions/{SUB}/resourceGroups/../providers/Microsoft.DataProtection/backupVaults/v1/backupInstances/bi"
        ),
        "/subscriptions/./resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/v1/backupInstances/bi".to_string(),
        format!("{VAULT}/backupInstances/ bi"),
        format!("{VAULT}/backupInstances/bü"),
        format!("{VAULT}/backupInstances/{}", "a".repeat(10 * 1024)),
    ] {
        let e = bad.parse::<BackupInstanceId>().unwrap_err();
        assert!(!e.to_string().is_empty());
    }
    let vault = |sub: &str, rg: &str, name: &str| {
        format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupVaults/{name}")
            .parse::<BackupVaultId>()
    };
    // Subscription: a GUID.
    let e = vault("s", "rg", "v1").unwrap_err();
    assert!(e.problem().contains("not a GUID"), "{e}");
    // Resource group: 1-90 of letters/digits/_()-., not ending in '.'; Unicode letters pass.
    assert!(vault(SUB, "rg_(1)-a.b", "v1").is_ok());
    assert!(vault(SUB, "rg-äö", "v1").is_ok());
    assert!(vault(SUB, "rg.", "v1").is_err());
    assert!(vault(SUB, "rg+1", "v1").is_err());
    assert!(vault(SUB, &"r".repeat(90), "v1").is_ok());
    assert!(vault(SUB, &"r".repeat(91), "v1").is_err());
    // Vault: 2-50 ASCII letters/digits/-, starting with a letter.
    assert!(vault(SUB, "rg", "v").is_err());
    assert!(vault(SUB, "rg", "1vault").is_err());
    assert!(vault(SUB, "rg", "vault_1").is_err());
    assert!(vault(SUB, "rg", &format!("v{}", "1".repeat(49))).is_ok());
    assert!(vault(SUB, "rg", &format!("v{}", "1".repeat(50))).is_err());
    assert!(
        NameRule::AsciiName
            .check("n", &"a".repeat(MAX_NAME_LEN))
            .is_ok()
    );
    assert!(
        NameRule::AsciiName
            .check("n", &"a".repeat(MAX_NAME_LEN + 1))
            .is_err()
    );
}

#[test]
fn datasource_ids_pick_their_kind() {
    let disk: DatasourceId =
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/rg-data/providers/microsoft.compute/disks/disk-1"
            .parse()
            .unwrap();
    assert_eq!(disk.kind(), DatasourceKind::Disk);
    assert_eq!(disk.datasource_type(), "Microsoft.Compute/disks");
    assert_eq!(disk.name(), "disk-1");
    assert_eq!(
        disk.to_string(),
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1"
    );
    let db: DatasourceId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/servers/pg-single/databases/appdb"
        .parse()
        .unwrap();
    assert_eq!(db.kind(), DatasourceKind::PostgresDatabase);
    assert_eq!(db.name(), "appdb");
    let DatasourceId::PostgresDatabase(inner) = &db else {
        panic!("wrong kind")
    };
    assert_eq!(inner.server.name, "pg-single");
    let flex: DatasourceId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex-1"
        .parse()
        .unwrap();
    assert_eq!(
        flex.datasource_type(),
        "Microsoft.DBforPostgreSQL/flexibleServers"
    );
    let e = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Sql/servers/x"
        .parse::<DatasourceId>()
        .unwrap_err();
    assert!(
        e.to_string().contains("Microsoft.Compute/disks/{diskName}"),
        "{e}"
    );
    // One ID, two kinds: blob unless Data Lake is asked for.
    let account = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1";
    assert_eq!(
        account.parse::<DatasourceId>().unwrap().kind(),
        DatasourceKind::Blob
    );
    let lake = DatasourceId::with_type(
        account,
        Some("Microsoft.Storage/storageAccounts/adlsBlobServices"),
    )
    .unwrap();
    assert_eq!(lake.kind(), DatasourceKind::DataLake);
    assert_eq!(lake.to_string(), account);
    let vg: DatasourceId = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ElasticSan/elasticSans/esan/volumeGroups/vg"
        .parse()
        .unwrap();
    let DatasourceId::ElasticSan(inner) = &vg else {
        panic!("wrong kind")
    };
    assert_eq!(
        (
            inner.elastic_san.name.as_str(),
            vg.name(),
            vg.resource_group()
        ),
        ("esan", "vg", "rg")
    );
}

#[test]
fn key_vault_secret_uris() {
    let u: KeyVaultSecretUri = "https://kv-demo.vault.azure.net/secrets/pg-conn"
        .parse()
        .unwrap();
    assert_eq!(u.vault_name, "kv-demo");
    assert_eq!(u.host, "kv-demo.vault.azure.net");
    assert_eq!(u.secret, "pg-conn");
    assert_eq!(u.version, None);
    assert_eq!(
        u.to_string(),
        "https://kv-demo.vault.azure.net/secrets/pg-conn"
    );
    let v: KeyVaultSecretUri = "https://kv.vault.azure.cn/secrets/s/0123abcd/"
        .parse()
        .unwrap();
    assert_eq!(v.version.as_deref(), Some("0123abcd"));
    assert_eq!(
        v.to_string(),
        "https://kv.vault.azure.cn/secrets/s/0123abcd"
    );
    for bad in [
        "http://kv.vault.azure.net/secrets/s",
        "https://kv.example.com/secrets/s",
        "https://kv.vault.azure.net/keys/s",
        "https://kv.vault.azure.net/secrets/",
        "https://kv.vault.azure.net/secrets/a/b/c",
        "https://kv.vault.azure.net",
        "",
    ] {
        let e = bad.parse::<KeyVaultSecretUri>().unwrap_err();
        assert!(e.to_string().contains(KV_SHAPE), "{bad}: {e}");
    }
}
