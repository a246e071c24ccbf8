//! SDKv1's legacy flatmap state (`"tags.%" = "2"`, `"list.0.name" = ...`), which old state
//! files may still hold.

use std::collections::BTreeMap;

use super::{CodecError, Type, Value, parse_number_text};

/// The flatmap marker SDKv1 used for unknown values in legacy state.
const FLATMAP_UNKNOWN: &str = "74D93920-ED26-11E3-AC10-0800200C9A66";

impl Value {
    /// Decodes SDKv1's legacy flatmap state (`"tags.%" = "2"`, `"list.#" = "1"`,
    /// `"list.0.name" = ...`) against an object type.
    ///
    /// # Errors
    /// When `ty` is not an object or a value does not parse as its type.
    pub fn decode_flatmap(flat: &BTreeMap<String, String>, ty: &Type) -> Result<Value, CodecError> {
        if !matches!(ty, Type::Object(_)) {
            return Err(CodecError::Mismatch {
                path: String::new(),
                expected: ty.name(),
                found: "flatmap".into(),
            });
        }
        flat_value(flat, "", ty)
    }
}

fn flat_key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn flat_value(
    flat: &BTreeMap<String, String>,
    prefix: &str,
    ty: &Type,
) -> Result<Value, CodecError> {
    let primitive = |s: &str| -> Result<Value, CodecError> {
        if s == FLATMAP_UNKNOWN {
            return Ok(Value::Unknown);
        }
        match ty {
            Type::String => Ok(Value::String(s.to_owned())),
            Type::Number => Ok(Value::Number(parse_number_text(s, prefix)?)),
            Type::Bool => match s {
                "true" | "1" => Ok(Value::Bool(true)),
                "false" | "0" => Ok(Value::Bool(false)),
                _ => Err(CodecError::Invalid {
                    path: prefix.to_owned(),
                    message: format!("\"{s}\" is not a bool"),
                }),
            },
            _ => Err(CodecError::Mismatch {
                path: prefix.to_owned(),
                expected: ty.name(),
                found: "string".into(),
            }),
        }
    };
    // Direct children of `prefix.` (the next path segment), excluding count keys.
    let children = |count_key: &str| -> Vec<String> {
        let start = format!("{prefix}.");
        let mut seen: Vec<String> = Vec::new();
        for k in flat
            .range(start.clone()..)
            .map(|(k, _)| k)
            .take_while(|k| k.starts_with(&start))
        {
            let rest = &k[start.len()..];
            if rest == count_key {
                continue;
            }
            let seg = rest.split('.').next().unwrap_or(rest).to_owned();
            if seen.last() != Some(&seg) && !seen.contains(&seg) {
                seen.push(seg);
            }
        }
        seen
    };
    match ty {
        Type::Bool | Type::Number | Type::String => match flat.get(prefix) {
            Some(s) => primitive(s),
            None => Ok(Value::Null),
        },
        Type::Object(attrs) => {
            let mut out = BTreeMap::new();
            for (name, aty) in attrs {
                out.insert(
                    name.clone(),
                    flat_value(flat, &flat_key(prefix, name), aty)?,
                );
            }
            // A nested object with no keys at all was absent.
            if !prefix.is_empty() && out.values().all(Value::is_null) {
                return Ok(Value::Null);
            }
            Ok(Value::Object(out))
        }
        Type::List(_) | Type::Set(_) | Type::Tuple(_) => {
            let count = flat.get(&format!("{prefix}.#"));
            match count.map(String::as_str) {
                None => return Ok(Value::Null),
                Some(FLATMAP_UNKNOWN) => return Ok(Value::Unknown),
                Some(_) => {}
            }
            let mut keys = children("#");
            // List indexes sort numerically; set keys are hashes whose order carries no meaning.
            keys.sort_by_key(|k| k.parse::<u64>().unwrap_or(u64::MAX));
            let elem_ty = |i: usize| match ty {
                Type::List(e) | Type::Set(e) => (**e).clone(),
                Type::Tuple(elems) => elems.get(i).cloned().unwrap_or(Type::Dynamic),
                _ => Type::Dynamic,
            };
            let mut items = Vec::with_capacity(keys.len());
            for (i, k) in keys.iter().enumerate() {
                items.push(flat_value(flat, &flat_key(prefix, k), &elem_ty(i))?);
            }
            Ok(match ty {
                Type::List(_) => Value::List(items),
                Type::Set(_) => Value::Set(items),
                _ => Value::Tuple(items),
            })
        }
        Type::Map(e) => {
            match flat.get(&format!("{prefix}.%")).map(String::as_str) {
                None => return Ok(Value::Null),
                Some(FLATMAP_UNKNOWN) => return Ok(Value::Unknown),
                Some(_) => {}
            }
            let mut out = BTreeMap::new();
            if matches!(**e, Type::Bool | Type::Number | Type::String) {
                // Primitive map keys may contain dots: the whole remainder is the key.
                let start = format!("{prefix}.");
                for (k, v) in flat
                    .range(start.clone()..)
                    .take_while(|(k, _)| k.starts_with(&start))
                {
                    let key = &k[start.len()..];
                    if key == "%" {
                        continue;
                    }
                    let val = flat_value(&BTreeMap::from([(String::new(), v.clone())]), "", e)?;
                    out.insert(key.to_owned(), val);
                }
            } else {
                for k in children("%") {
                    out.insert(k.clone(), flat_value(flat, &flat_key(prefix, &k), e)?);
                }
            }
            Ok(Value::Map(out))
        }
        Type::Dynamic => Err(CodecError::Invalid {
            path: prefix.to_owned(),
            message: "legacy flatmap state cannot hold a dynamic value".into(),
        }),
    }
}
