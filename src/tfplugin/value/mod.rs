//! Terraform values (cty) as plain Rust, and their msgpack / JSON wire encodings.
//!
//! Terraform sends every value as a `DynamicValue`: msgpack normally, JSON for stored state. The
//! bytes carry no type information of their own (except for `dynamic`), so decoding is always
//! driven by the schema's [`Type`]. The rules follow cty's `msgpack` and `json` packages:
//! null is msgpack nil, unknown is any msgpack extension (Terraform ≥ 1.6 sends refined
//! unknowns as extension type 12 with a payload; the refinements are dropped here), numbers are
//! int, float or a decimal string, objects are maps keyed by attribute name, and a `dynamic`
//! value travels as a two-element array `[type_json, value]`.
//!
//! This file holds the value model and the type JSON; the wire decodings live beside it:
//! `msgpack` (plan and apply traffic), `json` (stored state) and `flatmap` (SDKv1's legacy
//! state).

mod flatmap;
mod json;
mod msgpack;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

/// A cty type, as used in schemas and to drive decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    Bool,
    Number,
    String,
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

/// A number as Terraform sent it: msgpack int, float, or a decimal string for big values.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
    /// Exact decimal text (values that fit neither i64 nor f64 without loss).
    Decimal(String),
}

/// A Terraform value. `Null` and `Unknown` are distinct everywhere.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
}

/// Why bytes could not be read as (or a value could not be written as) the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("unexpected end of msgpack data")]
    Eof,
    #[error("{0} trailing byte(s) after the msgpack value")]
    Trailing(usize),
    #[error("at {path}: expected {expected}, found {found}")]
    Mismatch {
        path: String,
        expected: String,
        found: String,
    },
    #[error("at {path}: unsupported attribute \"{name}\"")]
    UnknownAttribute { path: String, name: String },
    #[error("invalid type description: {0}")]
    BadType(String),
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("at {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("value too large to encode: {0}")]
    TooLarge(String),
}

/// Shared null returned by [`Value::get`] for absent attributes.
pub(super) static NULL: Value = Value::Null;

// ---------------------------------------------------------------------------------------------
// Type JSON
// ---------------------------------------------------------------------------------------------

impl Type {
    pub fn list(elem: Type) -> Type {
        Type::List(Box::new(elem))
    }
    pub fn set(elem: Type) -> Type {
        Type::Set(Box::new(elem))
    }
    pub fn map(elem: Type) -> Type {
        Type::Map(Box::new(elem))
    }
    pub fn object<I, K>(attrs: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(attrs.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    /// cty's compact JSON type description, e.g. `["list","string"]`.
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising a serde_json::Value into a Vec cannot fail.
        serde_json::to_vec(&self.to_json_value()).unwrap_or_default()
    }

    fn to_json_value(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Type::Bool => J::from("bool"),
            Type::Number => J::from("number"),
            Type::String => J::from("string"),
            Type::Dynamic => J::from("dynamic"),
            Type::List(e) => J::Array(vec![J::from("list"), e.to_json_value()]),
            Type::Set(e) => J::Array(vec![J::from("set"), e.to_json_value()]),
            Type::Map(e) => J::Array(vec![J::from("map"), e.to_json_value()]),
            Type::Object(attrs) => J::Array(vec![
                J::from("object"),
                J::Object(
                    attrs
                        .iter()
                        .map(|(k, t)| (k.clone(), t.to_json_value()))
                        .collect(),
                ),
            ]),
            Type::Tuple(elems) => J::Array(vec![
                J::from("tuple"),
                J::Array(elems.iter().map(Type::to_json_value).collect()),
            ]),
        }
    }

