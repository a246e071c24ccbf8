//! The codec's unit tests: wire fixtures for every type, in each encoding.

use super::*;

fn obj(attrs: &[(&str, Type)]) -> Type {
    Type::object(attrs.iter().cloned())
}

fn roundtrip(v: &Value, ty: &Type, bytes: &[u8]) {
    assert_eq!(v.encode_msgpack(ty).unwrap(), bytes, "encode {v:?}");
    assert_eq!(
        &Value::decode_msgpack(bytes, ty).unwrap(),
        v,
        "decode {bytes:02x?}"
    );
}

#[test]
fn type_json_round_trips() {
    let ty = obj(&[
        ("a", Type::String),
        ("b", Type::list(Type::Number)),
        ("c", Type::map(Type::Bool)),
        ("d", Type::Tuple(vec![Type::String, Type::Dynamic])),
        ("e", Type::set(obj(&[("x", Type::String)]))),
    ]);
    let j = ty.to_json();
    assert_eq!(
        String::from_utf8(j.clone()).unwrap(),
        r#"["object",{"a":"string","b":["list","number"],"c":["map","bool"],"d":["tuple",["string","dynamic"]],"e":["set",["object",{"x":"string"}]]}]"#
    );
    assert_eq!(Type::from_json(&j).unwrap(), ty);
    assert_eq!(Type::from_json(br#""string""#).unwrap(), Type::String);
    // Optional-attribute annotations are accepted.
    assert_eq!(
        Type::from_json(br#"["object",{"a":"string"},["a"]]"#).unwrap(),
        obj(&[("a", Type::String)])
    );
    assert!(Type::from_json(br#""float""#).is_err());
    assert!(Type::from_json(br#"["list"]"#).is_err());
}

#[test]
fn null_and_unknown_are_distinct() {
    roundtrip(&Value::Null, &Type::String, &[0xc0]);
    roundtrip(&Value::Unknown, &Type::String, &[0xd4, 0x00, 0x00]);
    assert_ne!(
        Value::decode_msgpack(&[0xc0], &Type::Bool).unwrap(),
        Value::decode_msgpack(&[0xd4, 0, 0], &Type::Bool).unwrap()
    );
}

#[test]
fn refined_unknown_ext12_is_unknown() {
    // Terraform ≥1.6: ext type 12 with a map payload {1: false} (refinement: not null).
    let bytes = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
    assert_eq!(
        Value::decode_msgpack(&bytes, &Type::String).unwrap(),
        Value::Unknown
    );
    // Inside an object, decoding continues correctly after the extension payload.
    let ty = obj(&[("a", Type::String), ("b", Type::String)]);
    let bytes = [
        0x82, 0xa1, b'a', 0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2, 0xa1, b'b', 0xa1, b'x',
    ];
    assert_eq!(
        Value::decode_msgpack(&bytes, &ty).unwrap(),
        Value::object([("a", Value::Unknown), ("b", Value::string("x"))])
    );
    // fixext4 of another type is still unknown.
    assert_eq!(
        Value::decode_msgpack(&[0xd6, 0x05, 1, 2, 3, 4], &Type::Number).unwrap(),
        Value::Unknown
    );
}

#[test]
fn primitives() {
    roundtrip(&Value::Bool(true), &Type::Bool, &[0xc3]);
    roundtrip(&Value::Bool(false), &Type::Bool, &[0xc2]);
    roundtrip(&Value::string("hi"), &Type::String, &[0xa2, b'h', b'i']);
    roundtrip(&Value::int(5), &Type::Number, &[0x05]);
    roundtrip(&Value::int(-1), &Type::Number, &[0xff]);
    roundtrip(&Value::int(300), &Type::Number, &[0xcd, 0x01, 0x2c]);
    roundtrip(
        &Value::int(i64::MIN),
        &Type::Number,
        &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
    );
    assert!(Value::decode_msgpack(&[0xa1, b'x'], &Type::Bool).is_err());
    assert!(Value::string("x").encode_msgpack(&Type::Bool).is_err());
}

#[test]
fn numbers_float_and_big() {
    roundtrip(
        &Value::Number(Number::Float(1.5)),
        &Type::Number,
        &[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
    );
    // An integral float is written as an int, as cty does.
    assert_eq!(
        Value::Number(Number::Float(2.0))
            .encode_msgpack(&Type::Number)
            .unwrap(),
        [0x02]
    );
    // f32 is read too.
    assert_eq!(
        Value::decode_msgpack(&[0xca, 0x3f, 0xc0, 0, 0], &Type::Number).unwrap(),
        Value::Number(Number::Float(1.5))
    );
    // u64 beyond i64 becomes exact decimal text.
    assert_eq!(
        Value::decode_msgpack(
            &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &Type::Number
        )
        .unwrap(),
        Value::Number(Number::Decimal("18446744073709551615".into()))
    );
    // Big numbers as decimal strings keep every digit, both ways.
    let big = "123456789012345678901234567890";
    let mut bytes = vec![0xbe];
    bytes.extend_from_slice(big.as_bytes());
    roundtrip(
        &Value::Number(Number::Decimal(big.into())),
        &Type::Number,
        &bytes,
    );
    // A fraction f64 cannot hold exactly keeps its text, and is written back as that text.
    roundtrip(
        &Value::Number(Number::Decimal("0.1".into())),
        &Type::Number,
        &[0xa3, b'0', b'.', b'1'],
    );
    assert_eq!(
        Value::Number(Number::Decimal("1000.0".into())).as_i64(),
        Some(1000)
    );
    // A decimal string that fits i64 is normalised to Int.
    assert_eq!(
        Value::decode_msgpack(&[0xa2, b'4', b'2'], &Type::Number).unwrap(),
        Value::int(42)
    );
    assert!(Value::decode_msgpack(&[0xa2, b'x', b'y'], &Type::Number).is_err());
}

#[test]
fn objects_fill_missing_attributes_with_null_and_reject_unknown_ones() {
    let ty = obj(&[("a", Type::String), ("b", Type::Number)]);
    let v = Value::object([("a", Value::string("x")), ("b", Value::Null)]);
    roundtrip(&v, &ty, &[0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0]);
    assert_eq!(
        Value::decode_msgpack(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty).unwrap(),
        v
    );
    assert!(matches!(
        Value::decode_msgpack(&[0x81, 0xa1, b'z', 0xc0], &ty),
        Err(CodecError::UnknownAttribute { .. })
    ));
    assert!(
        Value::object([("z", Value::Null)])
            .encode_msgpack(&ty)
            .is_err()
    );
}

#[test]
fn nested_blocks_list_set_map() {
    let inner = obj(&[("n", Type::String)]);
    let ty = obj(&[
        ("l", Type::list(inner.clone())),
        ("m", Type::map(inner.clone())),
        ("s", Type::set(inner.clone())),
    ]);
    let e = |s: &str| Value::object([("n", Value::string(s))]);
    let v = Value::object([
        ("l", Value::List(vec![e("a")])),
        ("m", Value::Map(BTreeMap::from([("k".to_string(), e("b"))]))),
        ("s", Value::Set(vec![e("c"), e("d")])),
    ]);
    #[rustfmt::skip]
    let bytes = [
        0x83,
        0xa1, b'l', 0x91, 0x81, 0xa1, b'n', 0xa1, b'a',
        0xa1, b'm', 0x81, 0xa1, b'k', 0x81, 0xa1, b'n', 0xa1, b'b',
        0xa1, b's', 0x92, 0x81, 0xa1, b'n', 0xa1, b'c', 0x81, 0xa1, b'n', 0xa1, b'd',
    ];
    roundtrip(&v, &ty, &bytes);
}

#[test]
fn dynamic_uses_type_json_pair() {
    let v = Value::string("x");
    // [bin8 "\"string\"", "x"]
    let mut bytes = vec![0x92, 0xc4, 0x08];
    bytes.extend_from_slice(br#""string""#);
    bytes.extend_from_slice(&[0xa1, b'x']);
    roundtrip(&v, &Type::Dynamic, &bytes);
    // The type may also arrive as a str.
    let mut s = vec![0x92, 0xa8];
    s.extend_from_slice(br#""string""#);
    s.extend_from_slice(&[0xa1, b'x']);
    assert_eq!(Value::decode_msgpack(&s, &Type::Dynamic).unwrap(), v);
    // A list inside dynamic.
    let l = Value::List(vec![Value::int(1)]);
    let enc = l.encode_msgpack(&Type::Dynamic).unwrap();
    assert_eq!(Value::decode_msgpack(&enc, &Type::Dynamic).unwrap(), l);
    // Null and unknown dynamic are plain.
    roundtrip(&Value::Null, &Type::Dynamic, &[0xc0]);
    roundtrip(&Value::Unknown, &Type::Dynamic, &[0xd4, 0, 0]);
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let ty = obj(&[("a", Type::list(Type::String))]);
    for bytes in [
        &[][..],
        &[0x81],
        &[0x81, 0xa1],
        &[0x81, 0xa1, b'a', 0xdd, 0xff, 0xff, 0xff, 0xff],
        &[0xc7, 0xff],
        &[0xa5, b'a'],
        &[0xc0, 0xc0],
    ] {
        assert!(Value::decode_msgpack(bytes, &ty).is_err(), "{bytes:02x?}");
    }
    assert!(Value::decode_msgpack(&[0xa2, 0xff, 0xfe], &Type::String).is_err());
}

#[test]
fn json_state_decodes_against_current_type() {
    let ty = obj(&[
        ("id", Type::String),
        ("n", Type::Number),
        ("tags", Type::map(Type::String)),
        ("gone", Type::Bool),
        ("blocks", Type::list(obj(&[("x", Type::String)]))),
        ("dyn", Type::Dynamic),
    ]);
    let json = br#"{"id":"a","n":"12345678901234567890123","tags":{"k":"v"},"removed":1,
        "blocks":[{"x":"y"}],"dyn":{"value":["p"],"type":["list","string"]}}"#;
    let v = Value::decode_json(json, &ty).unwrap();
    assert_eq!(v.get("id").as_str(), Some("a"));
    assert_eq!(
        v.get("n"),
        &Value::Number(Number::Decimal("12345678901234567890123".into()))
    );
    assert_eq!(v.get("tags").get("k").as_str(), Some("v"));
    assert!(v.get("gone").is_null());
    assert!(v.get("removed").is_null());
    assert_eq!(
        v.get("blocks").as_list().unwrap()[0].get("x").as_str(),
        Some("y")
    );
    assert_eq!(v.get("dyn"), &Value::List(vec![Value::string("p")]));
    assert!(Value::decode_json(br#"{"id": 1"#, &ty).is_err());
    // JSON floats and exponent forms normalise like msgpack numbers.
    let n = |j: &str| Value::decode_json(format!("{{\"n\":{j}}}").as_bytes(), &ty).unwrap();
    assert_eq!(n("1e3").get("n"), &Value::int(1000));
    assert_eq!(
        n("2.5").get("n"),
        &Value::Number(Number::Decimal("2.5".into()))
    );
    assert_eq!(n("0.1").get("n").as_f64(), Some(0.1));
    assert!(Value::decode_json(br#"{"n": "abc"}"#, &ty).is_err());
}

#[test]
fn flatmap_state_decodes() {
    let ty = obj(&[
        ("id", Type::String),
        ("count", Type::Number),
        ("on", Type::Bool),
        ("tags", Type::map(Type::String)),
        ("list", Type::list(obj(&[("name", Type::String)]))),
        ("set", Type::set(Type::String)),
        ("missing", Type::list(Type::String)),
    ]);
    let flat: BTreeMap<String, String> = [
        ("id", "x"),
        ("count", "3"),
        ("on", "true"),
        ("tags.%", "2"),
        ("tags.a.b", "1"),
        ("tags.c", "2"),
        ("list.#", "2"),
        ("list.0.name", "first"),
        ("list.1.name", "second"),
        ("set.#", "1"),
        ("set.12345", "s"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let v = Value::decode_flatmap(&flat, &ty).unwrap();
    assert_eq!(v.get("id").as_str(), Some("x"));
    assert_eq!(v.get("count").as_i64(), Some(3));
    assert_eq!(v.get("on").as_bool(), Some(true));
    assert_eq!(v.get("tags").get("a.b").as_str(), Some("1"));
    assert_eq!(v.get("tags").as_map().unwrap().len(), 2);
    let list = v.get("list").as_list().unwrap();
    assert_eq!(list[1].get("name").as_str(), Some("second"));
    assert_eq!(v.get("set"), &Value::Set(vec![Value::string("s")]));
    assert!(v.get("missing").is_null());
}

#[test]
fn accessors() {
    let mut v = Value::object([("a", Value::string("x")), ("b", Value::Unknown)]);
    assert!(v.is_known());
    assert!(!v.is_wholly_known());
    assert!(v.get("nope").is_null());
    assert!(Value::Null.get("a").is_null());
    v.set("b", Value::int(7));
    assert!(v.is_wholly_known());
    assert_eq!(v.get("b").as_i64(), Some(7));
    assert_eq!(v.get("b").as_f64(), Some(7.0));
    if let Some(a) = v.get_mut("a") {
        *a = Value::Bool(true);
    }
    assert_eq!(v.get("a").as_bool(), Some(true));
    let mut n = Value::Null;
    n.set("k", Value::Null);
    assert!(n.as_map().unwrap().contains_key("k"));
    let m = Value::str_map([("k", "v")]);
    assert_eq!(m.get("k").as_str(), Some("v"));
    assert_eq!(
        Value::Set(vec![Value::Null]).as_list().map(<[Value]>::len),
        Some(1)
    );
}
