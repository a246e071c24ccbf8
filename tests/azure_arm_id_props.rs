//! Property tests for ARM IDs and Key Vault secret URIs: the parsers never panic on any input,
//! `parse(format(id)) == id` for generated IDs, whatever the casing of segment names and
//! with or without a trailing slash, and no accepted ID has a `.` or `..` segment.

use proptest::prelude::*;
use terraform_provider_azurebackup::azure::arm_id::{
    BackupInstanceId, BackupPolicyId, BackupVaultId, DatasourceId, KeyVaultSecretUri,
    ManagedDiskId, PostgresDatabaseId, PostgresFlexibleServerId, PostgresServerId, ResourceGroupId,
    SubscriptionId,
};

/// Names as ARM allows them (letters incl. non-ASCII, digits, `._()-`), never empty.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9äöüÅ][A-Za-z0-9._()äöü-]{0,24}"
}

/// Subscription IDs are GUIDs, in either casing.
fn guid() -> impl Strategy<Value = String> {
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
}

/// Resource group names: like [`name`], but never ending in `.`.
fn rg_name() -> impl Strategy<Value = String> {
    name().prop_map(|n| n.trim_end_matches('.').to_string())
}

/// Backup vault names: 2-50 ASCII letters, digits and `-`, starting with a letter.
fn vault_name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9-]{1,49}"
}

/// Backup instance and policy names: printable ASCII without the reserved characters.
fn instance_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-][A-Za-z0-9._()-]{0,40}"
}

fn vault() -> impl Strategy<Value = BackupVaultId> {
    (guid(), rg_name(), vault_name()).prop_map(|(subscription, resource_group, name)| {
        BackupVaultId {
            subscription,
            resource_group,
            name,
        }
    })
}

fn datasource() -> impl Strategy<Value = DatasourceId> {
    prop_oneof![
        (guid(), rg_name(), name()).prop_map(|(subscription, resource_group, name)| {
            DatasourceId::Disk(ManagedDiskId {
                subscription,
                resource_group,
                name,
            })
        }),
        (guid(), rg_name(), name(), name()).prop_map(
            |(subscription, resource_group, server, name)| DatasourceId::PostgresDatabase(
                PostgresDatabaseId {
                    server: PostgresServerId {
                        subscription,
                        resource_group,
                        name: server
                    },
                    name
                }
            )
        ),
        (guid(), rg_name(), name()).prop_map(|(subscription, resource_group, name)| {
            DatasourceId::PostgresFlexibleServer(PostgresFlexibleServerId {
                subscription,
                resource_group,
                name,
            })
        }),
    ]
}

