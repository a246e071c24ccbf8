//! Property tests (bounded cases) for what parses untrusted bytes (issue 10): the msgpack and
//! JSON value decoders and the type decoder never panic, and what they accept round-trips; the
//! `Retry-After` parsing never panics; a long-running operation whose `Azure-AsyncOperation` or
//! `Location` header points anywhere but the Resource Manager origin is an error, never a
//! request. (ARM IDs and names: `tests/azure_arm_id_props.rs`.)

mod azure_support;

use std::time::{Duration, SystemTime};

use azure_support::{Harness, SUB, Step};
use proptest::prelude::*;
use terraform_provider_azurebackup::azure::http::retry::retry_after_at;
use terraform_provider_azurebackup::azure::models::BackupInstanceResource;
use terraform_provider_azurebackup::azure::poller::classify;
use terraform_provider_azurebackup::tfplugin::{Type, Value};

fn types() -> Vec<Type> {
    vec![
        Type::String,
        Type::Number,
        Type::Bool,
        Type::Dynamic,
        Type::list(Type::String),
        Type::set(Type::Number),
        Type::map(Type::String),
        Type::Tuple(vec![Type::Bool, Type::String]),
        Type::object([
            ("name", Type::String),
            ("tags", Type::map(Type::String)),
            (
                "timeouts",
                Type::object([("create", Type::String), ("read", Type::String)]),
            ),
        ]),
    ]
}

/// Byte strings that look like msgpack: the markers of each kind plus random payload.
fn msgpack_like() -> impl Strategy<Value = Vec<u8>> {
    let marker = prop_oneof![
        Just(vec![0xc0u8]),
        Just(vec![0xc2]),
        Just(vec![0xc3]),
        Just(vec![0xd4, 0x00, 0x00]),
        (0x80u8..0x90).prop_map(|b| vec![b]),
        (0x90u8..0xa0).prop_map(|b| vec![b]),
        (0xa0u8..0xc0).prop_map(|b| vec![b]),
        Just(vec![0xdc, 0xff, 0xff]),
        Just(vec![0xdd, 0xff, 0xff, 0xff, 0xff]),
        Just(vec![0xdb, 0xff, 0xff, 0xff, 0xff]),
        Just(vec![0xcb]),
        Just(vec![0xd3]),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(marker, 0..12).prop_map(|v| v.concat())
}

fn json_like() -> impl Strategy<Value = String> {
    let frag = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("\"name\"".to_string()),
        Just("\"tags\"".to_string()),
        Just("\"timeouts\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("1e400".to_string()),
        Just("-0.5".to_string()),
        Just("123456789012345678901234567890".to_string()),
        "\"[ -~]{0,8}\"",
    ];
    prop::collection::vec(frag, 0..16).prop_map(|v| v.concat())
}

fn check_msgpack(bytes: &[u8]) {
    for ty in types() {
        if let Ok(v) = Value::decode_msgpack(bytes, &ty)
            && let Ok(again) = v.encode_msgpack(&ty)
        {
            // The encoding may pick another representation of the same number (an integral
            // float as an int), so the property is that re-encoding is then a fixed point.
            let back = Value::decode_msgpack(&again, &ty).expect("re-encoded value decodes");
            let third = back.encode_msgpack(&ty).expect("decoded value encodes");
            assert_eq!(third, again, "{ty:?}");
        }
    }
}

fn check_json(bytes: &[u8]) {
    for ty in types() {
        let _ = Value::decode_json(bytes, &ty);
    }
    let _ = Type::from_json(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn msgpack_decoder_never_panics_on_bytes(b in prop::collection::vec(any::<u8>(), 0..64)) {
        check_msgpack(&b);
    }

    #[test]
    fn msgpack_decoder_never_panics_on_msgpack_like_bytes(b in msgpack_like()) {
        check_msgpack(&b);
    }

    #[test]
    fn json_decoders_never_panic(b in prop::collection::vec(any::<u8>(), 0..64), s in json_like()) {
        check_json(&b);
        check_json(s.as_bytes());
    }

    #[test]
    fn retry_after_never_panics_and_reads_seconds(v in "[ -~]{0,40}", secs in any::<u64>(), date in "[ -~]{0,40}") {
        let mut h = reqwest::header::HeaderMap::new();
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&v) {
            h.insert("retry-after", value);
        }
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&date) {
            h.insert("date", value);
        }
        let _ = retry_after_at(&h, SystemTime::now());
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", secs.to_string().parse().unwrap());
        prop_assert_eq!(retry_after_at(&h, SystemTime::now()), Some(Duration::from_secs(secs)));
        h.insert("retry-after-ms", secs.to_string().parse().unwrap());
        prop_assert_eq!(retry_after_at(&h, SystemTime::now()), Some(Duration::from_millis(secs)));
    }

    #[test]
    fn status_classification_never_panics(s in any::<String>()) {
        let _ = classify(&s);
    }
}

/// Poll headers from an untrusted answer: printable ASCII, other hosts, other schemes.
fn poll_header() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,60}",
        "http://[a-z]{1,10}\\.example/[a-z/]{0,20}",
        "https://[a-z]{1,10}\\.example:[0-9]{2,4}/operationStatus/[a-z0-9]{1,10}",
        "https://127\\.0\\.0\\.[2-9]:[0-9]{2,4}/x",
        "ftp://127\\.0\\.0\\.1/x",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A PUT answered 201 with a poll header for another origin: an error, and no request
    /// follows the PUT (so no token leaves for that URL).
    #[test]
    fn poll_headers_off_origin_are_errors_without_requests(value in poll_header(), location in any::<bool>()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let h = Harness::new("2025-07-01").await;
            // A blank header is no header (the resource itself is polled then).
            prop_assume!(!value.trim().is_empty() && !value.trim().starts_with(&h.server.base));
            let vault = format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/vault-v");
            let id = format!("{vault}/backupInstances/bi-1").parse().unwrap();
            let header = if location { "location" } else { "azure-asyncoperation" };
            h.server.push(
                Step::new("PUT", format!("{id}?api-version=2025-07-01"), 201)
                    .header(header, value.clone())
                    .header("retry-after", "0"),
            );
            let body: BackupInstanceResource = serde_json::from_value(serde_json::json!({
                "properties": {
                    "dataSourceInfo": {"resourceID": format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"), "objectType": "Datasource"},
                    "policyInfo": {"policyId": format!("{vault}/backupPolicies/p")},
                    "objectType": "BackupInstance"
                }
            })).unwrap();
            let r = h.client.put_backup_instance(&id, &body, &h.op(Duration::from_secs(30))).await;
            prop_assert!(r.is_err(), "{value:?} was followed");
            prop_assert_eq!(h.server.seen().len(), 1, "{:?}", h.server.sequence());
            Ok(())
        })?;
    }
}
