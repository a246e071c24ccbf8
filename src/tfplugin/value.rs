//! Terraform values (cty) as plain Rust, and their msgpack / JSON wire encodings.
//!
//! Terraform sends every value as a `DynamicValue`: msgpack normally, JSON for stored state. The
//! bytes carry no type information of their own (except for `dynamic`), so decoding is always
//! driven by the schema's [`Type`]. The rules follow cty's `msgpack` and `json` packages:
//! null is msgpack nil, unknown is any msgpack extension (Terraform ≥ 1.6 sends refined
//! unknowns as extension type 12 with a payload; the refinements are dropped here), numbers are
//! int, float or a decimal string, objects are maps keyed by attribute name, and a `dynamic`
//! value travels as a two-element array `[type_json, value]`.

use std::collections::BTreeMap;

use rmp::Marker;

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
static NULL: Value = Value::Null;

/// The flatmap marker SDKv1 used for unknown values in legacy state.
const FLATMAP_UNKNOWN: &str = "74D93920-ED26-11E3-AC10-0800200C9A66";

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

// ---------------------------------------------------------------------------------------------
// msgpack decoding
// ---------------------------------------------------------------------------------------------

/// A bounds-checked cursor over msgpack bytes; rmp supplies the marker table.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).ok_or(CodecError::Eof)?;
        let out = self.buf.get(self.pos..end).ok_or(CodecError::Eof)?;
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    fn be(&mut self, n: usize) -> Result<u64, CodecError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn marker(&mut self) -> Result<Marker, CodecError> {
        Ok(Marker::from_u8(self.byte()?))
    }

    /// Reads a string (or, leniently, binary) payload for a marker already consumed.
    fn text(&mut self, m: Marker) -> Result<Option<&'a [u8]>, CodecError> {
        let len = match m {
            Marker::FixStr(n) => usize::from(n),
            Marker::Str8 | Marker::Bin8 => self.be(1)? as usize,
            Marker::Str16 | Marker::Bin16 => self.be(2)? as usize,
            Marker::Str32 | Marker::Bin32 => self.be(4)? as usize,
            _ => return Ok(None),
        };
        self.take(len).map(Some)
    }

    fn array_len(&mut self, m: Marker) -> Result<Option<usize>, CodecError> {
        Ok(match m {
            Marker::FixArray(n) => Some(usize::from(n)),
            Marker::Array16 => Some(self.be(2)? as usize),
            Marker::Array32 => Some(self.be(4)? as usize),
            _ => None,
        })
    }

    fn map_len(&mut self, m: Marker) -> Result<Option<usize>, CodecError> {
        Ok(match m {
            Marker::FixMap(n) => Some(usize::from(n)),
            Marker::Map16 => Some(self.be(2)? as usize),
            Marker::Map32 => Some(self.be(4)? as usize),
            _ => None,
        })
    }

    /// Skips the payload of an extension whose marker was consumed; `None` if not an extension.
    fn skip_ext(&mut self, m: Marker) -> Result<Option<()>, CodecError> {
        let len = match m {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.be(1)? as usize,
            Marker::Ext16 => self.be(2)? as usize,
            Marker::Ext32 => self.be(4)? as usize,
            _ => return Ok(None),
        };
        self.take(1)?; // the extension type byte
        self.take(len)?;
        Ok(Some(()))
    }
}

fn marker_name(m: Marker) -> String {
    format!("{m:?}")
}

fn child(path: &str, step: impl std::fmt::Display) -> String {
    if path.is_empty() {
        step.to_string()
    } else {
        format!("{path}.{step}")
    }
}

fn utf8(bytes: &[u8], path: &str) -> Result<String, CodecError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::Invalid {
        path: path.to_owned(),
        message: "string is not valid UTF-8".into(),
    })
}

/// A number that arrived as text. Terraform sends a number as a string only when neither
/// int64 nor float64 holds it exactly, so the text is kept verbatim (`Decimal`) and written
/// back as the same string: converting it to f64 would change the value Terraform compares.
/// Integers that fit i64 become `Int`.
fn parse_number_text(s: &str, path: &str) -> Result<Number, CodecError> {
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

/// A JSON number from stored state: integers as `Int` when they fit, everything else as its
/// shortest decimal text (what Terraform itself wrote), for the reason given above.
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
    /// Decodes a msgpack `DynamicValue` against `ty`.
    ///
    /// # Errors
    /// When the bytes are malformed, do not match `ty`, or leave trailing data.
    pub fn decode_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
        let mut rd = Reader { buf: bytes, pos: 0 };
        let v = decode_mp(&mut rd, ty, "")?;
        if rd.pos != bytes.len() {
            return Err(CodecError::Trailing(bytes.len() - rd.pos));
        }
        Ok(v)
    }
}

