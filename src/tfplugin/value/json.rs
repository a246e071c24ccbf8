//! cty JSON, the encoding of stored state (what `UpgradeResourceState` receives).

use std::collections::BTreeMap;

use super::{CodecError, Number, Type, Value, child, parse_number_text};

/// A JSON number from stored state: integers as `Int` when they fit, everything else as its
/// shortest decimal text (what Terraform itself wrote), for the reason given at
/// `parse_number_text`.
fn json_number(n: &serde_json::Number) -> Number {
    if let Some(i) = n.as_i64() {
        return Number::Int(i);
    }
    match n.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 2f64.powi(53) => Number::Int(f as i64),
        _ => Number::Decimal(n.to_string()),
    }
}

impl Value {
    /// Decodes cty JSON (as Terraform stores state) against `ty`. Attributes the current type
    /// no longer has are dropped, so state written by an older schema still loads; the
    /// resource's `upgrade` then sees it in the current shape.
    ///
    /// # Errors
    /// When the JSON is malformed or a value does not match `ty`.
    pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
        let json: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| CodecError::Json(e.to_string()))?;
        decode_js(&json, ty, "")
    }
}

fn decode_js(j: &serde_json::Value, ty: &Type, path: &str) -> Result<Value, CodecError> {
    use serde_json::Value as J;
    let mismatch = || CodecError::Mismatch {
        path: path.to_owned(),
        expected: ty.name(),
        found: match j {
            J::Null => "null",
            J::Bool(_) => "bool",
            J::Number(_) => "number",
            J::String(_) => "string",
            J::Array(_) => "array",
            J::Object(_) => "object",
        }
        .to_owned(),
    };
    if j.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::Bool => match j {
            J::Bool(b) => Ok(Value::Bool(*b)),
            J::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => Err(mismatch()),
        },
        Type::Number => match j {
            J::Number(n) => Ok(Value::Number(json_number(n))),
            J::String(s) => Ok(Value::Number(parse_number_text(s, path)?)),
            _ => Err(mismatch()),
        },
        Type::String => match j {
            J::String(s) => Ok(Value::String(s.clone())),
            // cty converts primitives to string when the schema says string.
            J::Number(n) => Ok(Value::String(n.to_string())),
            J::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(mismatch()),
        },
        Type::List(e) | Type::Set(e) => {
            let items = j.as_array().ok_or_else(mismatch)?;
            let out = items
                .iter()
                .enumerate()
                .map(|(i, x)| decode_js(x, e, &child(path, i)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(out)
            } else {
                Value::Set(out)
            })
        }
        Type::Tuple(elems) => {
            let items = j.as_array().ok_or_else(mismatch)?;
            if items.len() != elems.len() {
                return Err(mismatch());
            }
            let out = items
                .iter()
                .zip(elems)
                .enumerate()
                .map(|(i, (x, e))| decode_js(x, e, &child(path, i)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(out))
        }
        Type::Map(e) => {
            let obj = j.as_object().ok_or_else(mismatch)?;
            let mut out = BTreeMap::new();
            for (k, x) in obj {
                out.insert(k.clone(), decode_js(x, e, &child(path, k))?);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let obj = j.as_object().ok_or_else(mismatch)?;
            let mut out = BTreeMap::new();
            for (k, aty) in attrs {
                let v = match obj.get(k) {
                    Some(x) => decode_js(x, aty, &child(path, k))?,
                    None => Value::Null,
                };
                out.insert(k.clone(), v);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            // cty's JSON form of a dynamic value: {"value": ..., "type": ...}.
            let obj = j.as_object().ok_or_else(mismatch)?;
            let tj = obj.get("type").ok_or_else(mismatch)?;
            let inner = Type::from_json_value(tj)?;
            if inner == Type::Dynamic {
                return Err(mismatch());
            }
            decode_js(obj.get("value").unwrap_or(&J::Null), &inner, path)
        }
    }
}