/// Re-cases every segment name (not the values) of a formatted ID by a bit mask.
fn recase(formatted: &str, names_at: &[usize], mask: u64) -> String {
    formatted
        .split('/')
        .enumerate()
        .map(|(i, seg)| {
            if names_at.contains(&i) {
                seg.chars()
                    .enumerate()
                    .map(|(j, c)| {
                        if mask >> (j % 64) & 1 == 1 {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    })
                    .collect()
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every parser on one input; none may panic, and anything accepted must round-trip.
fn parse_all(s: &str) {
    macro_rules! check {
        ($t:ty) => {
            if let Ok(id) = s.parse::<$t>() {
                let again: $t = id.to_string().parse().expect("a formatted ID parses");
                assert_eq!(again, id);
                assert!(
                    !id.to_string()
                        .split('/')
                        .any(|seg| seg == "." || seg == ".."),
                    "accepted a dot segment: {s:?}"
                );
            }
        };
    }
    check!(SubscriptionId);
    check!(ResourceGroupId);
    check!(BackupVaultId);
    check!(BackupPolicyId);
    check!(BackupInstanceId);
    check!(ManagedDiskId);
    check!(PostgresServerId);
    check!(PostgresDatabaseId);
    check!(PostgresFlexibleServerId);
    check!(DatasourceId);
    check!(KeyVaultSecretUri);
}

/// Fragments that steer random strings into the parsers' deeper branches.
fn id_like() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        Just("/subscriptions".to_string()),
        Just("/resourceGroups".to_string()),
        Just("/providers".to_string()),
        Just("/Microsoft.DataProtection".to_string()),
        Just("/backupVaults".to_string()),
        Just("/backupInstances".to_string()),
        Just("/Microsoft.DBforPostgreSQL/servers".to_string()),
        Just("/databases".to_string()),
        Just("/flexibleServers".to_string()),
        Just("/Microsoft.Compute/disks".to_string()),
        Just("https://kv.vault.azure.net".to_string()),
        Just("/secrets".to_string()),
        Just("/".to_string()),
        Just("//".to_string()),
        Just("?".to_string()),
        Just("%".to_string()),
        Just(" ".to_string()),
        Just("/.".to_string()),
        Just("/..".to_string()),
        "[^/]{0,6}".prop_map(|s| format!("/{s}")),
        any::<String>(),
    ];
    prop::collection::vec(frag, 0..14).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_arbitrary_strings(s in any::<String>()) {
        parse_all(&s);
    }

    #[test]
    fn parsers_never_panic_on_id_like_strings(s in id_like()) {
        parse_all(&s);
    }

    #[test]
    fn instance_ids_round_trip(v in vault(), n in instance_name(), mask in any::<u64>(), slash in any::<bool>()) {
        let id = BackupInstanceId { vault: v, name: n };
        let formatted = id.to_string();
        prop_assert_eq!(formatted.parse::<BackupInstanceId>().unwrap(), id.clone());
        // Segment names at positions 1,3,5,6,7,9 of "/subscriptions/s/resourceGroups/rg/providers/NS/backupVaults/v/backupInstances/n".
        let mut messy = recase(&formatted, &[1, 3, 5, 6, 7, 9], mask);
        if slash { messy.push('/'); }
        let parsed: BackupInstanceId = messy.parse().unwrap();
        prop_assert_eq!(&parsed, &id);
        prop_assert_eq!(parsed.to_string(), formatted);
    }

    #[test]
    fn policy_and_vault_ids_round_trip(v in vault(), n in instance_name()) {
        prop_assert_eq!(v.to_string().parse::<BackupVaultId>().unwrap(), v.clone());
        let p = BackupPolicyId { vault: v, name: n };
        prop_assert_eq!(p.to_string().parse::<BackupPolicyId>().unwrap(), p);
    }

    #[test]
    fn datasource_ids_round_trip(d in datasource()) {
        let parsed: DatasourceId = d.to_string().parse().unwrap();
        prop_assert_eq!(parsed.kind(), d.kind());
        prop_assert_eq!(parsed, d);
    }

    #[test]
    fn key_vault_uris_round_trip(
        vault in "[a-z][a-z0-9-]{2,23}",
        suffix in prop_oneof![Just("vault.azure.net"), Just("vault.usgovcloudapi.net"), Just("vault.azure.cn")],
        secret in "[A-Za-z0-9-]{1,40}",
        version in proptest::option::of("[0-9a-f]{32}"),
    ) {
        let uri = KeyVaultSecretUri { host: format!("{vault}.{suffix}"), vault_name: vault, secret, version };
        prop_assert_eq!(uri.to_string().parse::<KeyVaultSecretUri>().unwrap(), uri);
    }

    #[test]
    fn edits_of_valid_ids_never_panic(v in vault(), n in instance_name(), pos in any::<prop::sample::Index>(), ins in any::<char>(), del in any::<bool>()) {
        let s = BackupInstanceId { vault: v, name: n }.to_string();
        let chars: Vec<char> = s.chars().collect();
        let i = pos.index(chars.len());
        let mut edited: Vec<char> = chars.clone();
        if del { edited.remove(i); } else { edited.insert(i, ins); }
        parse_all(&edited.into_iter().collect::<String>());
    }

    /// `.` and `..` in any value segment of a valid ID: never accepted by any parser.
    #[test]
    fn dot_segments_are_never_accepted(v in vault(), n in instance_name(), at in 0usize..5, two in any::<bool>()) {
        let s = BackupInstanceId { vault: v, name: n }.to_string();
        let dot = if two { ".." } else { "." };
        // Value positions in "/subscriptions/{s}/resourceGroups/{rg}/providers/NS/backupVaults/{v}/backupInstances/{n}".
        let value_at = [2usize, 4, 8, 10, 10][at];
        let edited: Vec<String> = s
            .split('/')
            .enumerate()
            .map(|(i, seg)| if i == value_at { dot.to_string() } else { seg.to_string() })
            .collect();
        let edited = edited.join("/");
        prop_assert!(edited.parse::<BackupInstanceId>().is_err(), "{}", edited);
        parse_all(&edited);
    }
}