fn decode_mp(rd: &mut Reader<'_>, ty: &Type, path: &str) -> Result<Value, CodecError> {
    let m = rd.marker()?;
    if matches!(m, Marker::Null) {
        return Ok(Value::Null);
    }
    if rd.skip_ext(m)?.is_some() {
        return Ok(Value::Unknown);
    }
    let mismatch = |m: Marker| CodecError::Mismatch {
        path: path.to_owned(),
        expected: ty.name(),
        found: marker_name(m),
    };
    match ty {
        Type::Bool => match m {
            Marker::True => Ok(Value::Bool(true)),
            Marker::False => Ok(Value::Bool(false)),
            _ => Err(mismatch(m)),
        },
        Type::Number => {
            let n = match m {
                Marker::FixPos(n) => Number::Int(i64::from(n)),
                Marker::FixNeg(n) => Number::Int(i64::from(n)),
                Marker::U8 => Number::Int(rd.be(1)? as i64),
                Marker::U16 => Number::Int(rd.be(2)? as i64),
                Marker::U32 => Number::Int(rd.be(4)? as i64),
                Marker::U64 => {
                    let u = rd.be(8)?;
                    i64::try_from(u).map_or_else(|_| Number::Decimal(u.to_string()), Number::Int)
                }
                Marker::I8 => Number::Int(i64::from(rd.be(1)? as u8 as i8)),
                Marker::I16 => Number::Int(i64::from(rd.be(2)? as u16 as i16)),
                Marker::I32 => Number::Int(i64::from(rd.be(4)? as u32 as i32)),
                Marker::I64 => Number::Int(rd.be(8)? as i64),
                Marker::F32 => Number::Float(f64::from(f32::from_bits(rd.be(4)? as u32))),
                Marker::F64 => Number::Float(f64::from_bits(rd.be(8)?)),
                _ => match rd.text(m)? {
                    Some(b) => parse_number_text(&utf8(b, path)?, path)?,
                    None => return Err(mismatch(m)),
                },
            };
            Ok(Value::Number(n))
        }
        Type::String => match rd.text(m)? {
            Some(b) => Ok(Value::String(utf8(b, path)?)),
            None => Err(mismatch(m)),
        },
        Type::List(e) | Type::Set(e) => {
            let n = rd.array_len(m)?.ok_or_else(|| mismatch(m))?;
            // Each element takes at least one byte: never trust a length beyond the input.
            let mut out = Vec::with_capacity(n.min(rd.buf.len()));
            for i in 0..n {
                out.push(decode_mp(rd, e, &child(path, i))?);
            }
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(out)
            } else {
                Value::Set(out)
            })
        }
        Type::Tuple(elems) => {
            let n = rd.array_len(m)?.ok_or_else(|| mismatch(m))?;
            if n != elems.len() {
                return Err(CodecError::Invalid {
                    path: path.to_owned(),
                    message: format!("tuple has {n} elements, type has {}", elems.len()),
                });
            }
            let mut out = Vec::with_capacity(n);
            for (i, e) in elems.iter().enumerate() {
                out.push(decode_mp(rd, e, &child(path, i))?);
            }
            Ok(Value::Tuple(out))
        }
        Type::Map(e) => {
            let n = rd.map_len(m)?.ok_or_else(|| mismatch(m))?;
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let km = rd.marker()?;
                let key = rd.text(km)?.ok_or_else(|| mismatch(km))?;
                let key = utf8(key, path)?;
                let v = decode_mp(rd, e, &child(path, &key))?;
                out.insert(key, v);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let n = rd.map_len(m)?.ok_or_else(|| mismatch(m))?;
            let mut out = BTreeMap::new();
            for _ in 0..n {
                let km = rd.marker()?;
                let key = rd.text(km)?.ok_or_else(|| mismatch(km))?;
                let key = utf8(key, path)?;
                let Some(aty) = attrs.get(&key) else {
                    return Err(CodecError::UnknownAttribute {
                        path: path.to_owned(),
                        name: key,
                    });
                };
                let v = decode_mp(rd, aty, &child(path, &key))?;
                out.insert(key, v);
            }
            for name in attrs.keys() {
                out.entry(name.clone()).or_insert(Value::Null);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            if rd.array_len(m)? != Some(2) {
                return Err(mismatch(m));
            }
            let tm = rd.marker()?;
            let tj = rd.text(tm)?.ok_or_else(|| mismatch(tm))?;
            let inner = Type::from_json(tj)?;
            if inner == Type::Dynamic {
                // cty never nests dynamic-in-dynamic; refusing keeps recursion bounded.
                return Err(CodecError::Invalid {
                    path: path.to_owned(),
                    message: "dynamic value declares type dynamic".into(),
                });
            }
            decode_mp(rd, &inner, path)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// msgpack encoding
// ---------------------------------------------------------------------------------------------

fn len_u32(n: usize) -> Result<u32, CodecError> {
    u32::try_from(n).map_err(|_| CodecError::TooLarge(format!("{n} elements")))
}

fn w<E: std::fmt::Debug>(r: Result<impl Sized, E>) -> Result<(), CodecError> {
    // Writing into a Vec only fails on impossible sizes.
    r.map(|_| ())
        .map_err(|e| CodecError::TooLarge(format!("{e:?}")))
}

impl Value {
    /// Encodes as msgpack for `ty`.
    ///
    /// # Errors
    /// When the value does not fit `ty` (e.g. a string where the schema says bool).
    pub fn encode_msgpack(&self, ty: &Type) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::with_capacity(64);
        encode_mp(self, ty, &mut out, "")?;
        Ok(out)
    }
}

fn encode_mp(v: &Value, ty: &Type, out: &mut Vec<u8>, path: &str) -> Result<(), CodecError> {
    let mismatch = || CodecError::Mismatch {
        path: path.to_owned(),
        expected: ty.name(),
        found: v.kind().to_owned(),
    };
    match (v, ty) {
        (Value::Null, _) => w(rmp::encode::write_nil(out)),
        (Value::Unknown, _) => {
            // cty's plain unknown: fixext1, type 0, one zero byte.
            out.extend_from_slice(&[0xd4, 0, 0]);
            Ok(())
        }
        (_, Type::Dynamic) => {
            let inner = v.infer_type();
            w(rmp::encode::write_array_len(out, 2))?;
            w(rmp::encode::write_bin(out, &inner.to_json()))?;
            encode_mp(v, &inner, out, path)
        }
        (Value::Bool(b), Type::Bool) => w(rmp::encode::write_bool(out, *b)),
        (Value::Number(n), Type::Number) => match n {
            Number::Int(i) => w(rmp::encode::write_sint(out, *i)),
            Number::Float(f) => {
                // cty writes integral floats as integers; do the same so plans compare equal.
                if f.fract() == 0.0 && f.abs() < 2f64.powi(63) {
                    w(rmp::encode::write_sint(out, *f as i64))
                } else {
                    w(rmp::encode::write_f64(out, *f))
                }
            }
            Number::Decimal(s) => w(rmp::encode::write_str(out, s)),
        },
        (Value::String(s), Type::String) => w(rmp::encode::write_str(out, s)),
        (Value::List(items), Type::List(e)) | (Value::Set(items), Type::Set(e)) => {
            w(rmp::encode::write_array_len(out, len_u32(items.len())?))?;
            for (i, item) in items.iter().enumerate() {
                encode_mp(item, e, out, &child(path, i))?;
            }
            Ok(())
        }
        (Value::Tuple(items), Type::Tuple(elems)) => {
            if items.len() != elems.len() {
                return Err(mismatch());
            }
            w(rmp::encode::write_array_len(out, len_u32(items.len())?))?;
            for (i, (item, e)) in items.iter().zip(elems).enumerate() {
                encode_mp(item, e, out, &child(path, i))?;
            }
            Ok(())
        }
        (Value::Map(m), Type::Map(e)) => {
            w(rmp::encode::write_map_len(out, len_u32(m.len())?))?;
            for (k, item) in m {
                w(rmp::encode::write_str(out, k))?;
                encode_mp(item, e, out, &child(path, k))?;
            }
            Ok(())
        }
        (Value::Object(m), Type::Object(attrs)) => {
            if let Some(extra) = m.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::UnknownAttribute {
                    path: path.to_owned(),
                    name: extra.clone(),
                });
            }
            // Every attribute of the type is written, absent ones as null, as cty does.
            w(rmp::encode::write_map_len(out, len_u32(attrs.len())?))?;
            for (k, aty) in attrs {
                w(rmp::encode::write_str(out, k))?;
                encode_mp(m.get(k).unwrap_or(&NULL), aty, out, &child(path, k))?;
            }
            Ok(())
        }
        _ => Err(mismatch()),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON decoding (stored state) and legacy flatmap
// ---------------------------------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
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
}
