//! Terraform values (cty) as plain Rust, and their msgpack / JSON wire encodings.

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