    /// Parses cty's JSON type description (the optional-attributes list that may follow an
    /// object's attribute map is accepted and ignored: it only matters for type conversion).
    pub fn from_json(bytes: &[u8]) -> Result<Type, CodecError> {
        let json: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| CodecError::BadType(e.to_string()))?;
        Type::from_json_value(&json)
    }

    fn from_json_value(json: &serde_json::Value) -> Result<Type, CodecError> {
        use serde_json::Value as J;
        let bad = || CodecError::BadType(json.to_string());
        match json {
            J::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            J::Array(items) => {
                let kind = items.first().and_then(J::as_str).ok_or_else(bad)?;
                let arg = items.get(1).ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json_value(arg)?)),
                    "set" => Ok(Type::set(Type::from_json_value(arg)?)),
                    "map" => Ok(Type::map(Type::from_json_value(arg)?)),
                    "object" => {
                        let attrs = arg.as_object().ok_or_else(bad)?;
                        let mut out = BTreeMap::new();
                        for (k, v) in attrs {
                            out.insert(k.clone(), Type::from_json_value(v)?);
                        }
                        Ok(Type::Object(out))
                    }
                    "tuple" => {
                        let elems = arg.as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(
                            elems
                                .iter()
                                .map(Type::from_json_value)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    fn name(&self) -> String {
        String::from_utf8_lossy(&self.to_json()).into_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// Constructors and accessors
// ---------------------------------------------------------------------------------------------

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    pub fn object<I, K>(attrs: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A `map(string)` value.
    pub fn str_map<I, K, V>(entries: I) -> Value
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), Value::String(v.into())))
                .collect(),
        )
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Not unknown at the top level (it may still contain unknowns).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// No unknown anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// An object attribute or map element; `Null` when absent or when `self` is not a map/object.
    pub fn get(&self, name: &str) -> &Value {
        match self {
            Value::Object(m) | Value::Map(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) | Value::Map(m) => m.get_mut(name),
            _ => None,
        }
    }

    /// Sets an object attribute or map element. A null value becomes an object first, so
    /// state can be built up from nothing; on any other kind this does nothing.
    pub fn set(&mut self, name: impl Into<String>, value: Value) {
        if self.is_null() {
            *self = Value::Object(BTreeMap::new());
        }
        if let Value::Object(m) | Value::Map(m) = self {
            m.insert(name.into(), value);
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(Number::Int(i)) => Some(*i),
            Value::Number(Number::Float(f))
                if f.fract() == 0.0 && *f >= -(2f64.powi(63)) && *f < 2f64.powi(63) =>
            {
                Some(*f as i64)
            }
            Value::Number(Number::Decimal(s)) => s.parse().ok().or_else(|| {
                let f: f64 = s.parse().ok()?;
                (f.fract() == 0.0 && f.abs() < 2f64.powi(53)).then_some(f as i64)
            }),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(Number::Int(i)) => Some(*i as f64),
            Value::Number(Number::Float(f)) => Some(*f),
            Value::Number(Number::Decimal(s)) => s.parse().ok(),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// Entries of a map or attributes of an object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Tuple(_) => "tuple",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
        }
    }

    /// The concrete type of a value whose schema type is `dynamic`, needed to write cty's
    /// `[type_json, value]` form. Empty collections and nulls inside have no better answer
    /// than `dynamic`.
    fn infer_type(&self) -> Type {
        match self {
            Value::Null | Value::Unknown => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(v) => Type::list(v.first().map_or(Type::Dynamic, Value::infer_type)),
            Value::Set(v) => Type::set(v.first().map_or(Type::Dynamic, Value::infer_type)),
            Value::Tuple(v) => Type::Tuple(v.iter().map(Value::infer_type).collect()),
            Value::Map(m) => Type::map(m.values().next().map_or(Type::Dynamic, Value::infer_type)),
            Value::Object(m) => {
                Type::Object(m.iter().map(|(k, v)| (k.clone(), v.infer_type())).collect())
            }
        }
    }
}

// Shared by the decoders: the path of a child in error messages, and numbers sent as text.

pub(super) fn child(path: &str, step: impl std::fmt::Display) -> String {
    if path.is_empty() {
        step.to_string()
    } else {
        format!("{path}.{step}")
    }
}

/// A number that arrived as text. Terraform sends a number as a string only when neither
/// int64 nor float64 holds it exactly, so the text is kept verbatim (`Decimal`) and written
/// back as the same string: converting it to f64 would change the value Terraform compares.
/// Integers that fit i64 become `Int`.
pub(super) fn parse_number_text(s: &str, path: &str) -> Result<Number, CodecError> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Number::Int(i));
    }
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Number::Decimal(t.to_owned())),
        _ => Err(CodecError::Invalid {
            path: path.to_owned(),
            message: format!("\"{s}\" is not a number"),
        }),
    }
}
